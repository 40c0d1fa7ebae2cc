"""Opt-outs, complaints and data requests in the many ways people write them, per language."""

from __future__ import annotations

import pytest

from cam.core.models import ReplyClass
from cam.replies import data_requests, phrases
from cam.replies.classifier import default_model

OPT_OUTS = {
    "en": [
        "Please delete me from your database.",
        "Take my address off your mailing list.",
        "REMOVE ME",
        "I want to be removed.",
        "Stop sending me these emails.",
        "Quit emailing me.",
        "Please don't send me anything else.",
        "Not interested, and I don't want any more emails.",
        "Do not contact me again.",
        "UNSUBSCRIBE",
        "I object to you using my data for marketing.",
        "I withdraw my consent.",
        "This is spam.",
        "How many times do I have to tell you? Not interested.",
        "I will report you.",
        "I never asked for these emails.",
        "Leave me alone.",
        "STOP",
    ],
    "de": [
        "Löschen Sie mich bitte aus Ihrer Datenbank.",
        "Entfernen Sie mich aus Ihrem Verteiler.",
        "Ich möchte gelöscht werden.",
        "Kein Interesse. Bitte nicht mehr kontaktieren.",
        "Ich will nicht weiter angeschrieben werden.",
        "KEINE E-MAILS MEHR!",
        "Ich widerspreche der Nutzung meiner Daten.",
        "Hiermit lege ich Widerspruch gegen die Verarbeitung ein.",
        "Ich verlange die Löschung meiner Daten nach Art. 17 DSGVO.",
        "Das ist Spam.",
        "Wie oft muss ich Ihnen das noch sagen?",
        "Ich habe diese Mails nie angefordert.",
        "Bitte austragen, danke.",
    ],
    "fr": [
        "Supprimez-moi de votre liste.",
        "Retirez-moi de vos fichiers.",
        "Je souhaite être retiré de votre liste.",
        "Pas intéressé, ne me recontactez plus.",
        "Merci de ne plus me contacter.",
        "Je m'oppose à l'utilisation de mes données.",
        "Je demande l'effacement de mes données.",
        "C'est du spam.",
        "Combien de fois faut-il vous le dire ?",
        "DÉSINSCRIVEZ-MOI",
        "Je n'ai jamais demandé à recevoir ces messages.",
    ],
    "es": [
        "Quiero que me borren de su base de datos.",
        "No me interesa, no me escriban más.",
        "Dejen de enviarme correos.",
        "Quiero ser eliminado de su lista.",
        "Me opongo al uso de mis datos.",
        "Solicito la supresión de mis datos.",
        "Esto es spam.",
        "¿Cuántas veces tengo que decirlo?",
        "Por favor, denme de baja.",
        "Nunca pedí recibir estos correos.",
    ],
    "nl": [
        "Verwijder mij uit jullie bestand.",
        "Haal mijn adres van de lijst.",
        "Ik wil verwijderd worden.",
        "Geen interesse, ik wil niet meer benaderd worden.",
        "Ik maak bezwaar tegen het gebruik van mijn gegevens.",
        "Graag verwijdering van mijn gegevens.",
        "Dit is spam.",
        "Hoe vaak moet ik dit nog zeggen?",
        "AFMELDEN",
        "Ik heb nooit om deze mails gevraagd.",
    ],
    "it": [
        "Rimuovetemi dalla vostra lista.",
        "Voglio essere cancellato.",
        "Non mi interessa, non scrivetemi più.",
        "Non voglio ricevere altre email.",
        "Mi oppongo all'uso dei miei dati.",
        "Chiedo la cancellazione dei miei dati.",
        "Questo è spam.",
        "Quante volte devo ripeterlo?",
        "Disiscrivetemi.",
        "Non ho mai chiesto di ricevere queste email.",
    ],
    "pt": [
        "Removam-me.",
        "Quero ser removido da lista.",
        "Tirem o meu email da vossa base de dados.",
        "Não tenho interesse, não me enviem mais emails.",
        "Oponho-me ao uso dos meus dados.",
        "Peço a eliminação dos meus dados.",
        "Isto é spam.",
        "Quantas vezes tenho de dizer?",
        "Quero cancelar inscrição.",
        "Nunca pedi para receber esses emails.",
    ],
}

# A decline with an opt-out in it: the negation of the decline never reaches the opt-out.
DECLINES_WITH_AN_OPT_OUT = [
    "No thanks, not interested. Please do not email me again.",
    "Kein Interesse, bitte nehmen Sie mich aus dem Verteiler.",
    "Non merci, pas intéressé. Désinscrivez-moi.",
    "No nos interesa, no nos contacten más.",
    "Geen interesse, niet meer mailen a.u.b.",
    "Non siamo interessati, cancellateci dalla lista.",
    "Não temos interesse, descadastrem-nos por favor.",
]

# Words an opt-out uses, in replies that ask for no removal.
NO_OPT_OUT = [
    "Can your tool remove duplicates from our database?",
    "How do you keep emails out of the spam folder?",
    "Feel free to contact me again in the spring.",
    "I don't object to a call next week.",
    "Das ist kein Widerspruch: wir nutzen beide Tools.",
    "Ich melde sie gerne für die Demo an.",
    "Wie oft muss man das Tool konfigurieren?",
    "Je ne m'oppose pas à une démo.",
    "No me opongo, hablemos el jueves.",
    "Ik heb geen bezwaar tegen een gesprek.",
    "Non mi oppongo a una chiamata.",
    "Can you share a sample of the report you'd produce?",
    "Ik heb een naam uit de lijst gekozen voor de demo.",
    "Could you take us through the pricing on a call?",
    "Do you have any more of your case studies?",
    "Don't send me anything before Monday, I'm travelling.",
    "Nehmen Sie uns gerne in die Demo auf.",
    "Können Duplikate automatisch entfernt werden?",
    "Les doublons peuvent-ils être supprimés de la base ?",
    "¿Pueden ser eliminados los duplicados?",
    "Kunnen dubbele contacten automatisch verwijderd worden?",
    "I duplicati possono essere rimossi?",
    "Os duplicados podem ser removidos automaticamente?",
]

DATA_REQUESTS = {
    "en": [
        "Where did you get our email address?",
        "Who gave you my number?",
        "What data do you hold about me?",
        "What is the source of my data?",
        "Please answer my request under Art. 15 GDPR.",
        "How did you get hold of us?",
        "Which list am I on?",
    ],
    "de": [
        "Woher haben Sie unsere Adresse?",
        "Wer hat Ihnen meine Nummer gegeben?",
        "Welche Daten speichern Sie über mich?",
        "Ich mache mein Auskunftsrecht nach Art. 15 DSGVO geltend.",
        "Was ist die Herkunft meiner Daten?",
    ],
    "fr": [
        "Où avez-vous trouvé notre adresse ?",
        "Quelles données détenez-vous sur moi ?",
        "Quelle est la provenance de mes coordonnées ?",
        "J'exerce mon droit d'accès.",
    ],
    "es": [
        "¿De dónde sacaron nuestro correo?",
        "¿Quién les dio mi número?",
        "¿Qué datos guardan sobre mí?",
        "Ejerzo mi derecho de acceso.",
    ],
    "nl": [
        "Waar hebben jullie ons adres vandaan?",
        "Welke gegevens bewaren jullie over mij?",
        "Wat is de bron van mijn gegevens?",
    ],
    "it": [
        "Dove avete preso il nostro indirizzo?",
        "Chi vi ha dato il mio numero?",
        "Qual è la fonte dei miei dati?",
        "Esercito il diritto di accesso.",
    ],
    "pt": [
        "Onde conseguiram o nosso email?",
        "Quem vos deu o meu contacto?",
        "Quais dados vocês guardam sobre mim?",
        "Solicito, nos termos do art. 18 da LGPD, a confirmação do tratamento.",
        "Qual é a origem dos meus dados?",
    ],
}


def _cases(by_language: dict[str, list[str]]) -> list[tuple[str, str]]:
    return [(lang, text) for lang, texts in by_language.items() for text in texts]


@pytest.mark.parametrize(("lang", "text"), _cases(OPT_OUTS))
def test_an_opt_out_in_any_form_is_an_unsubscribe_by_rule(lang: str, text: str):
    prediction = default_model().predict(text, "Re: our note")
    assert prediction.label is ReplyClass.unsubscribe
    assert prediction.rule is not None and prediction.rule.startswith("unsubscribe.")


@pytest.mark.parametrize("text", DECLINES_WITH_AN_OPT_OUT)
def test_a_decline_with_an_opt_out_is_an_unsubscribe(text: str):
    prediction = default_model().predict(text, "Re: our note")
    assert prediction.label is ReplyClass.unsubscribe


@pytest.mark.parametrize("text", NO_OPT_OUT)
def test_opt_out_words_without_an_opt_out_decide_nothing(text: str):
    assert phrases.opt_out("Re: our note", text) is None


@pytest.mark.parametrize(("lang", "text"), _cases(DATA_REQUESTS))
def test_a_data_request_is_flagged_in_any_form(lang: str, text: str):
    assert data_requests.data_request(text) is not None
    prediction = default_model().predict(text, "Re: our note")
    assert (prediction.label, prediction.data_request) == (ReplyClass.question, True)


# Opt-outs without the usual words: follow-ups refused, "leave me alone", "take my address out".
WITHOUT_THE_USUAL_WORDS = {
    "en": [
        "Stop following up, please.",
        "Please lose my email address.",
        "Kindly refrain from contacting me.",
        "I'd rather not hear from you again.",
    ],
    "de": ["Nehmen Sie meine Adresse bitte raus.", "Lassen Sie mich in Ruhe."],
    "fr": ["Laissez-moi tranquille.", "Merci de ne plus m'écrire, ni ici ni ailleurs."],
    "es": [
        "Dadme de baja.",
        "Quitadme de la lista.",
        "Os pido que no me volváis a escribir.",
        "No quiero ni un correo más.",
    ],
    "nl": ["Laat me met rust.", "Ik wil deze mails niet meer ontvangen."],
    "it": ["Lasciatemi in pace.", "Basta email, grazie."],
    "pt": ["Me deixem em paz.", "Chega de emails."],
}
# A request to erase the person's data: an opt-out, and a data request to answer within a month.
ERASURES = {
    "en": ["Please erase all personal data you hold about me.", "Delete me from your database."],
    "de": [
        "Bitte löschen Sie meine personenbezogenen Daten.",
        "Ich verlange die Löschung meiner Daten.",
    ],
    "fr": ["Supprimez mes coordonnées.", "Je demande l'effacement des données me concernant."],
    "es": ["Borren mis datos, por favor.", "Ejerzo mi derecho de supresión."],
    "nl": ["Verwijder al mijn persoonsgegevens.", "Ik beroep me op mijn recht op vergetelheid."],
    "it": ["Cancellate i miei dati.", "Chiedo la cancellazione dei dati personali."],
    "pt": ["Apaguem os meus dados.", "Solicito a eliminação de todos os meus dados pessoais."],
}
# Where we got "this address", where it came from, told in more ways.
MORE_DATA_REQUESTS = {
    "en": ["Where did you get this email address?", "I'd like to know where you sourced it."],
    "de": ["Wie sind Sie an unsere Adresse gekommen?"],
    "fr": [
        "Comment avez-vous obtenu cette adresse ?",
        "Conformément aux articles 15 et 17 du RGPD, communiquez-moi les données me concernant.",
    ],
    "es": ["Les ruego que me indiquen el origen de los datos."],
    "nl": ["Hoe bent u aan mijn gegevens gekomen?"],
    "it": ["Come avete avuto il mio contatto?"],
    "pt": ["De onde vieram os meus dados?", "Como é que conseguiram o meu email?"],
}
# No request about the person's data, though it speaks of data, addresses or removal.
NO_DATA_REQUEST = [
    "Please remove me from your mailing list.",
    "Where does your data come from, and how often is it refreshed?",
    "Can you delete duplicates from our CRM?",
    "Is it GDPR compliant? Where is the data stored?",
    "Haal me van jullie lijst af.",
    "Retirem o meu e-mail da vossa lista.",
    # A supplier self-disclosure form is about a company.
    "Bitte füllen Sie vorab unsere Lieferanten-Selbstauskunft aus.",
]


@pytest.mark.parametrize(("lang", "text"), _cases(WITHOUT_THE_USUAL_WORDS))
def test_an_opt_out_without_the_usual_words_is_read(lang: str, text: str):
    assert phrases.opt_out("Re: our note", text) is not None


@pytest.mark.parametrize(("lang", "text"), _cases(ERASURES))
def test_an_erasure_request_is_an_opt_out_and_a_data_request(lang: str, text: str):
    prediction = default_model().predict(text, "Re: our note")
    assert (prediction.label, prediction.data_request) == (ReplyClass.unsubscribe, True)


@pytest.mark.parametrize(("lang", "text"), _cases(MORE_DATA_REQUESTS))
def test_more_data_requests_are_flagged(lang: str, text: str):
    assert data_requests.data_request(text) is not None


@pytest.mark.parametrize("text", NO_DATA_REQUEST)
def test_no_data_request_in_a_plain_removal_or_a_product_question(text: str):
    assert data_requests.data_request(text) is None


# Questions about what we sell that hold an opt-out phrase: nothing is asked of the person.
ASKED_OF_OUR_PRODUCT = [
    ("de", "Wie läuft bei Ihnen die Abmeldung technisch? Per Link im Footer?"),
    ("en", "Does your platform handle unsubscribe requests for our own customers?"),
    ("it", "La vostra piattaforma gestisce le richieste di cancellazione dei dati (art. 17 GDPR)?"),
    ("fr", "Votre outil gère-t-il les désinscriptions et les demandes de suppression ?"),
]
# The same words with the person in them stay an opt-out.
STILL_OPT_OUTS = [
    "Can your system remove me from the list?",
    "How do I unsubscribe?",
    "Why do you keep emailing me? Remove me.",
]


@pytest.mark.parametrize(("lang", "text"), ASKED_OF_OUR_PRODUCT)
def test_an_opt_out_phrase_in_a_question_about_our_product_is_not_an_opt_out(
    lang: str, text: str
) -> None:
    reading = phrases.read_opt_out("Re: our note", text)
    assert reading.match is None
    assert any(why.startswith("asked of our product: ") for why in reading.set_aside)


@pytest.mark.parametrize("text", STILL_OPT_OUTS)
def test_an_opt_out_asked_as_a_question_about_the_person_stands(text: str) -> None:
    assert phrases.opt_out("Re: our note", text) is not None


def test_an_unsubscribe_line_of_the_prospects_own_footer_is_not_an_opt_out() -> None:
    text = (
        "--\nRachel Nguyen\nOffice Manager\n"
        "To unsubscribe from Harbor & Vane client alerts, visit harborvane.com/preferences."
    )
    reading = phrases.read_opt_out("Re: our note", text)
    assert reading.match is None
    assert reading.set_aside == ("a mailing's footer: unsubscribe",)
    assert phrases.opt_out("Re: our note", "I want to unsubscribe from your emails.") is not None
