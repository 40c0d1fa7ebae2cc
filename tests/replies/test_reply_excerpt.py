"""A card shows what the person wrote: no quoted history, no signature, no mobile footer."""

from __future__ import annotations

import pytest

from cam.replies.excerpt import clean_excerpt
from cam.replies.mail_text import strip_quoted


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Yes, Tuesday works.\n\nBest regards,\nDana Reyes\nVP Sales\n\n"
            "On Mon, 23 Nov 2026 at 10:15, Ana <ana@acme.example> wrote:\n> Hi Dana",
            "Yes, Tuesday works.",
        ),
        (
            "Gerne, rufen Sie mich an.\n\nMit freundlichen Grüßen\nJonas Weber",
            "Gerne, rufen Sie mich an.",
        ),
        ("Oui, envoyez la proposition.\nCordialement,\nMarie", "Oui, envoyez la proposition."),
        ("Sí, hablemos.\n\nEnviado desde mi iPhone", "Sí, hablemos."),
        ("Send it over.\n-- \nKim Lee | Litware\n+1 555 0100", "Send it over."),
        ("> quoted only\n> more", ""),
        ("Thanks!\n\n\n\nSam", "Thanks!\n\nSam"),
    ],
)
def test_clean_excerpt_keeps_only_the_persons_words(text: str, expected: str) -> None:
    assert clean_excerpt(text) == expected


def test_a_long_reply_is_cut_with_an_ellipsis() -> None:
    assert clean_excerpt("word " * 500, limit=50).endswith("…")
    assert len(clean_excerpt("word " * 500, limit=50)) == 50


def test_answers_written_inline_are_read_and_the_quote_is_not() -> None:
    text = (
        "Hi Maya, answers inline below.\n\n"
        "On Tue, 3 Sep 2024 at 14:07, Maya <maya@acme.example> wrote:\n"
        "> Do you run Salesforce?\n"
        "Yes, since 2019.\n"
        "> Would a call next week work?\n"
        "Sure, Tuesday 3pm.\n"
        "> Best, Maya\n"
        "--\nSent from Gmail"
    )
    assert " ".join(strip_quoted(text).split()) == (
        "Hi Maya, answers inline below. Yes, since 2019. Sure, Tuesday 3pm."
    )
