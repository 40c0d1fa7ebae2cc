"""Reply classification: the corpus, the order of the checks, return dates, the rules file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from cam.core.models import ReplyClass
from cam.core.settings import DATA_DIR
from cam.replies.actions import WORKDAYS, working_day_after
from cam.replies.dates import find_return_date
from cam.replies.parser import parse_reply
from cam.replies.rules import classify, load_rules
from tests.replies.reply_corpus import CORPUS, EXPECTED, TODAY, Expected, raw

RULES = load_rules(DATA_DIR / "replies.toml")
ANCHORS = RULES.source.auto_reply.return_words


def test_every_corpus_file_has_an_expectation() -> None:
    assert {p.name for p in CORPUS.glob("*.eml")} == {e.file for e in EXPECTED}


@pytest.mark.parametrize("expected", EXPECTED, ids=lambda e: e.file)
def test_corpus_message_is_classified_with_its_rule(expected: Expected) -> None:
    verdict = classify(parse_reply(raw(expected.file)), RULES, today=TODAY)

    assert verdict.kind is expected.kind
    assert expected.rule in verdict.matched_rule
    assert verdict.return_date == expected.return_date
    assert verdict.hard_bounces == ((expected.lead,) if expected.hard_bounce else ())


def _message(headers: str, body: str) -> bytes:
    return (headers.strip() + "\n\n" + body).replace("\n", "\r\n").encode()


def test_auto_reply_header_wins_over_keywords() -> None:
    message = _message(
        "From: a@x.example\nSubject: Re: hello\nAuto-Submitted: auto-replied",
        "We are interested! Let's set up a call.",
    )
    verdict = classify(parse_reply(message), RULES, today=TODAY)
    assert verdict.kind is ReplyClass.out_of_office
    assert verdict.matched_rule.startswith("header Auto-Submitted: auto-replied")


def test_auto_submitted_no_is_a_person() -> None:
    message = _message(
        "From: a@x.example\nSubject: Re: hello\nAuto-Submitted: no",
        "We are interested. Please call me.",
    )
    assert classify(parse_reply(message), RULES, today=TODAY).kind is ReplyClass.interested


@pytest.mark.parametrize(
    "header", ["X-Autoreply: yes", "X-Autorespond: vacation", "Precedence: auto_reply"]
)
def test_each_auto_reply_header_marks_an_auto_reply(header: str) -> None:
    message = _message(f"From: a@x.example\nSubject: Re: hello\n{header}", "Thanks!")
    verdict = classify(parse_reply(message), RULES, today=TODAY)
    assert verdict.kind is ReplyClass.out_of_office
    assert header.split(":")[0] in verdict.matched_rule


def test_not_interested_is_checked_before_interested() -> None:
    message = _message("From: a@x.example\nSubject: Re: hi", "I'm really not that interested.")
    assert classify(parse_reply(message), RULES, today=TODAY).kind is ReplyClass.not_interested


def test_keywords_in_the_quoted_message_do_not_count() -> None:
    message = _message(
        "From: a@x.example\nSubject: Re: hi",
        "Thanks.\n\nOn Mon, 23 Nov 2026, Ana wrote:\n> Interested? Let's set up a call.\n",
    )
    verdict = classify(parse_reply(message), RULES, today=TODAY)
    assert verdict.kind is ReplyClass.other


def test_a_delay_report_is_no_bounce() -> None:
    verdict = classify(parse_reply(raw("delay_warning.eml")), RULES, today=TODAY)
    assert verdict.kind is ReplyClass.other
    assert verdict.hard_bounces == ()
    assert verdict.automated


def test_dsn_details_are_parsed() -> None:
    parsed = parse_reply(raw("bounce_postfix_dsn.eml"))
    assert parsed.is_delivery_report
    [recipient] = parsed.dsn
    assert (recipient.final_recipient, recipient.original_recipient) == (
        "rfc822; nobody@umbrella.example",
        "rfc822;nobody@umbrella.example",
    )
    assert (recipient.action, recipient.status) == ("failed", "5.1.1")
    assert "User unknown" in recipient.diagnostic
    assert parsed.original_message_id == "<cam.108.1@acme.example>"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I will be back on 3 December.", date(2026, 12, 3)),
        ("Returning 12/03/2026.", date(2026, 12, 3)),
        ("Back on 03.12.2026", date(2026, 12, 3)),
        ("I return 2026-12-07, thanks", date(2026, 12, 7)),
        ("Out of the office until Monday", date(2026, 11, 30)),
        ("Away from 20 November to December 4th, 2026", date(2026, 12, 4)),
        ("Ich bin ab dem 4. Dezember wieder zurück", date(2026, 12, 4)),
        ("back on 2 January", date(2027, 1, 2)),
        ("I am away.", None),
        ("I was back on 3 March 2026", None),
    ],
)
def test_return_dates(text: str, expected: date | None) -> None:
    found = find_return_date(text, today=TODAY, anchors=ANCHORS)
    assert (found[0] if found else None) == expected


@pytest.mark.parametrize(
    ("returning", "after"),
    [
        (date(2026, 12, 3), date(2026, 12, 4)),  # Thursday: back on Friday
        (date(2026, 12, 4), date(2026, 12, 7)),  # Friday: the next step on Monday
        (date(2026, 12, 5), date(2026, 12, 7)),  # Saturday
        (date(2026, 12, 6), date(2026, 12, 7)),  # Sunday
    ],
)
def test_the_next_step_waits_for_the_working_day_after_the_return(
    returning: date, after: date
) -> None:
    assert working_day_after(returning, WORKDAYS) == after
    # A team that sends Tuesday to Saturday.
    assert working_day_after(date(2026, 12, 4), frozenset({1, 2, 3, 4, 5})) == date(2026, 12, 5)


def test_rules_file_errors_are_named(tmp_path: Path) -> None:
    bad = tmp_path / "replies.toml"
    bad.write_text('[[rules]]\nname = "x"\nclass = "interested"\npatterns = ["(unclosed"]\n')
    with pytest.raises(ValueError, match=r"replies\.toml"):
        load_rules(bad)
    bad.write_text('[[rules]]\nname = "x"\nclass = "keen"\npatterns = ["a"]\n')
    with pytest.raises(ValueError, match="class"):
        load_rules(bad)


def test_rules_follow_the_file_order(tmp_path: Path) -> None:
    path = tmp_path / "replies.toml"
    path.write_text(
        '[[rules]]\nname = "first"\nclass = "question"\npatterns = ["call"]\n'
        '[[rules]]\nname = "second"\nclass = "interested"\npatterns = ["call"]\n'
    )
    message = _message("From: a@x.example\nSubject: Re: hi", "Let's set up a call.")
    verdict = classify(parse_reply(message), load_rules(path), today=TODAY)
    assert (verdict.kind, verdict.matched_rule) == (ReplyClass.question, "rule first: 'call'")
