"""Absence notices read from their text alone, in seven languages: away, gone, and the stand-in."""

from __future__ import annotations

import pytest

from cam.core.models import ReplyClass
from cam.core.settings import DATA_DIR
from cam.replies.absence import Referral, find_absence, referral
from cam.replies.classifier import written_part
from cam.replies.parser import parse_reply
from cam.replies.rules import classify, load_rules
from tests.replies.reply_corpus import TODAY

RULES = load_rules(DATA_DIR / "replies.toml")

GONE = [
    (
        "en",
        "I have left the company. Please contact my colleague Jane Doe at jane.doe@acme.com.",
        Referral("jane.doe@acme.com", "Jane Doe"),
    ),
    (
        "en",
        "This mailbox is no longer monitored. Please send your enquiry to Peter Brown "
        "(p.brown@acme.com).",
        Referral("p.brown@acme.com", "Peter Brown"),
    ),
    (
        "de",
        "Ich bin nicht mehr bei der Acme GmbH tätig. Bitte wenden Sie sich an Frau Anna "
        "Schmidt, anna.schmidt@acme.de.",
        Referral("anna.schmidt@acme.de", "Anna Schmidt"),
    ),
    (
        "fr",
        "Je ne fais plus partie de la société. Merci de contacter Julie Martin : "
        "julie.martin@acme.fr",
        Referral("julie.martin@acme.fr", "Julie Martin"),
    ),
    (
        "es",
        "Ya no trabajo en Acme. Para cualquier consulta, contacte a carlos.ruiz@acme.es",
        Referral("carlos.ruiz@acme.es", "Carlos Ruiz"),
    ),
    (
        "it",
        "Non lavoro più in Acme, per favore contattare Marco Bianchi marco.bianchi@acme.it",
        Referral("marco.bianchi@acme.it", "Marco Bianchi"),
    ),
    (
        "pt",
        "Já não trabalho na Acme. Contacte a minha colega Ana Sousa: ana.sousa@acme.pt",
        Referral("ana.sousa@acme.pt", "Ana Sousa"),
    ),
    (
        "nl",
        "Ik ben niet meer werkzaam bij Acme. Neem contact op met Jan de Vries via "
        "jan.devries@acme.nl",
        Referral("jan.devries@acme.nl", "Jan de Vries"),
    ),
    ("en", "Sorry, Mark is no longer with Initech.", None),
    ("en", "Priya moved on from the company, so this inbox isn't read any more.", None),
    ("de", "Herr Kaiser ist seit letztem Monat im Ruhestand.", None),
    ("es", "Lucía se jubiló el mes pasado.", None),
    ("fr", "Mme Roux est partie à la retraite en octobre.", None),
    ("it", "Il dott. Greco è andato in pensione.", None),
    ("pt", "O Sr. Costa aposentou-se em setembro.", None),
    ("nl", "Henk is vorige maand met pensioen gegaan.", None),
]

AWAY = [
    ("en", "I'm on parental leave until March 3 with no access to email."),
    ("de", "Ich bin bis zum 12. Januar in Elternzeit. In dringenden Fällen: info@acme.de."),
    ("de", "Ich bin nicht im Büro, sondern ab Montag wieder erreichbar."),
    ("fr", "Je suis en congé maternité jusqu'au 15 mars."),
    ("es", "Estoy de vacaciones hasta el 3 de diciembre."),
    ("it", "Sono in ferie fino al 3 dicembre."),
    ("pt", "Estou de férias até 3 de dezembro."),
    ("nl", "Ik ben tot en met 3 maart met vakantie."),
]

# Told in fewer words: someone else away, a trade fair, a closed office, a return from holiday,
# out sick; typed by hand, often with a word about the offer.
AWAY_IN_FEW_WORDS = [
    ("en", "I'm at the Hannover Messe until Friday, back on Monday. Will read your note then."),
    ("en", "Out sick today, will reply properly tomorrow."),
    ("en", "I'll look at this after my holiday."),
    ("de", "Frau Berger ist derzeit in Elternzeit. In dringenden Fällen: info@acme.de."),
    ("de", "Bin heute krank, antworte morgen ausführlicher."),
    ("fr", "M. Roy est en arrêt maladie jusqu'à nouvel ordre. Merci de contacter l'accueil."),
    ("fr", "Je suis sur le salon Equip'Auto jusqu'à jeudi, de retour vendredi."),
    ("fr", "Je regarde ça à mon retour de congés."),
    ("es", "Estoy en la feria de Valencia hasta el martes, te contesto a la vuelta."),
    ("es", "Estoy de baja médica unas semanas, escribid a Pilar mientras tanto."),
    ("it", "Sono in fiera a Verona fino a venerdì, ti rispondo quando rientro."),
    ("it", "Lo studio resterà chiuso fino al 7 gennaio. Per urgenze: info@acme.it"),
    ("pt", "Estou na Fenasucro em Sertãozinho até quinta, respondo quando voltar."),
    ("pt", "Vejo isso quando voltar de viagem."),
    ("nl", "Van 3 t/m 5 maart sta ik op de beurs in Gorinchem, daarna ben ik terug."),
    ("nl", "Ik ben deze week op reis, ik reageer als ik terug ben."),
]

NOT_AN_ABSENCE = [
    "I'm not out of office, happy to talk Thursday.",
    # A negation before the speaker, in the languages that put it there.
    "No, non sono in ferie, ero solo sommerso di lavoro. Va bene per una call giovedì.",
    "No estoy de vacaciones, perdona la tardanza, ¿se integra con Holded?",
    "Não estou de férias, só atolada. Podem enviar a proposta até sexta.",
    # Away, but asking for a next step or a question: the model reads it.
    "I'm at the Hannover Messe until Friday, can we book a call for Monday afternoon?",
    "Estoy en la feria hasta el martes, ¿cuánto cuesta por usuario?",
    "Our CEO is on leave until the 12th, could you send an invite for the week after?",
    # When to write again, not an absence.
    "Ask me again after the holidays.",
    "Podemos falar depois das férias.",
    "I was away last week, sorry. Yes let's talk.",
    "We no longer work with agencies, sorry.",
    "Ich bin nicht abwesend, rufen Sie mich ab Montag an.",
    "Ik ben niet afwezig, bel me vanaf maandag.",
    "Je ne suis pas absent, appelez-moi dès lundi.",
    "Non è più in linea con le nostre priorità.",
    "He dejado claro que no nos interesa.",
    "Isso não faz mais sentido para nós.",
    "We moved on from spreadsheets last year.",
]


@pytest.mark.parametrize(("lang", "text", "stand_in"), GONE)
def test_gone_for_good_is_read_with_its_stand_in(
    lang: str, text: str, stand_in: Referral | None
) -> None:
    found = find_absence(written_part(text), text, sender="me@acme.example")
    assert found is not None and found.gone, lang
    assert found.referral == stand_in


@pytest.mark.parametrize(("lang", "text"), AWAY)
def test_away_for_a_while_is_read(lang: str, text: str) -> None:
    found = find_absence(written_part(text), text)
    assert found is not None and not found.gone, lang


@pytest.mark.parametrize(("lang", "text"), AWAY_IN_FEW_WORDS)
def test_away_told_in_few_words_is_read(lang: str, text: str) -> None:
    found = find_absence(written_part(text), text)
    assert found is not None and not found.gone, lang


@pytest.mark.parametrize("text", NOT_AN_ABSENCE)
def test_negated_or_past_absences_and_lookalikes_are_not_absences(text: str) -> None:
    assert find_absence(written_part(text), text) is None


def test_the_sender_is_never_their_own_stand_in() -> None:
    text = "Please contact me at me@acme.example or my colleague at bo.li@acme.example."
    assert referral(text, sender="me@acme.example") == Referral("bo.li@acme.example", "Bo Li")


def _reply(body: str, headers: str = "") -> bytes:
    head = f"From: Rui <rui@acme.example>\nSubject: Re: hello\n{headers}".strip()
    return (head + "\n\n" + body).replace("\n", "\r\n").encode()


def test_a_text_only_notice_is_an_automatic_absence_with_its_return_date() -> None:
    verdict = classify(
        parse_reply(_reply("Estou de férias até 3 de dezembro. Obrigado.")), RULES, today=TODAY
    )
    assert verdict.kind is ReplyClass.out_of_office and verdict.automated
    assert verdict.matched_rule.startswith("rule absence.away: 'estou de ferias'")
    assert not verdict.gone


def test_an_auto_reply_header_with_a_leaving_notice_is_gone_for_good() -> None:
    body = "I have left the company. Please contact sales@acme.example instead."
    verdict = classify(
        parse_reply(_reply(body, "Auto-Submitted: auto-replied")), RULES, today=TODAY
    )
    assert verdict.kind is ReplyClass.out_of_office and verdict.gone
    assert verdict.referral == Referral("sales@acme.example")
    assert verdict.matched_rule.startswith("header Auto-Submitted: auto-replied; absence.gone")


def test_a_successor_asking_for_a_next_step_is_no_notice_of_departure() -> None:
    text = (
        "Sophie a quitté la société en janvier. C'est moi qui ai repris le pôle prospection. "
        "Auriez-vous un créneau jeudi matin pour la démo ?"
    )
    assert find_absence(text, text) is None
    notice = "I have left the company. Please contact my successor Anna Berg at anna@x.example."
    found = find_absence(notice, notice)
    assert found is not None and found.rule == "absence.gone"
