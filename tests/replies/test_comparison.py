""" "How are you different?" is a question, in seven languages, read from real mails."""

from __future__ import annotations

import pytest

from cam.core.models import ReplyClass, ReplyReview
from tests.replies.written_replies import read


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "We do this in-house already. How are you different from what our SDRs do?"),
        ("de", "Das machen wir intern. Was unterscheidet Sie von unserem eigenen Team?"),
        ("fr", "On gère ça en interne. En quoi votre solution est-elle différente ?"),
        ("es", "Eso lo hacemos internamente. ¿En qué se diferencian ustedes?"),
        ("nl", "Dat doen we intern. Wat doen jullie anders dan ons eigen team?"),
        ("it", "Lo facciamo già internamente. In cosa siete diversi?"),
        ("pt", "Fazemos isso internamente. Em que é que são diferentes?"),
    ],
)
def test_asking_how_we_differ_from_what_they_have_is_a_question(lang: str, text: str):
    verdict = read(lang, text)
    assert verdict.kind is ReplyClass.question
    assert verdict.matched_rule.startswith("rule question.difference:")
    assert verdict.explanation.startswith("asks how we differ from what they have")


def test_an_opt_out_beside_the_comparison_asks_the_team():
    # It asks something a rep could answer: the team confirms the opt-out on the card.
    verdict = read("en", "How are you different from the last ten vendors? Unsubscribe me.")
    assert (verdict.kind, verdict.review) == (ReplyClass.question, ReplyReview.opt_out_guess)


def test_doing_it_in_house_without_asking_is_not_the_rule():
    verdict = read("en", "We do this in-house and we are happy with it.")
    assert "question.difference" not in verdict.matched_rule
