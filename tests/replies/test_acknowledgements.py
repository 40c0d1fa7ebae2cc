"""Replies that decide nothing and absences told in plain words, read from real mails."""

from __future__ import annotations

import pytest

from cam.core.models import ReplyClass
from tests.replies.written_replies import read


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "Thanks, received."),
        ("en", "ok"),
        ("en", "Noted, thanks Maya.\n\nBest,\nRob"),
        ("de", "Danke, habe ich erhalten."),
        ("de", "Zur Kenntnis genommen, danke.\n\nGruß\nM. Hahn"),
        ("fr", "Merci pour l'information."),
        ("es", "Recibido, gracias."),
        ("nl", "Dank je, goed ontvangen."),
        ("it", "Preso nota, grazie mille."),
        ("pt", "Anotado, obrigado!"),
    ],
)
def test_an_acknowledgement_asking_nothing_is_other_by_rule(lang: str, text: str):
    verdict = read(lang, text)
    assert verdict.kind is ReplyClass.other
    assert verdict.matched_rule.startswith("rule other.acknowledgement:")
    assert verdict.explanation.startswith("only thanks or confirms receipt")


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "Thanks, received - can you send the pricing?"),
        ("en", "ok, Tuesday?"),
        ("en", "Absolutely, thanks!"),
        ("en", "Thanks, but we are not interested."),
        ("de", "Danke, aber kein Bedarf."),
        ("fr", "Merci, on peut en parler jeudi ?"),
        ("es", "Gracias, envíame más información."),
        ("nl", "Bedankt, stuur maar een voorstel."),
        ("it", "Grazie, non ci interessa."),
        ("pt", "Obrigado, não temos interesse."),
    ],
)
def test_thanks_with_a_request_a_question_or_a_no_is_not_an_acknowledgement(lang: str, text: str):
    assert "other.acknowledgement" not in read(lang, text).matched_rule


def test_thanks_with_an_opt_out_stays_an_opt_out():
    verdict = read("en", "Thanks, received. Please remove me from your list.")
    assert verdict.kind is ReplyClass.unsubscribe
    assert verdict.opt_out is not None


@pytest.mark.parametrize(
    ("lang", "text", "number"),
    [
        (
            "en",
            "Thank you for contacting Meridian Support. Your request has been received and a "
            "ticket has been created (#48213).",
            "48213",
        ),
        (
            "de",
            "Vielen Dank für Ihre Anfrage. Wir haben Ihr Anliegen unter der Ticketnummer "
            "2026110310000123 erfasst.",
            "2026110310000123",
        ),
        (
            "fr",
            "Nous accusons réception de votre demande, enregistrée sous le numéro 77120.",
            "77120",
        ),
        ("pt", "Recebemos o seu pedido, registado com o número 61450.", "61450"),
        (
            "nl",
            "Bedankt voor uw bericht. Uw vraag is geregistreerd onder ticketnummer 88104.",
            "88104",
        ),
    ],
)
def test_a_ticket_systems_receipt_is_other(lang: str, text: str, number: str):
    verdict = read(lang, text, subject="Re: 20 minutes [auto]")
    assert verdict.kind is ReplyClass.other
    assert verdict.matched_rule.startswith("rule other.ticket:")
    assert number in verdict.matched_rule


@pytest.mark.parametrize(
    ("lang", "text", "stand_in"),
    [
        ("en", "Dan doesn't work here anymore, he left in the summer.", None),
        ("en", "I left Contoso in October, this mailbox will be closed soon.", None),
        (
            "de",
            "Frau Weber arbeitet nicht mehr bei uns. Ihre Nachfolgerin ist Frau Lang, "
            "a.lang@weber.example.",
            "a.lang@weber.example",
        ),
        ("fr", "J'ai quitté l'entreprise, cette adresse sera bientôt désactivée.", None),
        ("es", "Dejé la empresa, esta dirección se desactivará pronto.", None),
        ("nl", "Sanne werkt hier niet meer. Neem contact op met tom@devries.example.", None),
        ("it", "Ho cambiato azienda, non mi occupo più di questo.", None),
        ("pt", "Saí da empresa, este endereço será desativado em breve.", None),
    ],
)
def test_someone_gone_for_good_is_out_of_office_and_stops(
    lang: str, text: str, stand_in: str | None
):
    verdict = read(lang, text)
    assert verdict.kind is ReplyClass.out_of_office
    assert verdict.gone
    if stand_in is not None:
        assert verdict.referral is not None and verdict.referral.email == stand_in


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "I'm off on parental leave from next week, so replies will be slow."),
        ("de", "Ich befinde mich bis Ende März im Sabbatical."),
        ("fr", "Je suis actuellement en année sabbatique, de retour en septembre."),
        ("es", "Me encuentro en un año sabático, volveré en octubre."),
        ("nl", "Ik ben tot eind april met sabbatical."),
        ("it", "Sono in anno sabbatico fino a settembre."),
        ("pt", "Estou em período sabático até setembro."),
    ],
)
def test_leave_and_sabbaticals_written_by_hand_are_out_of_office(lang: str, text: str):
    verdict = read(lang, text)
    assert verdict.kind is ReplyClass.out_of_office
    assert not verdict.gone
    assert verdict.matched_rule.startswith("rule absence.away:")


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "I haven't left the company, I just have no interest. Thanks anyway."),
        ("en", "I left you a voicemail last week - can we talk on Thursday?"),
        ("de", "Ich bin nicht im Sabbatical, gern einen Termin am Dienstag."),
        ("nl", "Ik werk niet meer met Excel, dus graag een demo."),
    ],
)
def test_negated_or_unrelated_absence_words_are_not_an_absence(lang: str, text: str):
    assert read(lang, text).kind is not ReplyClass.out_of_office
