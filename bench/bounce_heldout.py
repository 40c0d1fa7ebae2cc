"""Bounces from mail systems the bounce reading was not developed on: what the chain makes of them.

    .venv/bin/python -m bench.bounce_heldout [--misses] [--expected FILE --mails DIR]

Reads every mail of `bench/data/heldout_bounces` (two public collections, see its README) by
the reply chain as the watcher does (parse, classify) and compares with `expected.toml`. With
`--expected` and `--mails`, another set: expectations kept here, mails kept outside the
repository (`bench/data/heldout_bounceparser/README.md` says where they come from):

- hard bounces: the failed recipients found exactly (the same set, nothing more), n/N;
- delay warnings, temporary failures and non-bounces (feedback reports, auto-replies) that
  would suppress someone: read as a bounce naming an address, or as an explicit opt-out;
- notices read as a person's reply (not marked automated): a bounce must never reach a rep;
- the reasons found on hard bounces, and how many agree with the expected one.

`--misses` lists each mail read wrongly with what the chain said. No test reads this set.
"""

from __future__ import annotations

import argparse
import os
import re
import tomllib
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bench.run_all import emit
from cam.core.models import ReplyClass
from cam.core.settings import DATA_DIR
from cam.replies import rules, soft_bounces
from cam.replies.bounce_reasons import DEAD, BounceReason
from cam.replies.parser import parse_reply
from cam.replies.rules import Classification

HELDOUT = Path(__file__).parent / "data" / "heldout_bounces"
TODAY = date(2026, 12, 6)
# What a mailbox never delivers but files saved from one may start with: blank lines and an
# mbox "From " separator.
_FILE_HEAD = re.compile(rb"\A(?:[ \t]*\r?\n)*(?:From [^\n]*\n)?")
TARGET = 0.97
SOFT_NAMES = {reason.value for reason in soft_bounces.SOFT}
DEAD_NAMES = {reason.value for reason in DEAD}


@dataclass(frozen=True)
class Expected:
    file: str
    system: str
    kind: str
    recipients: frozenset[str]
    reason: str | None


@dataclass(frozen=True)
class Outcome:
    expected: Expected
    verdict: Classification

    @property
    def found(self) -> frozenset[str]:
        if self.verdict.kind is not ReplyClass.bounce:
            return frozenset()
        return frozenset(a.lower() for a in self.verdict.hard_bounces)

    @property
    def exact(self) -> bool:
        return self.verdict.kind is ReplyClass.bounce and self.found == self.expected.recipients

    @property
    def suppresses(self) -> bool:
        """Whether the verdict would suppress someone: a bounce naming an address, an opt-out."""
        if self.verdict.kind is ReplyClass.bounce:
            return bool(self.found)
        return self.verdict.kind is ReplyClass.unsubscribe and self.verdict.opt_out is not None

    @property
    def as_person(self) -> bool:
        return not self.verdict.automated

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(reason.value for _a, reason in self.verdict.bounce_reasons)


def load(expected: Path = HELDOUT / "expected.toml") -> list[Expected]:
    """The expected reading of each mail, in file order."""
    rows = tomllib.loads(expected.read_text())["mail"]
    return [
        Expected(
            row["file"],
            row["system"],
            row["kind"],
            frozenset(a.lower() for a in row["recipients"]),
            row.get("reason"),
        )
        for row in rows
    ]


def read(expected: list[Expected], folder: Path = HELDOUT) -> list[Outcome]:
    """Parse and classify each mail as the watcher would."""
    compiled = rules.load_rules(DATA_DIR / "replies.toml")
    outcomes = []
    for row in expected:
        raw = _FILE_HEAD.sub(b"", (folder / row.file).read_bytes(), count=1)
        verdict = rules.classify(parse_reply(raw), compiled, today=TODAY)
        outcomes.append(Outcome(row, verdict))
    return outcomes


def report(outcomes: list[Outcome], *, misses: bool, label: str = "held-out bounces") -> None:
    """Print the figures (as `BENCH` lines) and, if asked, every mail read wrongly."""
    hard = [o for o in outcomes if o.expected.kind == "hard" and o.expected.recipients]
    unnamed = [o for o in outcomes if o.expected.kind == "hard" and not o.expected.recipients]
    quiet = [o for o in outcomes if o.expected.kind != "hard"]
    notices = [o for o in outcomes if o.expected.kind != "none"]
    exact = sum(o.exact for o in hard)
    share = exact / len(hard) if hard else 0.0
    print(f"{len(outcomes)} mails: {len(hard)} hard bounces naming a recipient,", end=" ")
    print(f"{len(unnamed)} naming none, {len(quiet)} delays, temporary failures or non-bounces")
    emit(
        f"{label}: exact failed recipients, hard bounces ({exact}/{len(hard)})",
        round(100 * share, 1),
        "%",
        f">= {TARGET:.0%}",
        share >= TARGET,
    )
    wrong_unnamed = sum(bool(o.found) for o in unnamed)
    emit(f"{label}: naming no address, read with an address", wrong_unnamed, "", "0")
    suppressing = sum(o.suppresses for o in quiet)
    emit(
        f"{label}: delays or non-bounces that would suppress (of {len(quiet)})",
        suppressing,
        "",
        "0",
        suppressing == 0,
    )
    as_person = sum(o.as_person for o in notices)
    emit(
        f"{label}: notices read as a person's reply (of {len(notices)})",
        as_person,
        "",
        "0",
        as_person == 0,
    )
    reasons = Counter(r for o in hard for r in o.reasons[:1])
    print("reasons of the first failed recipient, hard bounces:", dict(reasons.most_common()))
    soft = [o for o in hard if o.reasons[:1] and soft_bounces.is_soft(BounceReason(o.reasons[0]))]
    print(f"of {len(hard)} hard bounces, {len(soft)} leave the address alive (counted, suppressed")
    print(f"at the third in a row), {len(hard) - len(soft)} suppress at once")
    alive = [o for o in hard if o.expected.reason in SOFT_NAMES]
    dead = [o for o in hard if o.expected.reason in DEAD_NAMES]
    kept = sum(o in soft for o in alive)
    gone = sum(o not in soft for o in dead)
    emit(f"{label}: live addresses (full, blocked...) counted ({kept}/{len(alive)})", kept)
    emit(f"{label}: dead addresses suppressed at once ({gone}/{len(dead)})", gone)
    judged = [o for o in hard if o.expected.reason is not None and o.exact]
    agree = sum(o.reasons[:1] == (o.expected.reason,) for o in judged)
    emit(f"{label}: reason as expected ({agree}/{len(judged)} exact ones)", agree, "")
    print("load average:", " ".join(f"{x:.2f}" for x in os.getloadavg()))
    if misses:
        _misses(outcomes)


def _misses(outcomes: list[Outcome]) -> None:
    for o in outcomes:
        e = o.expected
        wrong_reason = e.kind == "hard" and o.exact and e.reason and o.reasons[:1] != (e.reason,)
        if e.kind == "hard" and e.recipients:
            wrong = not o.exact or o.as_person
        elif e.kind == "hard":
            wrong = bool(o.found) or o.as_person
        else:
            wrong = o.suppresses or (e.kind != "none" and o.as_person)
        if wrong or wrong_reason:
            print(
                f"- {e.file} [{e.system}] expected {e.kind} {sorted(e.recipients)}"
                f" {e.reason or ''} -> {o.verdict.kind.value} {sorted(o.found)} {o.reasons[:1]}:"
                f" {o.verdict.matched_rule[:160]!r}"
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--misses", action="store_true", help="list each mail read wrongly")
    parser.add_argument("--expected", type=Path, help="another set's expected.toml")
    parser.add_argument("--mails", type=Path, help="the folder holding that set's mails")
    args, _ = parser.parse_known_args()
    if (args.expected is None) != (args.mails is None):
        parser.error("--expected and --mails go together")
    if args.expected is None:
        report(read(load()), misses=args.misses)
        return
    label = f"held-out bounces ({args.expected.parent.name})"
    report(read(load(args.expected), args.mails), misses=args.misses, label=label)


if __name__ == "__main__":
    main()
