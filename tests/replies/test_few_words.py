"""Replies a rep files at a glance and a model hesitates over, read from real mails in seven
languages: a bare yes or no, "not now, maybe next year", questions announced as coming first, a
hand-over to someone named, and "how does it differ from what we have?"."""

from __future__ import annotations

import pytest

from cam.core.models import ReplyClass
from cam.replies.rules import Classification
from tests.replies.written_replies import read

YES = {
    "en": "Yes.",
    "de": "Ja, gerne.",
    "fr": "Oui, volontiers.",
    "es": "Sí, por favor.",
    "nl": "Ja graag.",
    "it": "Sì, grazie.",
    "pt": "Sim.",
}
NO = {
    "en": "No thanks.",
    "de": "Nein danke.",
    "fr": "Non merci.",
    "es": "No, gracias.",
    "nl": "Nee, bedankt.",
    "it": "No grazie.",
    "pt": "Não, obrigado.",
}
NOT_NOW = {
    "en": "Not this year, we're tied up with the ERP rollout. Feel free to check back in spring.",
    "de": "Dieses Jahr wird das nichts mehr. Melden Sie sich gern im Herbst nochmal.",
    "fr": "Pas maintenant, on finit la saison. Revenez vers moi en janvier.",
    "es": "Por ahora no, estamos cerrando el ejercicio. Escríbeme el año que viene.",
    "nl": "Nu niet, we zitten midden in een verhuizing. Probeer het volgend jaar nog eens.",
    "it": "Per ora niente, abbiamo appena rinnovato. Riprova l'anno prossimo.",
    "pt": "Agora não, estamos em plena época de fecho. Falamos no ano que vem.",
}
QUESTIONS_FIRST = {
    "en": "A few questions before I take this to my boss: does it run on-premise? Is there an "
    "SLA? Thanks, this looks interesting.",
    "de": "Bevor wir über einen Termin reden, ein paar Fragen: läuft das auf unseren Servern? "
    "Gibt es eine Schnittstelle zu SAP?",
    "fr": "Quelques questions avant d'aller plus loin : c'est hébergé en France ? Il y a une API ?",
    "es": "Un par de dudas antes de seguir: ¿funciona sin conexión? ¿Tiene app para Android?",
    "nl": "Een paar vragen vooraf: draait het in de EU? Is er een koppeling met Exact?",
    "it": "Prima di coinvolgere il nostro IT, alcune domande: i dati restano in Italia? C'è "
    "un'API?",
    "pt": "Algumas perguntas antes de levar isto à direção: funciona offline? Tem API?",
}
HANDOVERS = {
    "en": "Not really my area. Please write to Dana Cole (dana.cole@northwind.example) instead.",
    "de": "Dafür bin ich nicht zuständig. Wenden Sie sich an Herrn Vogel, vogel@acme.de.",
    "fr": "Ce n'est pas moi qui gère ce sujet. Voyez avec Mme Petit : petit@acme.fr",
    "es": "No llevo este tema. Escriba a Laura Gil (laura.gil@acme.es).",
    "nl": "Hier ga ik niet over. Mail Joost de Wit: joost.dewit@acme.nl",
    "it": "Non sono la persona giusta, scriva a Paolo Neri (p.neri@acme.it).",
    "pt": "Não é comigo. Fale com a Rita Lopes: rita.lopes@acme.pt",
}
DIFFERENCES = {
    "en": "Xero already does this. What exactly would you do that Xero doesn't?",
    "de": "Wir nutzen SAP EHS. Was kann Ihr Tool, was SAP nicht kann?",
    "fr": "On a déjà Keyence. Qu'est-ce que votre solution apporte de plus ?",
    "es": "¿Qué ventaja tengo frente a comprar directamente a Microsoft?",
    "nl": "Wat is het verschil met hoe we het nu doen?",
    "it": "Abbiamo un gestionale fatto in casa. Cosa avreste in più?",
    "pt": "Qual é a diferença para o que o Clinicorp já tem?",
}


def _cases(table: dict[str, str]) -> list[tuple[str, str]]:
    return sorted(table.items())


def read_by(rule: str, kind: ReplyClass, lang: str, text: str) -> Classification:
    """Assert that `rule` reads `text` as `kind`; return the reading."""
    verdict = read(lang, text)
    assert verdict.kind is kind
    assert verdict.matched_rule.startswith(f"rule {rule}: ")
    return verdict


@pytest.mark.parametrize(("lang", "text"), _cases(YES))
def test_a_bare_yes_is_interested(lang: str, text: str) -> None:
    verdict = read(lang, text)
    assert (verdict.kind, verdict.explanation[:8]) == (ReplyClass.interested, "says yes")


@pytest.mark.parametrize(("lang", "text"), _cases(NO))
def test_a_bare_no_declines(lang: str, text: str) -> None:
    verdict = read(lang, text)
    assert (verdict.kind, verdict.explanation[:7]) == (ReplyClass.not_interested, "says no")


@pytest.mark.parametrize(("lang", "text"), _cases(NOT_NOW))
def test_not_now_with_a_later_time_declines(lang: str, text: str) -> None:
    read_by("not_interested.not_now", ReplyClass.not_interested, lang, text)


@pytest.mark.parametrize(
    "text",
    [
        "Not right now, but send me something to read and let's talk in January.",
        "Nicht jetzt, aber schicken Sie mir eine Einladung für die KW 3.",
        "Not this week. How about next Tuesday at 10?",
    ],
)
def test_not_now_with_a_request_is_no_decline(text: str) -> None:
    verdict = read("en", text)
    assert not verdict.matched_rule.startswith("rule not_interested.not_now")


@pytest.mark.parametrize(("lang", "text"), _cases(QUESTIONS_FIRST))
def test_questions_announced_as_coming_first_are_a_question(lang: str, text: str) -> None:
    read_by("question.before_commitment", ReplyClass.question, lang, text)


def test_questions_first_with_a_next_step_asked_is_left_to_the_model() -> None:
    verdict = read("en", "A few questions first, but can we book a call on Thursday at 10?")
    assert not verdict.matched_rule.startswith("rule question.before_commitment")


@pytest.mark.parametrize(("lang", "text"), _cases(HANDOVERS))
def test_a_hand_over_to_someone_named_is_other_with_the_referral(lang: str, text: str) -> None:
    verdict = read_by("other.handover", ReplyClass.other, lang, text)
    assert verdict.referral is not None and verdict.referral.email in text


@pytest.mark.parametrize(
    "text",
    [
        "Not my area, but Omar (omar@acme.example) has been looking for exactly this. Adding him.",
        "Not the right person - Sam (sam@acme.example) would love a demo next week.",
        "Not the right contact. Can Dana (dana@acme.example) join a call on Friday?",
    ],
)
def test_a_hand_over_with_interest_or_a_request_is_no_plain_hand_over(text: str) -> None:
    assert not read("en", text).matched_rule.startswith("rule other.handover")


@pytest.mark.parametrize(("lang", "text"), _cases(DIFFERENCES))
def test_more_ways_of_asking_how_we_differ(lang: str, text: str) -> None:
    read_by("question.difference", ReplyClass.question, lang, text)


ELSEWHERE = {
    "en": "Hi, is this about the March invoice? Our accounts team says it was paid on the 4th.",
    "de": "Ist das wegen der Rechnung vom letzten Monat? Die ist schon bezahlt.",
    "fr": "C'est pour la facture de février ? Elle a été réglée.",
    "es": "¿Es por la factura del mes pasado? Ya está pagada.",
    "nl": "Kees, kun jij de pakbon van gisteren nog even mailen?",
    "it": "La fattura n. 233 ci è stata scartata dallo SdI, mi dite come sistemare?",
    "pt": "É sobre a fatura do mês passado? Já foi paga.",
}


@pytest.mark.parametrize(("lang", "text"), _cases(ELSEWHERE))
def test_a_reply_about_another_business_is_other(lang: str, text: str) -> None:
    read_by("other.elsewhere", ReplyClass.other, lang, text)


def test_an_invoice_asked_about_our_offer_is_no_other_business() -> None:
    verdict = read("en", "Do you invoice the licence monthly or yearly, and what does it cost?")
    assert not verdict.matched_rule.startswith("rule other.elsewhere")


NO_NEED = {
    "en": "Why would we need that? There are four of us and a spreadsheet does the job.",
    "de": "Wozu brauchen wir das? Wir sind ein Betrieb mit sechs Leuten.",
    "fr": "Pourquoi aurions-nous besoin de ça ? On est trois dans l'agence.",
    "es": "¿Y para qué necesitaríamos esto si facturamos cuatro clientes al mes?",
    "nl": "Waarom zouden wij dat nodig hebben? We zijn met z'n vijven.",
    "it": "Perché dovremmo averne bisogno? Siamo in quattro.",
    "pt": "Para que precisaríamos disso? Somos uma loja pequena.",
}


@pytest.mark.parametrize(("lang", "text"), _cases(NO_NEED))
def test_why_would_we_need_that_declines(lang: str, text: str) -> None:
    read_by("not_interested.no_need", ReplyClass.not_interested, lang, text)


@pytest.mark.parametrize(
    "text",
    [
        "Why would we need this if we already run Datadog? What does it add?",
        "Why would we need it? Send me a one-pager and let's talk on Tuesday.",
    ],
)
def test_why_we_would_need_it_asked_in_earnest_is_no_decline(text: str) -> None:
    assert not read("en", text).matched_rule.startswith("rule not_interested.no_need")
