"""The order of the checks around the model, what a Classification records, quoted history."""

from __future__ import annotations

from pathlib import Path

import pytest

from cam.core.models import ReplyClass
from cam.core.settings import DATA_DIR
from cam.replies.classifier import model_with, team_example
from cam.replies.mail_text import strip_quoted
from cam.replies.parser import parse_reply
from cam.replies.rules import classify, load_rules
from tests.replies.reply_corpus import TODAY

RULES = load_rules(DATA_DIR / "replies.toml")


def _message(body: str, subject: str = "Re: our note", headers: str = "") -> bytes:
    head = f"From: a@x.example\nSubject: {subject}\nMessage-ID: <m1@x.example>\n{headers}"
    return (head.strip() + "\n\n" + body).replace("\n", "\r\n").encode()


def test_a_reply_the_model_decides_records_its_reasons():
    verdict = classify(
        parse_reply(_message("Gerne, passt Ihnen Donnerstag um 10 Uhr für einen Call?")),
        RULES,
        today=TODAY,
    )
    assert verdict.kind is ReplyClass.interested
    assert verdict.matched_rule.startswith("model interested ")
    assert verdict.reasons and all(r in verdict.matched_rule for r in verdict.reasons)
    assert 0 < verdict.confidence <= 1
    assert not verdict.automated and not verdict.data_request


def test_an_opt_out_phrase_wins_over_the_keyword_rules(tmp_path: Path):
    path = tmp_path / "replies.toml"
    path.write_text('[[rules]]\nname = "calls"\nclass = "interested"\npatterns = ["call"]\n')
    message = _message("Don't call me. Bitte nehmen Sie mich aus Ihrem Verteiler.")
    verdict = classify(parse_reply(message), load_rules(path), today=TODAY)
    assert verdict.kind is ReplyClass.unsubscribe
    assert verdict.matched_rule.startswith("rule unsubscribe.request: ")


def test_an_auto_reply_header_still_wins_over_an_opt_out_phrase():
    message = _message("Please unsubscribe me.", headers="Auto-Submitted: auto-replied")
    assert classify(parse_reply(message), RULES, today=TODAY).kind is ReplyClass.out_of_office


def test_a_data_request_is_flagged_whatever_decided(tmp_path: Path):
    path = tmp_path / "replies.toml"
    path.write_text('[[rules]]\nname = "pricing"\nclass = "question"\npatterns = ["price"]\n')
    message = _message("What is the price? And where did you get my address?")
    verdict = classify(parse_reply(message), load_rules(path), today=TODAY)
    assert (verdict.kind, verdict.data_request) == (ReplyClass.question, True)
    assert verdict.matched_rule.startswith("rule pricing")

    plain = classify(parse_reply(_message("Woher haben Sie meine Daten?")), RULES, today=TODAY)
    assert (plain.kind, plain.data_request) == (ReplyClass.question, True)
    assert plain.matched_rule.startswith("rule data_request: ")


def test_a_model_trained_with_team_labels_is_used_when_given():
    text = "Merci de passer par notre portail achats, toutes les demandes fournisseurs y arrivent."
    message = parse_reply(_message(text))
    assert classify(message, RULES, today=TODAY).kind is not ReplyClass.not_interested
    taught = model_with([team_example(text, ReplyClass.not_interested)])
    verdict = classify(message, RULES, today=TODAY, model=taught)
    assert verdict.kind is ReplyClass.not_interested


@pytest.mark.parametrize(
    "quote",
    [
        "El mar, 3 nov 2026 a las 10:02, Maya (<maya@acme.example>) escribió:",
        "Op di 3 nov. 2026 om 10:02 schreef Maya <maya@acme.example>:",
        "Il giorno mar 3 nov 2026 alle ore 10:02 Maya <maya@acme.example> ha scritto:",
        "Em ter., 3 de nov. de 2026 às 10:02, Maya <maya@acme.example> escreveu:",
        "-----Ursprüngliche Nachricht-----",
        "-----Message d'origine-----",
        "Von: Maya Jensen <maya@acme.example>\nGesendet: Dienstag, 3. November 2026 10:02",
        "De : Maya Jensen <maya@acme.example>\nEnvoyé : mardi 3 novembre 2026 10:02",
        "De: Maya Jensen <maya@acme.example>\nEnviado el: martes, 3 de noviembre de 2026 10:02",
        "Van: Maya Jensen <maya@acme.example>\nVerzonden: dinsdag 3 november 2026 10:02",
        "Da: Maya Jensen <maya@acme.example>\nInviato: martedì 3 novembre 2026 10:02",
    ],
)
def test_quoted_history_in_each_language_is_left_out(quote: str):
    text = f"Gracias, recibido.\n\n{quote}\nHola, ¿le interesaría una demo? Reserve aquí.\n"
    assert strip_quoted(text) == "Gracias, recibido."


def test_a_line_starting_like_a_header_is_kept():
    text = "De acuerdo, hablamos el lunes.\nDe: nada, gracias a ti."
    assert strip_quoted(text) == text


def test_an_attribution_line_wrapped_by_the_mail_client_is_found():
    text = (
        "Yes, Tuesday works.\n\n"
        "On Tue, 3 Nov 2026 at 10:02, Maya Jensen <\nmaya@acme.example> wrote:\n> Hi"
    )
    assert strip_quoted(text) == "Yes, Tuesday works."


# A model taught that harvest means away, so it alone reads the notices below.
HARVEST = [
    ("Harvest time, I'm in the fields and will read mail after.", ReplyClass.out_of_office),
    ("Combine running all week, emails after the harvest.", ReplyClass.out_of_office),
    ("Yes, let's talk on Thursday at 10.", ReplyClass.interested),
    ("No thanks, we have a supplier.", ReplyClass.not_interested),
]


@pytest.mark.parametrize(
    ("body", "back"),
    [
        ("Harvest, emails after the 14th of December.", "2026-12-14"),
        ("Harvest, in the fields until Friday.", "2026-11-27"),
        ("Harvest, in the fields, emails after.", None),
    ],
)
def test_an_absence_only_the_model_read_gets_its_return_date(body: str, back: str | None):
    model = model_with([team_example(text, label) for text, label in HARVEST])
    # Written on Tuesday 24 November: "until Friday" is the 27th.
    message = _message(body, headers="Date: Tue, 24 Nov 2026 08:00:00 +0000")
    verdict = classify(parse_reply(message), RULES, today=TODAY, model=model)
    assert (verdict.kind, verdict.matched_rule[:20]) == (
        ReplyClass.out_of_office,
        "model out_of_office ",
    )
    assert str(verdict.return_date) == str(back)
    assert ("; back " in verdict.explanation) is (back is not None)
    # Read by the model, not by a rule: a person still sees its card.
    assert not verdict.automated
