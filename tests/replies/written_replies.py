"""A person's reply in one of our seven languages, our message quoted below it, as it arrives."""

from __future__ import annotations

from email.message import EmailMessage

from cam.core.settings import DATA_DIR
from cam.replies.parser import parse_reply
from cam.replies.rules import Classification, classify, load_rules
from tests.replies.reply_corpus import TODAY

RULES = load_rules(DATA_DIR / "replies.toml")
# Our first message as each language's mail client quotes it under a reply.
QUOTED = {
    "en": "On Tue, 3 Nov 2026 at 10:02, Maya Jensen <maya@acme.example> wrote:\n"
    "> Hi, would a 20-minute review of your lead handling be useful?",
    "de": "Am Di., 3. Nov. 2026 um 10:02 Uhr schrieb Maya Jensen <maya@acme.example>:\n"
    "> Hallo, wäre ein kurzer Austausch sinnvoll?",
    "fr": "Le mar. 3 nov. 2026 à 10:02, Maya Jensen <maya@acme.example> a écrit :\n"
    "> Bonjour, un audit de 20 minutes vous serait-il utile ?",
    "es": "El mar, 3 nov 2026 a las 10:02, Maya Jensen (<maya@acme.example>) escribió:\n"
    "> Hola, ¿te sería útil una revisión de 20 minutos?",
    "nl": "Op di 3 nov. 2026 om 10:02 schreef Maya Jensen <maya@acme.example>:\n"
    "> Hoi, zou een korte review nuttig zijn?",
    "it": "Il giorno mar 3 nov 2026 alle ore 10:02 Maya Jensen <maya@acme.example> ha scritto:\n"
    "> Buongiorno, le sarebbe utile una revisione di 20 minuti?",
    "pt": "Em ter., 3 de nov. de 2026 às 10:02, Maya Jensen <maya@acme.example> escreveu:\n"
    "> Olá, seria útil uma revisão de 20 minutos?",
}


def read(lang: str, text: str, subject: str = "Re: 20 minutes") -> Classification:
    """A person's reply, our message quoted below it, as it arrives: parsed and classified."""
    message = EmailMessage()
    message["From"] = "Prospect <prospect@customer.example>"
    message["To"] = "Maya Jensen <maya@acme.example>"
    message["Subject"] = subject
    message["Message-ID"] = "<reply.1@customer.example>"
    message["Date"] = "Wed, 4 Nov 2026 09:00:00 +0100"
    message.set_content(f"{text}\n\n{QUOTED[lang]}\n")
    return classify(parse_reply(bytes(message)), RULES, today=TODAY)
