"""The card of a reply a person wrote: the lead, their words, the class and why, the decision.

Interested replies carry their escalation's Approve / Reject (approvers only); a reply only the
model read as an opt-out says "Looks like an opt-out" and asks Confirm opt-out / Not an opt-out
(nothing is suppressed until someone confirms), and so does an interested reply or a question
with an opt-out phrase beside its request, above its escalation if it has one; any other class
carries the team's buttons: Interested, Not interested, Unsubscribe, Snooze until a date, under
"needs a look" when the model was unsure. Once someone decides, the card says who decided what
and when, and whether the classifier learns from it yet (else an Agree button for a second
person). A notice naming someone to write to instead offers to add them as a lead
(`bot.blocks.referral`). Every prospect text is escaped.

The buttons' values are signed (`bot.signing`): they name the card's reply and the actions
`offered` by the card as it is, which is also what the server accepts from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, DatePickerElement

from bot.blocks.answer import answered_line
from bot.blocks.answer_later import cancel_button, scheduled_line
from bot.blocks.approval import PendingApproval, approval_actions, owner_line, who
from bot.blocks.common import (
    SlackPost,
    confirm,
    context,
    escape,
    fallback,
    header,
    section,
    slack_date,
    to_dicts,
)
from bot.blocks.referral import referral_blocks, referral_offered
from bot.ids import ActionId, BlockId
from bot.payloads import CardAction, CardRef, ReplyRef, ScheduledRef
from bot.signing import Signer
from cam.core.models import (
    Answer,
    ApprovalStatus,
    Lead,
    Reply,
    ReplyClass,
    ReplyLabel,
    ReplyReview,
    TriageChoice,
)
from cam.leads.referrals import Referred
from cam.replies.excerpt import clean_excerpt

# GDPR Art. 12(3): a data subject's request is answered within one month.
DATA_REQUEST_DAYS = 30
DECIDED = {
    TriageChoice.interested: ":fire: Marked *interested*",
    TriageChoice.not_interested: ":no_entry_sign: Marked *not interested*: lead closed",
    TriageChoice.unsubscribe: ":mute: *Unsubscribed* for good",
    TriageChoice.snooze: ":zzz: *Snoozed*",
    TriageChoice.confirm_opt_out: ":mute: *Opt-out confirmed*: unsubscribed for good",
    TriageChoice.not_opt_out: ":speech_balloon: *Not an opt-out*: kept as a reply",
}
REVIEW = {
    ReplyReview.opt_out_guess: (
        ":warning: *Looks like an opt-out*, but only the model read it: nothing is suppressed "
        "until someone confirms. The sequence is stopped, as after any reply."
    ),
    ReplyReview.unsure: (
        ":mag: *Needs a look*: the model is unsure, so CAM did nothing beyond stopping the "
        "sequence. Its best guesses are above."
    ),
}
# An opt-out phrase beside a request: the reply is filed by its request, the phrase waits.
OPT_OUT_BESIDE_REQUEST = (
    ":warning: *Also has an opt-out phrase*: the reply asks for something, so CAM suppressed "
    "nothing and stopped the sequence, as after any reply. Is the opt-out meant? Confirm opt-out "
    "suppresses the address for good{escalation}; Not an opt-out keeps it as a reply."
)


@dataclass(frozen=True)
class ReplyCard:
    """A reply with what its card shows, loaded once for rendering."""

    reply: Reply
    lead: Lead | None = None
    label: ReplyLabel | None = None
    approval: PendingApproval | None = None
    # The Slack user ID owning the lead's mailbox, mentioned on the card ("" for none).
    owner: str = ""
    # The first answer sent from Slack (or kept in dry run), once there is one.
    answer: Answer | None = None
    # The answer waiting for an absent prospect's return, while one is scheduled.
    scheduled: Answer | None = None
    # The lead added from the stand-in the reply names, once someone added them.
    referred: Referred | None = None


def reply_card_post(card: ReplyCard, signer: Signer) -> SlackPost:
    """Build the card in its current form."""
    blocks = to_dicts(reply_card_blocks(card, signer))
    return SlackPost(text=fallback(_summary(card)), blocks=blocks)


def offered(card: ReplyCard) -> tuple[CardAction, ...]:
    """What the card lets its reader do as it is now: its buttons, and all the server takes."""
    return (*_decisions(card), *referral_offered(card.reply, card.referred))


def _decisions(card: ReplyCard) -> tuple[CardAction, ...]:
    """The decisions the card offers on the reply."""
    label = card.label
    if label is None and card.reply.review is ReplyReview.opt_out_guess:
        # Beside an interested reply's escalation too: the opt-out is asked about first.
        return (CardAction.confirm_opt_out, CardAction.not_opt_out)
    if card.approval is not None:
        return ()  # the escalation's Approve / Reject decide it
    if label is None:
        lead = card.lead is not None
        # Snoozing a prospect who said yes would only delay them.
        later = lead and card.reply.classification is not ReplyClass.interested
        return (
            *((CardAction.interested,) if lead else ()),
            CardAction.not_interested,
            CardAction.unsubscribe,
            *((CardAction.snooze,) if later else ()),
        )
    if label.label is not None and label.trusted_at is None and label.undone_at is None:
        return (CardAction.agree,)
    return ()


def unsubscribe_question(card: ReplyCard, signer: Signer) -> SlackPost:
    """The second step of Unsubscribe, shown only to who clicked it: the button that acts."""
    who_ = escape(card.reply.from_address or "this sender")
    text = f"Unsubscribe {who_}? They will never be contacted again."
    value = signer.sign(
        CardRef(reply_id=card.reply.id, actions=(CardAction.unsubscribe_confirmed,))
    )
    button = ButtonElement(
        text="Yes, unsubscribe",
        action_id=ActionId.triage_unsubscribe_confirm,
        value=value,
        style="danger",
    )
    return SlackPost(
        text=fallback(f"Unsubscribe {card.reply.from_address}?"),
        blocks=to_dicts([section(text), ActionsBlock(elements=[button])]),
    )


def reply_card_blocks(card: ReplyCard, signer: Signer) -> list[Block]:
    reply = card.reply
    blocks: list[Block] = [header(_title(card)), *_lead_blocks(card.lead), *owner_line(card.owner)]
    subject = escape(reply.subject) if reply.subject else "(no subject)"
    quoted = "\n".join(f"> {escape(line)}" for line in _excerpt(reply).splitlines())
    blocks.append(
        section(
            f"*{escape(reply.from_address or 'unknown sender')}* wrote "
            f"{slack_date(reply.received_at)}: {subject}\n{quoted}"
        )
    )
    why = escape(reply.explanation or reply.matched_rule or "no reason recorded")
    blocks.append(context(f"Classified *{reply.classification.value}*: {why}"))
    if reply.review is not None and card.label is None:
        blocks.append(section(_review_text(card)))
    if reply.explanation and reply.matched_rule:
        blocks.append(context(f"details: {escape(reply.matched_rule)}"))
    blocks += referral_blocks(reply, card.referred, signer)
    if reply.data_request:
        due = reply.received_at + timedelta(days=DATA_REQUEST_DAYS)
        blocks.append(
            section(
                ":warning: *Data request* (GDPR Art. 14/15: answer within a month), "
                f"by {slack_date(due, '{date_short_pretty}')}"
            )
        )
    return blocks + _decision_blocks(card, signer) + _answer_blocks(card, signer)


def _answer_blocks(card: ReplyCard, signer: Signer) -> list[Block]:
    """ "Answered" once answered, and the Reply button for any reply from a lead; on an
    absence with a return date, Answer when back, or the answer scheduled and its Cancel."""
    if card.lead is None:
        return []
    blocks: list[Block] = [answered_line(card.answer)] if card.answer is not None else []
    ref = ReplyRef(reply_id=card.reply.id).dump()
    buttons = [ButtonElement(text="Reply", action_id=ActionId.answer_open, value=ref)]
    if card.scheduled is not None:
        blocks.append(scheduled_line(card.scheduled))
        buttons.append(cancel_button(signer.sign(ScheduledRef(answer_id=card.scheduled.id))))
    elif card.reply.classification is ReplyClass.out_of_office and card.reply.return_date:
        buttons.append(
            ButtonElement(text="Answer when back", action_id=ActionId.answer_later_open, value=ref)
        )
    block_id = f"{BlockId.answer_actions}:{card.reply.id}"
    return [*blocks, ActionsBlock(block_id=block_id, elements=buttons)]


def _decision_blocks(card: ReplyCard, signer: Signer) -> list[Block]:
    label, approval = card.label, card.approval
    blocks: list[Block] = []
    if label is not None:
        until = f" until {label.snooze_until.isoformat()}" if label.snooze_until else ""
        blocks.append(
            section(
                f"{DECIDED[label.choice]}{until} by {who(label.decided_by)} "
                f"{slack_date(label.decided_at)}"
            )
        )
    actions = _decisions(card)
    token = signer.sign(CardRef(reply_id=card.reply.id, actions=actions)) if actions else ""
    if label is None and card.reply.review is ReplyReview.opt_out_guess:
        blocks.append(_opt_out_buttons(card, token))
    elif label is None and actions:
        blocks.append(_triage_buttons(actions, token))
    elif actions:
        agree = ButtonElement(text="Agree", action_id=ActionId.label_agree, value=token)
        blocks += [
            context("The classifier learns from this once an approver or a second person agrees."),
            ActionsBlock(block_id=BlockId.label_actions, elements=[agree]),
        ]
    # An interested reply's escalation: Approve / Reject, or how it was decided.
    return blocks + (approval_actions(approval) if approval is not None else [])


def _review_text(card: ReplyCard) -> str:
    """Why the card asks a person: the model's guess or doubt, or an opt-out phrase beside a
    request (the reply is filed as interested or a question)."""
    reply = card.reply
    if reply.review is ReplyReview.opt_out_guess and reply.classification in (
        ReplyClass.interested,
        ReplyClass.question,
    ):
        pending = (
            card.approval is not None and card.approval.approval.status is ApprovalStatus.pending
        )
        escalation = " and withdraws the escalation below" if pending else ""
        return OPT_OUT_BESIDE_REQUEST.format(escalation=escalation)
    assert reply.review is not None
    return REVIEW[reply.review]


def _opt_out_buttons(card: ReplyCard, value: str) -> ActionsBlock:
    address = card.reply.from_address or "this sender"
    return ActionsBlock(
        block_id=BlockId.opt_out_actions,
        elements=[
            ButtonElement(
                text="Confirm opt-out",
                action_id=ActionId.confirm_opt_out,
                value=value,
                style="danger",
                confirm=confirm(
                    "Confirm the opt-out?",
                    f"{address} will never be contacted again; the ledger names you.",
                    button="Confirm opt-out",
                ),
            ),
            ButtonElement(text="Not an opt-out", action_id=ActionId.not_opt_out, value=value),
        ],
    )


def _triage_buttons(actions: tuple[CardAction, ...], value: str) -> ActionsBlock:
    elements: list[ButtonElement | DatePickerElement] = []
    if CardAction.interested in actions:
        elements.append(
            ButtonElement(
                text="Interested",
                action_id=ActionId.triage_interested,
                value=value,
                style="primary",
            )
        )
    elements += [
        ButtonElement(text="Not interested", action_id=ActionId.triage_not_interested, value=value),
        # It only asks (`unsubscribe_question`): Slack's confirm dialog is the client's alone.
        ButtonElement(
            text="Unsubscribe", action_id=ActionId.triage_unsubscribe, value=value, style="danger"
        ),
    ]
    if CardAction.snooze in actions:
        elements.append(
            DatePickerElement(action_id=ActionId.triage_snooze, placeholder="Snooze until…")
        )
    # A date picker has no value: its block carries the signed one.
    return ActionsBlock(block_id=f"{BlockId.triage_actions}:{value}", elements=elements)


def _title(card: ReplyCard) -> str:
    lead = card.lead
    if lead is None:
        return f"Reply from {card.reply.from_address or 'an unknown sender'}"
    name = lead.full_name or lead.email
    icon = ":fire: " if card.reply.classification is ReplyClass.interested else ""
    return f"{icon}Reply from {name}" + (f" ({lead.company})" if lead.company else "")


def _lead_blocks(lead: Lead | None) -> list[Block]:
    if lead is None:
        return [context("Not matched to a lead: no sequence to stop or resume.")]
    facts = [f"*{escape(lead.full_name or lead.email)}*"]
    if lead.title or lead.company:
        facts.append(escape(" at ".join(part for part in (lead.title, lead.company) if part)))
    reasons = ", ".join(escape(reason) for reason in lead.score_reasons) or "no reasons"
    facts.append(f"Score *{lead.score}*: {reasons}")
    return [section("\n".join(facts))]


def _excerpt(reply: Reply) -> str:
    return clean_excerpt(reply.body_excerpt) or "(nothing but quoted text)"


def _summary(card: ReplyCard) -> str:
    return f"{_title(card)}: {card.reply.classification.value}"
