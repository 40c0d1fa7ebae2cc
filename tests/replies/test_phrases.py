"""Explicit opt-outs and data requests decide before the model, in seven languages."""

from __future__ import annotations

import pytest

from cam.core.models import ReplyClass
from cam.replies import data_requests, phrases
from cam.replies.classifier import default_model

OPT_OUTS = [
    ("en", "Sounds great, but please take me off your list."),
    ("en", "I don't want to hear from you again."),
    ("en", "Please erase my personal data, thanks."),
    ("de", "Bitte nehmen Sie mich aus dem Verteiler."),
    ("de", "Schreiben Sie mir bitte nicht mehr."),
    ("de", "Bitte austragen."),
    ("de", "Ich möchte mich abmelden."),
    ("fr", "Merci de supprimer mon adresse e-mail de vos listes."),
    ("fr", "Ne m'écrivez plus, s'il vous plaît."),
    ("fr", "Je souhaite me désabonner."),
    ("es", "Por favor, bórrenme de su lista."),
    ("es", "No quiero que me escriban más."),
    ("es", "Quiero darme de baja."),
    ("nl", "Wilt u mij uitschrijven?"),
    ("nl", "Ik wil geen mails meer, graag afmelden."),
    ("it", "Vi prego di rimuovermi dalla lista."),
    ("it", "Cancellami, grazie."),
    ("pt", "Por favor, quero me descadastrar."),
    ("pt", "Não me enviem mais emails, obrigado. Não me contactem mais."),
]

GDPR = [
    ("en", "I object to the processing of my data under Art. 21 GDPR."),
    ("de", "Hiermit widerspreche ich der Verarbeitung meiner Daten (Art. 21 DSGVO)."),
    ("fr", "Je m'oppose au traitement de mes données personnelles."),
    ("es", "Ejerzo mi derecho de supresión conforme al artículo 17 del RGPD."),
    ("nl", "Ik maak bezwaar tegen de verwerking van mijn gegevens."),
    ("it", "Mi oppongo al trattamento dei miei dati personali."),
    ("pt", "Oponho-me ao tratamento dos meus dados pessoais."),
]

DATA_REQUESTS = [
    ("en", "Where did you find my details?"),
    ("de", "Woher haben Sie meine Daten?"),
    ("fr", "D'où tenez-vous mes coordonnées ?"),
    ("es", "¿De dónde sacaron mi correo?"),
    ("nl", "Waar hebben jullie mijn gegevens vandaan?"),
    ("it", "Da dove avete preso il mio contatto? Quali dati personali avete?"),
    ("pt", "De onde vocês tiraram meu email?"),
    ("en", "Please send me a copy of my data under Article 15."),
    ("en", "Which database did you pull my name from?"),
    ("de", "Von wem haben Sie meine E-Mail-Adresse?"),
    ("de", "Bitte teilen Sie mir mit, welche Daten Sie über mich gespeichert haben."),
    ("fr", "Qui vous a donné mes coordonnées ?"),
    ("es", "¿Qué datos personales tienen sobre mí?"),
    ("nl", "Van wie hebben jullie mijn gegevens?"),
    ("it", "Chi vi ha dato i miei dati?"),
    ("pt", "De onde vêm os meus dados?"),
]


@pytest.mark.parametrize(("lang", "text"), OPT_OUTS)
def test_an_opt_out_phrase_is_an_unsubscribe_whatever_else_is_said(lang: str, text: str):
    match = phrases.opt_out("Re: our note", text)
    assert match is not None and match.rule == "unsubscribe.request"
    prediction = default_model().predict(text, "Re: our note")
    assert prediction.label is ReplyClass.unsubscribe
    assert prediction.rule == "unsubscribe.request"
    assert prediction.reasons[0].startswith("rule unsubscribe.request: ")


@pytest.mark.parametrize(("lang", "text"), GDPR)
def test_a_gdpr_objection_or_erasure_request_is_an_unsubscribe(lang: str, text: str):
    match = phrases.opt_out("", text)
    assert match is not None and match.rule == "unsubscribe.gdpr"


@pytest.mark.parametrize(
    "subject", ["Unsubscribe", "unsubscribe me", "Abmelden", "DÉSABONNEMENT", "baja", "Stop"]
)
def test_a_removal_subject_is_an_unsubscribe(subject: str):
    prediction = default_model().predict("", subject)
    assert (prediction.label, prediction.rule) == (ReplyClass.unsubscribe, "unsubscribe.subject")


@pytest.mark.parametrize(
    "text",
    [
        "We're interested, send me the details.",
        "Can you remove the watermark from the demo video?",
        "Does the tool stop sending when someone replies?",
        "Bitte nehmen Sie Herrn Wolf in den Verteiler für die Demo auf.",
        "Ya no es un tema de presupuesto, hablemos.",
        "Ik werk niet meer bij de oude firma, maar wel geïnteresseerd!",
    ],
)
def test_no_opt_out_without_an_opt_out_phrase(text: str):
    assert phrases.opt_out("Re: our note", text) is None


@pytest.mark.parametrize(("lang", "text"), DATA_REQUESTS)
def test_a_data_request_is_a_question_flagged_as_such(lang: str, text: str):
    prediction = default_model().predict(text, "Re: our note")
    assert (prediction.label, prediction.data_request) == (ReplyClass.question, True)
    assert prediction.reasons[0].startswith("rule data_request: ")


def test_a_data_request_with_an_opt_out_is_an_unsubscribe_still_flagged():
    prediction = default_model().predict(
        "Woher haben Sie meine Adresse? Löschen Sie bitte meine Daten.", "AW: Termin"
    )
    assert (prediction.label, prediction.data_request) == (ReplyClass.unsubscribe, True)


@pytest.mark.parametrize(
    "text",
    [
        "Where is your office? We could meet there.",
        "Where did you get the idea for this product?",
        "Where should we send the contract? My address is below.",
        "Woher kommt die Software, aus Deutschland?",
        "D'où vient votre entreprise ?",
        "Welche Daten brauchen Sie von uns für das Review?",
    ],
)
def test_no_data_request_in_an_ordinary_question(text: str):
    assert data_requests.data_request(text) is None
