"""What the reply model sees: normalised text, concepts across languages, negation."""

from __future__ import annotations

from pathlib import Path

import pytest

from cam.replies.features import (
    LEXICON_FILE,
    describe,
    features,
    fold,
    load_lexicon,
    normalise,
)


def test_text_is_folded_and_links_addresses_times_dates_and_phones_become_tokens():
    text = normalise(
        "Préférence: Do 3.12. um 14:30 oder 2pm? https://calendly.com/x/30min "
        "ana@x.example +49 171 5550123"
    )
    assert text.split() == [
        "preference:", "do", "_date_", "um", "_time_", "oder", "_time_", "?",
        "_url_", "calendly", "_email_", "_phone_",
    ]  # fmt: skip


def test_folding_strips_accents_in_every_language():
    assert fold("Ça GEHÖRT Straße, señor, português, één, perché") == (
        "ca gehort strasse, senor, portugues, een, perche"
    )


@pytest.mark.parametrize(
    "text",
    [
        "We are not interested.",
        "Wir haben kein Interesse.",
        "Nous ne sommes pas intéressés.",
        "No estamos interesados.",
        "We hebben geen interesse.",
        "Non siamo interessati.",
        "Não temos interesse.",
    ],
)
def test_a_negated_concept_is_one_feature_in_every_language(text: str):
    found = features("Re: x", text)
    assert "k:!interest" in found and "k:interest" not in found


def test_a_negation_ends_with_its_clause():
    found = features("Re: x", "Not this week. But I am interested in a call.")
    assert {"k:interest", "k:meeting"} <= found


def test_a_subject_the_person_wrote_counts_and_ours_does_not():
    assert "s:pricing" in features("Pricing", "")
    assert not any(f.startswith("s:") for f in features("AW: Pricing", ""))


def test_features_are_named_for_people():
    assert describe("k:!interest") == "negated concept 'interest'"
    assert describe("b:not interested") == "words 'not interested'"
    assert describe("c: dem") == "chars 'dem'"


def test_every_lexicon_entry_is_written_as_replies_are_folded():
    text = LEXICON_FILE.read_text(encoding="utf-8")
    lexicon = load_lexicon()
    assert lexicon.words and lexicon.prefixes and lexicon.phrases
    entries = [line for line in text.splitlines() if not line.startswith("#")]
    assert fold("\n".join(entries)) == "\n".join(entries)


def test_a_broken_lexicon_is_named(tmp_path: Path):
    path = tmp_path / "lexicon.toml"
    path.write_text("negations = []\n[concepts]\nmeeting = 'call'\n")
    with pytest.raises(ValueError, match=r"lexicon\.toml"):
        load_lexicon(path)


@pytest.mark.parametrize(
    "text",
    [
        "Who is this?",
        "Wer sind Sie?",
        "C'est quoi ?",
        "¿Quién es usted?",
        "Wie bent u?",
        "Chi siete?",
        "Quem é você?",
        "Thanks, received.",
        "Forwarded internally.",
    ],
)
def test_a_short_reply_that_decides_nothing_is_marked_so(text: str):
    assert "k:nothing_decided" in features("Re: x", text)


@pytest.mark.parametrize(
    "text",
    [
        "Sí.",
        "Does it work with Salesforce?",
        "Who is this? Not interested.",
        "Thanks, send me the pricing.",
        "Thanks, we already have a provider.",
    ],
)
def test_a_request_decline_or_product_question_decides_something(text: str):
    assert "k:nothing_decided" not in features("Re: x", text)


def test_an_accent_tells_yes_and_already_from_their_folded_twins():
    assert "k:yes" in features("Re: x", "Sí.")
    assert "k:yes" in features("Re: x", "Sì, va bene.")
    assert "k:yes" not in features("Re: x", "Si tienen tiempo, hablamos.")
    said = features("Re: x", "Já foi paga.")
    assert "k:already" in said and "k:yes" not in said
