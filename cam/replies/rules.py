"""Classify a parsed reply, recording which rule or which words decided and why.

The deterministic layer decides first: bounces (delivery reports, then flufl.bounce on
mail-system notices), auto-reply headers, which RFC 3834 and the big mail systems set on
automatic mail, before any word of the text; then explicit opt-out phrases in seven languages
(`phrases`), so an opt-out never depends on a model; then the ordered keyword rules of
`replies.toml`, which a team can read and tune. What a person wrote and no rule decided goes to
the reply model (`classifier`), whose strongest features are recorded as the reason. A question
about where we got someone's data is flagged (`data_request`) whatever decided the class.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from cam.core.config_files import load_model
from cam.core.models import ReplyClass, ReplyReview
from cam.replies import bounces, data_requests, explain, phrases
from cam.replies.absence import Referral, find_absence
from cam.replies.absence import referral as absence_referral
from cam.replies.beside_opt_out import request_beside
from cam.replies.bounce_reasons import BounceReason
from cam.replies.classifier import Prediction, ReplyModel, default_model, written_part
from cam.replies.dates import find_return_date
from cam.replies.parser import ParsedReply

log = logging.getLogger(__name__)

# Why a reply with nothing of the person's own to read is `other`.
NO_TEXT = "no text"
# The rule of a reply that only passes us on to someone named.
HANDOVER = "other.handover"


class HeaderRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    values: list[str] = Field(default_factory=list)
    ignore: list[str] = Field(default_factory=list)

    def matches(self, value: str) -> bool:
        value = value.strip().lower()
        first = re.split(r"[;,\s]", value, maxsplit=1)[0]
        if first in {v.lower() for v in self.ignore}:
            return False
        return not self.values or first in {v.lower() for v in self.values}


class BounceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    senders: list[str] = Field(default_factory=list)
    names: list[str] = Field(default_factory=list)
    subjects: list[str] = Field(default_factory=list)


class AutoReplyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    headers: list[HeaderRule] = Field(default_factory=list)
    subjects: list[str] = Field(default_factory=list)
    return_words: list[str] = Field(default_factory=list)


class KeywordRule(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str
    kind: ReplyClass = Field(alias="class")
    field: str = Field(default="text", alias="in", pattern="^(text|subject|both)$")
    patterns: list[str]


class ReplyRules(BaseModel):
    """The rules file, validated; its patterns compiled once by `compile_rules`."""

    model_config = ConfigDict(extra="forbid")

    bounce: BounceConfig = BounceConfig()
    auto_reply: AutoReplyConfig = AutoReplyConfig()
    rules: list[KeywordRule] = Field(default_factory=list)


@dataclass(frozen=True)
class Classification:
    kind: ReplyClass
    matched_rule: str
    return_date: date | None = None
    # Recipients a delivery report or a known bounce format says failed for good (with the
    # fallback ones below).
    hard_bounces: tuple[str, ...] = ()
    # Set when a permanent failure names no usable address: which of `hard_bounces` are only
    # the returned message's To: or flufl.bounce's reading, dropped for the lead our returned
    # message went to when its Message-ID identifies it.
    bounce_fallback: tuple[str, ...] | None = None
    # Written by a machine (mail system or auto-responder), not by the person: no sequence stop.
    automated: bool = False
    # How sure the decision is: 1.0 for a rule, the model's probability otherwise.
    confidence: float = 1.0
    # The model's strongest features for its class ("concept 'meeting' +4.1"); () for a rule.
    reasons: tuple[str, ...] = ()
    # The person asks where we got their data or what we hold (GDPR Art. 14/15): an answer is
    # due within a month, whatever the class.
    data_request: bool = False
    # The explicit opt-out phrase behind an `unsubscribe`: the person's own words suppress at
    # once. None for a guess (the model's, the team memory's), which a person must confirm.
    opt_out: phrases.PhraseMatch | None = None
    # Why a person must decide what the machine would not: a model-only opt-out, or a model
    # below its confidence floor.
    review: ReplyReview | None = None
    # An absence for good (left the company, mailbox no longer read): the sequence stops.
    gone: bool = False
    # Whom an absence notice says to write to instead: a lead the team may add.
    referral: Referral | None = None
    # Why each hard-bounced recipient failed (user_unknown, mailbox_full, blocked, ...).
    bounce_reasons: tuple[tuple[str, BounceReason], ...] = ()
    # Why, in words a rep reads, quoting the deciding phrase; `matched_rule` is the detail.
    explanation: str = ""


@dataclass(frozen=True)
class CompiledRules:
    source: ReplyRules
    bounce_names: tuple[re.Pattern[str], ...]
    bounce_subjects: tuple[re.Pattern[str], ...]
    auto_subjects: tuple[re.Pattern[str], ...]
    keyword_rules: tuple[tuple[KeywordRule, tuple[re.Pattern[str], ...]], ...]


def load_rules(path: Path) -> CompiledRules:
    """Read, validate and compile the rules file; raise ValueError naming what is wrong."""
    rules = load_model(path, ReplyRules, "reply rules", ValueError)
    try:
        return compile_rules(rules)
    except re.error as exc:
        raise ValueError(f"invalid reply rules {path}: {exc}") from exc


def compile_rules(rules: ReplyRules) -> CompiledRules:
    flags = re.IGNORECASE | re.MULTILINE
    return CompiledRules(
        source=rules,
        bounce_names=tuple(re.compile(p, flags) for p in rules.bounce.names),
        bounce_subjects=tuple(re.compile(p, flags) for p in rules.bounce.subjects),
        auto_subjects=tuple(re.compile(p, flags) for p in rules.auto_reply.subjects),
        keyword_rules=tuple(
            (rule, tuple(re.compile(p, flags) for p in rule.patterns)) for rule in rules.rules
        ),
    )


def classify(
    reply: ParsedReply, rules: CompiledRules, *, today: date, model: ReplyModel | None = None
) -> Classification:
    """Classify `reply`; never raises (a failing step falls back to `other`, explained).

    `model` is the reply model to use, for one trained with the team's labels; the model
    trained on the corpus alone by default.
    """
    try:
        return _classify(reply, rules, today, model)
    except Exception as exc:  # never crash: a failing step (rules, model) classifies as other
        log.exception("classifying %s failed", reply.message_id)
        failed = f"classification failed: {type(exc).__name__}"
        return Classification(ReplyClass.other, failed, explanation=failed)


def _classify(
    reply: ParsedReply, rules: CompiledRules, today: date, model: ReplyModel | None
) -> Classification:
    bounce = _bounce(reply, rules)
    if bounce is not None:
        return bounce
    for header in rules.source.auto_reply.headers:
        value = reply.auto_headers.get(header.name.lower())
        if value is not None and header.matches(value):
            why = f"header {header.name}: {value[:60]}"
            return _out_of_office(reply, rules, today, why, explain.by_header(header.name))
    for pattern in rules.auto_subjects:
        if match := pattern.search(reply.subject):
            said = f"auto-reply subject {explain.quoted(match.group(0))}"
            return _out_of_office(reply, rules, today, f"subject matched {match.group(0)!r}", said)
    text = reply.new_text
    written = written_part(text)
    data_request = data_requests.data_request(written) is not None
    opt_out = phrases.opt_out(reply.subject, written)
    if opt_out is not None and (beside := request_beside(written)) is not None:
        return Classification(
            beside.kind,
            beside.why(opt_out),
            review=ReplyReview.opt_out_guess,
            explanation=explain.beside_opt_out(beside.kind, beside.sentence, opt_out, written),
        )
    if opt_out is not None:
        matched = f"rule {opt_out.rule}: {opt_out.phrase[:80]!r}"
        said = explain.by_rule(opt_out.rule, opt_out.phrase, written)
        return Classification(
            ReplyClass.unsubscribe,
            matched,
            data_request=data_request,
            opt_out=opt_out,
            explanation=said,
        )
    if not has_words(written):
        # Blank, quotes, images, a wall of `&` or `<`: nothing the person wrote to read a
        # decision from, least of all an opt-out.
        return Classification(ReplyClass.other, NO_TEXT, explanation="no text of their own")
    if absent := find_absence(written, text, sender=reply.from_address):
        why = f"rule {absent.rule}: {absent.phrase[:80]!r}"
        said = explain.by_rule(absent.rule, absent.phrase, written)
        return _out_of_office(reply, rules, today, why, said)
    for rule, patterns in rules.keyword_rules:
        for pattern in patterns:
            match = _search(pattern, rule.field, text, reply.subject)
            if match is None:
                continue
            matched = f"rule {rule.name}: {match.group(0).strip()[:80]!r}"
            said = explain.by_rule(rule.name, match.group(0).strip())
            if rule.kind is ReplyClass.out_of_office:
                return _out_of_office(reply, rules, today, matched, said)
            return Classification(rule.kind, matched, data_request=data_request, explanation=said)
    prediction = (model or default_model()).predict_written(written, reply.subject)
    if prediction.label is ReplyClass.out_of_office and not prediction.unsure:
        return _away_by_model(prediction, reply, rules, today)
    if prediction.rule == HANDOVER:
        # Whom the reply passes us on to: a lead the team may add.
        return replace(_by_model(prediction), referral=absence_referral(text, sender=""))
    return _by_model(prediction)


def has_words(written: str) -> bool:
    """Whether a person's text holds a letter or a digit: punctuation and markup say nothing."""
    return any(character.isalnum() for character in written)


def _by_model(prediction: Prediction) -> Classification:
    """Turn the model's (or the team memory's) answer into a class; a guess never suppresses,
    and an opt-out phrase beside a request waits for a person too."""
    guessed_opt_out = prediction.label is ReplyClass.unsubscribe or prediction.opt_out is not None
    if prediction.rule is not None:
        return Classification(
            prediction.label,
            prediction.reasons[0],
            data_request=prediction.data_request,
            review=ReplyReview.opt_out_guess if guessed_opt_out else None,
            explanation=prediction.explanation,
        )
    reasons = ", ".join(prediction.reasons)
    if prediction.unsure:
        return Classification(
            ReplyClass.other,
            f"model unsure, needs a look: {_guesses(prediction)}; {reasons}",
            confidence=prediction.confidence,
            reasons=prediction.reasons,
            data_request=prediction.data_request,
            review=ReplyReview.unsure,
            explanation=f"needs a look: {_guesses(prediction)}",
        )
    return Classification(
        prediction.label,
        f"model {prediction.label.value} {prediction.confidence:.0%}: {reasons}",
        confidence=prediction.confidence,
        reasons=prediction.reasons,
        data_request=prediction.data_request,
        review=ReplyReview.opt_out_guess if guessed_opt_out else None,
        explanation=prediction.explanation,
    )


def _guesses(prediction: Prediction) -> str:
    """The model's best two guesses, as a person reads them: "interested 48% or question 31%"."""
    best = f"{prediction.label.value} {prediction.confidence:.0%}"
    if prediction.runner_up is None:
        return best
    second, probability = prediction.runner_up
    return f"{best} or {second.value} {probability:.0%}"


def _search(pattern: re.Pattern[str], field: str, text: str, subject: str) -> re.Match[str] | None:
    if field in ("text", "both") and (match := pattern.search(text)):
        return match
    if field in ("subject", "both"):
        return pattern.search(subject)
    return None


def _away_by_model(
    prediction: Prediction, reply: ParsedReply, rules: CompiledRules, today: date
) -> Classification:
    """An absence only the model read: its return date and stand-in, when the text gives them,
    so the next step waits for the return; a person still sees its card."""
    referral = absence_referral(reply.new_text or reply.text, sender=reply.from_address)
    return _with_return(_by_model(prediction), reply, rules, today, referral)


def _out_of_office(
    reply: ParsedReply, rules: CompiledRules, today: date, why: str, said: str
) -> Classification:
    """An absence, for a while (back on its return date, if it names one) or for good."""
    text = reply.new_text or reply.text
    absent = find_absence(written_part(text), text, sender=reply.from_address)
    gone = absent is not None and absent.gone
    if absent is not None and gone and not why.startswith("rule absence."):
        why = f"{why}; {absent.rule}: {absent.phrase[:60]!r}"
        said = f"{said}; {explain.by_rule(absent.rule, absent.phrase)}"
    base = Classification(ReplyClass.out_of_office, why, automated=True, explanation=said)
    referral = absent.referral if absent is not None else None
    return _with_return(base, reply, rules, today, referral, gone=gone)


def _with_return(
    base: Classification,
    reply: ParsedReply,
    rules: CompiledRules,
    today: date,
    referral: Referral | None,
    *,
    gone: bool = False,
) -> Classification:
    """An absence with what it says: gone for good, or back on its return date ("back on
    Monday" is the Monday after the day the notice was written), and whom to write to."""
    whom = f"; write to {referral.name or referral.email} <{referral.email}>" if referral else ""
    if gone:
        why, said = f"{base.matched_rule}; gone for good{whom}", f"{base.explanation}{whom}"
        return replace(base, matched_rule=why, gone=True, referral=referral, explanation=said)
    written_on = reply.date.date() if reply.date is not None else today
    found = find_return_date(
        f"{reply.subject}\n{reply.new_text or reply.text}",
        today=min(written_on, today),
        anchors=rules.source.auto_reply.return_words,
    )
    if found is None:
        why, said = (
            f"{base.matched_rule}; no return date{whom}",
            f"{base.explanation}; no return date{whom}",
        )
        return replace(base, matched_rule=why, referral=referral, explanation=said)
    when, phrase = found
    return replace(
        base,
        matched_rule=f"{base.matched_rule}; back {when.isoformat()} from {phrase[:60]!r}{whom}",
        return_date=when,
        referral=referral,
        explanation=f"{base.explanation}; back {when} ({explain.quoted(phrase)}){whom}",
    )


def _bounce(reply: ParsedReply, rules: CompiledRules) -> Classification | None:
    """Decide on any notice from a mail system; None only for a message that is not one.

    Every notice gets its verdict here, before the auto-reply checks: mail systems set
    `Precedence: bulk` or `Auto-Submitted` on bounces too, and reading one as an absence
    would keep mailing a dead address.
    """
    notice = _from_mail_system(reply, rules)
    if notice is None:
        return None
    found = bounces.find(reply, notice)
    if found.permanent and found.reasons:
        said = explain.bounce(found.reasons[0][1], found.reasons[0][0])
    elif found.permanent:
        said = "bounce: a permanent failure"
    else:
        said = f"mail-system notice, not a bounce ({notice})"
    return Classification(
        ReplyClass.bounce if found.permanent else ReplyClass.other,
        found.why,
        explanation=said,
        hard_bounces=found.addresses,
        bounce_fallback=found.fallback,
        automated=True,
        bounce_reasons=found.reasons,
    )


def _from_mail_system(reply: ParsedReply, rules: CompiledRules) -> str | None:
    """Say why `reply` is a notice from a mail system, or None."""
    return bounces.notice_reason(
        reply,
        senders=rules.source.bounce.senders,
        names=rules.bounce_names,
        subjects=rules.bounce_subjects,
    )


def by_rule(matched_rule: str | None) -> bool:
    """Whether a stored reason names a deterministic rule (an opt-out phrase, a keyword rule:
    "rule <name>: '<words>'"), not the model or the team's memory."""
    return bool(matched_rule) and str(matched_rule).startswith("rule ")
