"""The reply model: replies in seven languages, its explanations, and learning from the team."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from cam.core.models import ReplyClass
from cam.replies import classifier
from cam.replies.classifier import LabelledText, default_model, model_with, team_example, train

YES, NO, ASK, OTHER, AWAY = (
    ReplyClass.interested,
    ReplyClass.not_interested,
    ReplyClass.question,
    ReplyClass.other,
    ReplyClass.out_of_office,
)

# Replies written for these tests, none of them in the training corpus. Someone gone for good
# (retired, left, changed companies) is an absence, as a rep files it, not a decline; a reply that
# only passes us on to someone named, asking for nothing, is `other` (the labelling guide's
# "hand-over with a request to set something up" is what makes one interested).
CASES = [
    ("en", "Happy to chat. Does Wednesday at 4pm work for you?", YES),
    ("en", "Sure - send me the pricing and a couple of customer stories.", YES),
    ("en", "Not the right contact - please speak with Laura Kim, our VP Sales.", OTHER),
    ("en", "Thanks, but we already have a vendor for this and we're happy with them.", NO),
    ("en", "Jane retired last month, so please update your records.", AWAY),
    ("en", "Does it work with Microsoft Dynamics?", ASK),
    ("en", "Thanks, I'll pass this on to the right people.", OTHER),
    ("de", "Klingt gut, wie wäre es mit Mittwoch um 15 Uhr?", YES),
    ("de", "Schicken Sie mir bitte ein Angebot für 25 Nutzer.", YES),
    ("de", "Danke, aber wir haben schon einen Anbieter und sind zufrieden.", NO),
    ("de", "Im Moment nicht, vielleicht in einem halben Jahr.", NO),
    ("de", "Läuft das auch mit Microsoft Dynamics?", ASK),
    ("de", "Danke, ich gebe das intern weiter.", OTHER),
    ("fr", "Ça m'intéresse, on peut s'appeler mercredi à 16h ?", YES),
    ("fr", "Pouvez-vous nous faire une démo la semaine prochaine ?", YES),
    ("fr", "Merci, mais nous avons déjà un fournisseur et nous en sommes contents.", NO),
    ("fr", "Est-ce que ça marche avec Microsoft Dynamics ?", ASK),
    ("fr", "Merci, je fais suivre en interne.", OTHER),
    ("es", "Me interesa, ¿hablamos el miércoles a las 16:00?", YES),
    ("es", "Envíame los precios, por favor.", YES),
    ("es", "Gracias, pero ya tenemos proveedor y estamos contentos.", NO),
    ("es", "Ahora no. Quizás dentro de seis meses.", NO),
    ("es", "¿Funciona con Microsoft Dynamics?", ASK),
    ("es", "Gracias, lo paso internamente.", OTHER),
    ("nl", "Interessant, kunnen we woensdag om 16:00 bellen?", YES),
    ("nl", "Kunnen jullie volgende week een demo geven?", YES),
    ("nl", "Bedankt, maar we hebben al een leverancier en zijn tevreden.", NO),
    ("nl", "Ik werk hier niet meer.", AWAY),
    ("nl", "Werkt het met Microsoft Dynamics?", ASK),
    ("nl", "Dank je, ik stuur het intern door.", OTHER),
    ("it", "Mi interessa, possiamo sentirci mercoledì alle 16?", YES),
    ("it", "Mi mandi i prezzi, grazie.", YES),
    ("it", "Grazie, ma abbiamo già un fornitore e siamo soddisfatti.", NO),
    ("it", "Ho cambiato azienda, non mi occupo più di questo.", AWAY),
    ("it", "Funziona con Microsoft Dynamics?", ASK),
    ("it", "Grazie, lo giro internamente.", OTHER),
    ("pt", "Tenho interesse, podemos falar quarta às 16h?", YES),
    ("pt", "Podem nos fazer uma demonstração semana que vem?", YES),
    ("pt", "Obrigado, mas já temos um fornecedor e estamos satisfeitos.", NO),
    ("pt", "Não trabalho mais nessa empresa.", AWAY),
    ("pt", "Funciona com o Microsoft Dynamics?", ASK),
    ("pt", "Obrigado, vou repassar internamente.", OTHER),
]


@pytest.mark.parametrize(("lang", "text", "expected"), CASES, ids=lambda v: str(v)[:40])
def test_a_reply_in_each_language_gets_its_class(lang: str, text: str, expected: ReplyClass):
    prediction = default_model().predict(text, "Re: our note")
    assert prediction.label is expected, prediction.reasons


def test_the_answer_names_its_strongest_features():
    prediction = default_model().predict("Können wir nächste Woche telefonieren?", "AW: Termin")
    assert prediction.label is YES and prediction.rule is None
    assert 0.5 < prediction.confidence <= 1.0
    assert 1 <= len(prediction.reasons) <= classifier.REASONS
    # "concept 'meeting' +2.1": the kind of feature, the feature, its weight for the answer.
    assert all(r.rsplit(" ", 1)[1].startswith("+") for r in prediction.reasons)
    assert any("meeting" in r or "telefon" in r for r in prediction.reasons)


def test_the_quoted_earlier_message_does_not_count():
    text = (
        "Thanks, noted.\n\nEl mar, 3 nov 2026 a las 10:02, Maya (<maya@acme.example>) escribió:\n"
        "> ¿Le interesaría una llamada la semana que viene? Reserve aquí: https://calendly.com/x\n"
    )
    assert default_model().predict(text).label is OTHER


def test_a_team_label_teaches_the_model_a_similar_reply():
    # "Register on our purchasing portal" is a polite no to a sales email: the team says so once.
    wrong = (
        "Toutes nos demandes fournisseurs passent par notre portail achats, "
        "merci de vous y inscrire."
    )
    similar = (
        "Merci de vous inscrire d'abord sur notre portail fournisseurs, "
        "il gère toutes les demandes."
    )
    before = default_model()
    assert before.predict(wrong).label is not NO
    assert before.predict(similar).label is not NO

    after = model_with([team_example(wrong, NO)])

    assert after.predict(wrong).label is NO
    assert after.predict(similar).label is NO
    # The lesson is about this kind of reply, not a new bias against everything.
    for _lang, text, expected in CASES:
        assert after.predict(text).label is expected, text


def test_team_labels_weigh_more_than_corpus_examples():
    assert team_example("x", YES).weight == classifier.TEAM_WEIGHT > 1.0


def test_training_needs_two_classes():
    with pytest.raises(ValueError, match="two classes"):
        train([LabelledText("yes", YES), LabelledText("sure", YES)])


def test_the_corpus_covers_every_language_and_class():
    rows = classifier.read_corpus()
    assert len(rows) >= 320
    pairs = Counter((r.lang, r.label) for r in rows)
    for lang in ("en", "de", "fr", "es", "nl", "it", "pt"):
        for label in (YES, NO, ReplyClass.unsubscribe, ASK, OTHER):
            assert pairs[(lang, label)] >= 1, (lang, label)
    assert sum(r.data_request for r in rows) >= 14
    assert sum("wrote:" in r.text or "écrit" in r.text or "From:" in r.text for r in rows) >= 10


def test_cross_validated_accuracy_on_the_corpus():
    """A sanity check of the model's design on its own corpus, five folds."""
    rows = classifier.read_corpus()
    order = list(range(len(rows)))
    random.Random(7).shuffle(order)
    right = 0
    for fold in range(5):
        held = set(order[fold::5])
        model = train(
            LabelledText(rows[i].text, rows[i].label, rows[i].subject)
            for i in order
            if i not in held
        )
        right += sum(
            model.predict(rows[i].text, rows[i].subject).label is rows[i].label for i in held
        )
    assert right / len(rows) >= 0.9


def test_a_reply_nearly_the_same_as_a_labelled_one_gets_the_team_label():
    labelled = "Thank you for your message. Your request has been forwarded to our sales team."
    again = "Thank you for your message, your request has been forwarded to our sales team!"
    model = model_with([team_example(labelled, NO)])
    prediction = model.predict(again)
    assert (prediction.label, prediction.rule) == (NO, "team_label")
    assert prediction.reasons[0].startswith("the team labelled a reply with 100% of these words")
    # An opt-out phrase still wins over any label.
    assert model.predict(f"{again} Please unsubscribe me.").label is ReplyClass.unsubscribe
    # A different reply is left to the model.
    assert model.predict("Yes, let's meet on Tuesday at 10.").label is YES


def test_a_signature_and_its_disclaimer_do_not_count():
    signature = (
        "\n\nMit freundlichen Grüßen\nPetra Neumann\nLeiterin Einkauf\nMusterfirma AG | "
        "Hauptstr. 1 | 10115 Berlin | T +49 30 1234567 | www.musterfirma.example\n"
        "Diese E-Mail enthält vertrauliche Informationen. Wenn Sie nicht der richtige Adressat "
        "sind, informieren Sie bitte sofort den Absender. "
        "Newsletter abbestellen: abmelden@x.example"
    )
    for text, expected in [
        ("Danke, wir sind gut versorgt.", NO),
        ("Vielen Dank, ist angekommen.", OTHER),
        ("Gerne, passt Ihnen Donnerstag um 10 Uhr?", YES),
    ]:
        assert default_model().predict(text + signature, "AW: Termin").label is expected, text
