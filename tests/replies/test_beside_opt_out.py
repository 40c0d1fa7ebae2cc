"""An opt-out phrase beside a request for a next step or information: filed by the request, and
the team is asked; with a decline or a data request the opt-out still decides at once."""

from __future__ import annotations

from datetime import date

import pytest

from cam.core.models import ReplyClass, ReplyReview
from cam.core.settings import DATA_DIR
from cam.replies import rules
from cam.replies.classifier import default_model
from cam.replies.parser import parse_reply

TODAY = date(2026, 12, 1)

# A newsletter or a list declined, a next step asked for, in each language.
INTERESTED = {
    "en": "Take me off the monthly newsletter, I never read it. But can we set up a demo for "
    "our Leeds team next week?",
    "de": "Bitte tragen Sie mich aus dem Newsletter aus. Aber können wir nächste Woche einen "
    "Termin für eine Demo machen?",
    "fr": "Vous pouvez me désinscrire de la newsletter. Par contre, envoyez-moi un devis pour "
    "40 postes.",
    "es": "Dadme de baja del boletín, por favor. Eso sí, ¿podemos hacer una llamada el jueves "
    "para ver la demo?",
    "nl": "Haal me uit de nieuwsbrief. Maar kunnen we volgende week een demo inplannen?",
    "it": "Toglietemi dalla newsletter. Però vorrei una demo per il magazzino di Verona, "
    "martedì alle 10?",
    "pt": "Podem tirar-me da vossa lista de newsletters. Mas quero marcar uma demonstração para "
    "a próxima semana.",
}
# ... or information about the offer asked for.
QUESTIONS = {
    "en": "Please unsubscribe me from the webinar invites. Separately, does your tool integrate "
    "with NetSuite, and what does it cost per user?",
    "de": "Bitte aus dem Newsletter-Verteiler austragen. Aber: was kostet das für 12 Nutzer, und "
    "gibt es eine Schnittstelle zu DATEV?",
    "fr": "Retirez-moi de la liste des webinaires svp. Une question quand même : c'est "
    "compatible avec Sage ? Et quel est le tarif ?",
    "es": "Sacadme de la lista de webinars. Una pregunta: ¿se integra con Holded y cuánto cuesta "
    "por usuario?",
    "nl": "Graag afmelden voor de webinars. Wel een vraag: werkt het met Exact Online en wat "
    "kost het per gebruiker?",
    "it": "Cancellatemi dalla lista dei webinar. Però una domanda: si integra con TeamSystem? "
    "Quanto costa all'anno?",
    "pt": "Descadastrem-me da lista de webinars. Mas uma dúvida: integra com o Omie? Quanto "
    "custa por usuário?",
}
# ... or any other question a person would answer.
ELSEWHERE = {
    "en": "Please remove me from the events mailing. Do you have an office in Manchester?",
    "de": "Bitte nehmen Sie mich aus dem Event-Verteiler. Haben Sie eigentlich einen Partner in "
    "Graz?",
    "fr": "Retirez-moi de la liste des salons, merci. Vous êtes présents à Bordeaux aussi ?",
    "es": "Dadme de baja de las invitaciones a ferias. ¿Tenéis oficina en Valencia?",
    "nl": "Graag afmelden voor de evenementen. Hebben jullie ook een vestiging in Gent?",
    "it": "Cancellatemi dagli inviti alle fiere. Avete una sede anche a Bologna?",
    "pt": "Tirem-me da lista de eventos, por favor. Vocês têm escritório no Porto?",
}
# A reproach asked as a question is part of the opt-out.
REPROACHES = {
    "en": "Remove me from your list. Why do you keep writing to me?",
    "de": "Tragen Sie mich aus. Wie oft muss ich das noch sagen?",
    "fr": "Désinscrivez-moi. Pourquoi vous continuez à m'écrire ?",
    "es": "Dadme de baja. ¿Cuántas veces tengo que pedirlo?",
    "nl": "Haal me van de lijst. Waarom blijven jullie mailen?",
    "it": "Cancellatemi. Quante volte devo chiederlo?",
    "pt": "Descadastrem-me. Porque continuam a escrever-me?",
}
# A request beside a data request: the opt-out is meant.
WITH_A_DATA_REQUEST = {
    "en": "Take me off your list. Where did you get my email, and how much does your tool cost?",
    "de": "Tragen Sie mich aus Ihrem Verteiler aus. Woher haben Sie meine Adresse? Und was "
    "kostet das überhaupt?",
    "fr": "Désinscrivez-moi. Où avez-vous trouvé mon adresse ? Et quel est votre tarif ?",
    "es": "Dadme de baja. ¿De dónde habéis sacado mi correo? ¿Y cuánto cuesta?",
    "nl": "Haal me van jullie lijst af. Hoe komen jullie aan mijn e-mailadres? En wat kost het?",
    "it": "Cancellatemi dalla vostra lista. Dove avete preso il mio indirizzo? E quanto costa?",
    "pt": "Descadastrem-me. Onde conseguiram o meu e-mail? E quanto custa?",
}
# A request beside a decline: the opt-out is meant.
WITH_A_DECLINE = {
    "en": "Not interested, remove me from your list. Why would I need a demo anyway?",
    "de": "Kein Interesse, bitte austragen. Wozu sollte ich eine Demo brauchen?",
    "fr": "Pas intéressé, désinscrivez-moi. Pourquoi voudrais-je une démo ?",
    "es": "No me interesa, dadme de baja. ¿Para qué querría una demo?",
    "nl": "Geen interesse, graag afmelden. Waarom zou ik een demo willen?",
    "it": "Non mi interessa, cancellatemi. Perché dovrei volere una demo?",
    "pt": "Não tenho interesse, descadastrem-me. Para quê uma demonstração?",
}


@pytest.fixture(scope="module")
def compiled() -> rules.CompiledRules:
    return rules.load_rules(DATA_DIR / "replies.toml")


def _mail(text: str) -> bytes:
    return (
        "From: Prospect <p@customer.example>\r\nTo: maya@acme.example\r\n"
        "Subject: Re: our note\r\nMessage-ID: <b1@customer.example>\r\n"
        "Date: Tue, 01 Dec 2026 09:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        + text
    ).encode()


def _cases(table: dict[str, str]) -> list[tuple[str, str]]:
    return sorted(table.items())


@pytest.mark.parametrize(
    ("lang", "text", "kind"),
    [(lang, text, ReplyClass.interested) for lang, text in _cases(INTERESTED)]
    + [(lang, text, ReplyClass.question) for lang, text in _cases(QUESTIONS)]
    + [(lang, text, ReplyClass.question) for lang, text in _cases(ELSEWHERE)],
)
def test_a_request_beside_an_opt_out_is_filed_by_the_request_and_asks_the_team(
    compiled: rules.CompiledRules, lang: str, text: str, kind: ReplyClass
) -> None:
    verdict = rules.classify(parse_reply(_mail(text)), compiled, today=TODAY)
    assert (verdict.kind, verdict.review, verdict.opt_out) == (
        kind,
        ReplyReview.opt_out_guess,
        None,
    )
    assert not verdict.automated  # a person's reply: it stops the sequence, as any reply does
    assert verdict.matched_rule.startswith(f"rule {kind.value}.beside_opt_out: ")
    assert "opt-out phrase for the team: unsubscribe." in verdict.matched_rule
    assert "; also has an opt-out phrase \u201c" in verdict.explanation
    assert verdict.explanation.endswith("\u201d: confirm?")
    # The model reads it the same way, with the phrase for the team to confirm.
    prediction = default_model().predict(text, "Re: our note")
    assert (prediction.label, prediction.rule) == (kind, f"{kind.value}.beside_opt_out")
    assert prediction.opt_out is not None


def test_the_explanation_names_the_request_and_the_phrase(compiled: rules.CompiledRules) -> None:
    verdict = rules.classify(parse_reply(_mail(INTERESTED["en"])), compiled, today=TODAY)
    assert verdict.explanation == (
        "asks for a next step: \u201cBut can we set up a demo for our Leeds team next week?\u201d;"
        " also has an opt-out phrase \u201cTake me off the monthly newsletter, I never read it."
        "\u201d: confirm?"
    )


@pytest.mark.parametrize(
    ("lang", "text"),
    _cases(WITH_A_DATA_REQUEST) + _cases(WITH_A_DECLINE) + _cases(REPROACHES),
)
def test_with_a_data_request_or_a_decline_the_opt_out_suppresses_at_once(
    compiled: rules.CompiledRules, lang: str, text: str
) -> None:
    verdict = rules.classify(parse_reply(_mail(text)), compiled, today=TODAY)
    assert verdict.kind is ReplyClass.unsubscribe
    assert verdict.opt_out is not None and verdict.review is None
    assert default_model().predict(text, "Re: our note").label is ReplyClass.unsubscribe


@pytest.mark.parametrize(("lang", "text"), _cases(WITH_A_DATA_REQUEST))
def test_the_data_request_beside_the_opt_out_is_flagged(
    compiled: rules.CompiledRules, lang: str, text: str
) -> None:
    assert rules.classify(parse_reply(_mail(text)), compiled, today=TODAY).data_request


def test_an_opt_out_alone_with_a_rhetorical_question_still_suppresses(
    compiled: rules.CompiledRules,
) -> None:
    text = "Stop emailing me. What part of no do you not understand?"
    verdict = rules.classify(parse_reply(_mail(text)), compiled, today=TODAY)
    assert (verdict.kind, verdict.review) == (ReplyClass.unsubscribe, None)
