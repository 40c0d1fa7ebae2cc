"""The reason a rep reads: what the reply does, in words, quoting the prospect's deciding phrase."""

from __future__ import annotations

from datetime import date

import pytest

from cam.core.settings import DATA_DIR
from cam.replies.parser import parse_reply
from cam.replies.rules import classify, load_rules

RULES = load_rules(DATA_DIR / "replies.toml")
TODAY = date(2026, 11, 25)


def _reply(body: str, headers: str = "", subject: str = "Re: Shipping at Globex") -> bytes:
    head = f"From: Kim <kim@globex.example>\nSubject: {subject}\n{headers}".strip()
    return (head + "\n\n" + body).replace("\n", "\r\n").encode()


@pytest.mark.parametrize(
    ("body", "headers", "explanation"),
    [
        (
            "Thanks. Honestly the timing is good.\n"
            "Could you send a few slots for a call next week?",
            "",
            "asks for a next step: \u201cCould you send a few slots for a call next week?\u201d",
        ),
        ("Bitte austragen.", "", "opt-out phrase: \u201cBitte austragen.\u201d"),
        (
            "Roughly what does this cost for 800 shipments a day? Before I give up an hour.",
            "",
            "asks the price before giving time: \u201cRoughly what does this cost",
        ),
        ("Thanks!", "Auto-Submitted: auto-replied", "auto-reply header Auto-Submitted"),
        ("Sorry, who is this?", "", "reached the wrong person: \u201cSorry, who is this?\u201d"),
    ],
)
def test_the_explanation_quotes_what_decided(body: str, headers: str, explanation: str) -> None:
    verdict = classify(parse_reply(_reply(body, headers)), RULES, today=TODAY)
    assert verdict.explanation.startswith(explanation), verdict.explanation
    # The rule or the model's features stay behind it as the details.
    assert verdict.matched_rule and verdict.matched_rule != verdict.explanation


def test_a_set_aside_opt_out_says_so_in_words() -> None:
    verdict = classify(
        parse_reply(_reply("No need to remove me, but it's not for us this year.")),
        RULES,
        today=TODAY,
    )
    assert "not an opt-out (negated): \u201cno need to remove me\u201d" in verdict.explanation


def test_a_bounce_says_why_and_who() -> None:
    raw = _reply(
        "Hi. This is the qmail-send program at mx.globex.example.\n\n<kim@globex.example>:\n"
        "Remote host said: 550 5.1.1 no such user\n",
        subject="failure notice",
    ).replace(b"From: Kim <kim@globex.example>", b"From: MAILER-DAEMON@mx.globex.example")
    verdict = classify(parse_reply(raw), RULES, today=TODAY)
    assert verdict.explanation == "bounce, user unknown: kim@globex.example"
