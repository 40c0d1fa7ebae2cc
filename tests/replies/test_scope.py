"""An opt-out phrase inside a negation or a channel preference is not an opt-out, per language."""

from __future__ import annotations

import pytest

from cam.core.models import ReplyClass
from cam.replies import phrases
from cam.replies.classifier import default_model

NEGATED = [
    ("en", "No need to remove me, but it's not for us this year."),
    ("en", "You don't have to unsubscribe me, just not this quarter."),
    ("de", "Es gibt keinen Grund, mich aus dem Verteiler zu nehmen, aber dieses Jahr nicht."),
    ("de", "Sie müssen mich nicht austragen, wir haben nur gerade keinen Bedarf."),
    ("fr", "Pas besoin de me retirer de votre liste, mais ce n'est pas le moment."),
    ("es", "No hace falta darme de baja, pero ahora no nos interesa."),
    ("it", "Non serve cancellarmi, ma quest'anno non abbiamo budget."),
    ("pt", "Não precisa me descadastrar, mas agora não é prioridade."),
    ("nl", "Afmelden hoeft niet, maar we hebben het nu te druk."),
]


@pytest.mark.parametrize(("lang", "text"), NEGATED)
def test_a_negated_removal_is_set_aside_and_says_so(lang: str, text: str) -> None:
    reading = phrases.read_opt_out("Re: our note", text)
    assert reading.match is None, lang
    assert reading.set_aside and reading.set_aside[0].startswith("negated: ")
    prediction = default_model().predict(text, "Re: our note")
    assert prediction.label is not ReplyClass.unsubscribe
    assert prediction.reasons[0].startswith("not an opt-out, negated: ")


@pytest.mark.parametrize(
    "text",
    [
        "Don't call me — email is fine, send the deck and let's find 20 minutes.",
        "Bitte nicht mehr anrufen, lieber per Mail.",
        "Ne m'appelez plus, écrivez-moi plutôt par mail avec une proposition.",
    ],
)
def test_declining_calls_while_welcoming_mail_is_a_channel_preference(text: str) -> None:
    reading = phrases.read_opt_out("Re: our note", text)
    assert reading.match is None
    assert reading.set_aside[0].startswith("channel preference: ")


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("No need to reply, just remove me.", "remove me"),
        ("You don't need to send me any more emails.", "any more emails"),
        ("Don't call me or email me.", "don't call me"),
        ("Bitte tragen Sie mich aus.", "tragen sie mich aus"),
        ("No me llamen más. Y no me escriban.", "no me llamen mas"),
    ],
)
def test_a_real_request_next_to_a_negation_still_opts_out(text: str, phrase: str) -> None:
    match = phrases.opt_out("Re: our note", text)
    assert match is not None and match.phrase == phrase
