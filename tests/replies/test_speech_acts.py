"""What sentences do: a question, a request that overrides it, thanks for what was received."""

from __future__ import annotations

import pytest

from cam.core.models import ReplyClass
from cam.replies.classifier import default_model
from cam.replies.features import features


def acts(text: str) -> set[str]:
    return features("Re: x", text) & {"k:question", "k:request", "k:courtesy_only"}


@pytest.mark.parametrize(
    "text",
    [
        "Is the demo recorded or live?",
        "Ist die Demo aufgezeichnet oder live?",
        "La démo est-elle enregistrée ou en direct ?",
        "¿La demo es grabada o en directo?",
        "Is de demo opgenomen of live?",
        "La demo è registrata o dal vivo?",
        "A demo é gravada ou ao vivo?",
        "how does the calendar booking work with outlook",
        "Gibt es eine Mindestlaufzeit",
        # A price asked before agreeing to anything asks, it does not request.
        "How much is it per seat per month?",
        "Was kostet das pro Nutzer?",
    ],
)
def test_a_question_about_a_demo_or_a_booking_is_a_question(text: str):
    assert acts(text) == {"k:question"}


@pytest.mark.parametrize(
    "text",
    [
        "Could we do a call on Thursday?",
        "Können wir nächste Woche telefonieren?",
        "Pouvez-vous m'envoyer une proposition ?",
        "¿Podemos hablar el jueves?",
        "Kunt u mij een offerte sturen?",
        "Possiamo sentirci giovedì?",
        "Podemos falar na quinta?",
        "Can you send me your pricing?",
        "Does next Tuesday at 10am work?",
    ],
)
def test_a_request_for_a_meeting_a_proposal_pricing_or_a_time_overrides_the_question(text: str):
    assert acts(text) == {"k:request"}


@pytest.mark.parametrize(
    "text",
    [
        "Send me the calendar link.",
        "Please book 30 minutes with me.",
        "Schicken Sie mir bitte den Link.",
        "Envoyez-moi le lien de votre agenda.",
        "Mándame el enlace.",
        "Stuur me de link.",
        "Mandami il link.",
        "Marque-me meia hora.",
    ],
)
def test_an_imperative_that_opens_a_sentence_is_a_request(text: str):
    assert acts(text) == {"k:request"}


@pytest.mark.parametrize(
    "text",
    [
        "Thanks, but we won't be booking a demo.",
        "Merci, mais nous ne prendrons pas de rendez-vous pour une démo.",
        "Gracias, pero no vamos a agendar ninguna demo.",
    ],
)
def test_a_negation_reaches_the_end_of_its_clause(text: str):
    found = features("Re: x", text)
    assert "k:!meeting" in found and "k:meeting" not in found


def test_a_negation_stops_at_a_dash_or_but():
    assert "k:meeting" in features("Re: x", "Not the right contact - please speak with Laura.")
    assert "k:meeting" in features("Re: x", "Not this week but a call next month works.")


@pytest.mark.parametrize(
    "text",
    [
        "Thanks for the info!",
        "Vielen Dank für die Info!",
        "Merci pour l'information !",
        "¡Gracias por la información!",
        "Bedankt voor de info!",
        "Grazie per l'informazione!",
        "Obrigado pela informação!",
    ],
)
def test_thanks_for_what_was_received_is_an_acknowledgement(text: str):
    found = features("Re: x", text)
    assert "k:~information" in found and "k:information" not in found
    assert acts(text) == {"k:courtesy_only"}
    assert default_model().predict(text).label is ReplyClass.other


def test_thanks_that_also_ask_are_no_acknowledgement():
    assert acts("Thanks for the info. Could you send pricing too?") == {"k:request"}
    assert acts("Thanks! Is there a free trial?") == {"k:question"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Who usually joins these review meetings from your side?", ReplyClass.question),
        ("Wer ist bei diesen Terminen von Ihrer Seite dabei?", ReplyClass.question),
        ("Les tarifs de votre site sont-ils à jour ?", ReplyClass.question),
        ("Sure, let's do a call. Does Wednesday at 3pm work?", ReplyClass.interested),
        ("Gerne, passt Ihnen Donnerstag um 10 Uhr?", ReplyClass.interested),
        ("Nee, we gaan geen demo inplannen. Succes!", ReplyClass.not_interested),
    ],
)
def test_the_model_reads_questions_requests_and_declines(text: str, expected: ReplyClass):
    prediction = default_model().predict(text, "Re: our note")
    assert prediction.label is expected, prediction.reasons


@pytest.mark.parametrize(
    "text",
    [
        "Good morning Maya, is the demo live or recorded?",
        "Guten Morgen, ist die Demo live?",
        "Boa tarde, a demo é gravada?",
    ],
)
def test_a_greeting_proposes_no_time(text: str):
    assert acts(text) == {"k:question"}


def test_a_time_after_a_greeting_is_still_proposed():
    assert acts("Guten Morgen, passt Ihnen morgen um 10 Uhr?") == {"k:request"}
    assert acts("Good morning! Could we talk tomorrow morning?") == {"k:request"}
