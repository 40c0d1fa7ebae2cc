"""Return dates in our seven languages, absolute and relative, from CLDR's names (Babel)."""

from __future__ import annotations

from datetime import date

import pytest

from cam.core.models import ReplyClass
from cam.core.settings import DATA_DIR
from cam.replies.dates import MONTHS, RELATIVE, WEEKDAYS, find_return_date
from cam.replies.parser import parse_reply
from cam.replies.rules import classify, load_rules

RULES = load_rules(DATA_DIR / "replies.toml")
ANCHORS = RULES.source.auto_reply.return_words
# A Wednesday.
WRITTEN = date(2026, 11, 25)

CASES = [
    # English
    ("en", "I'm out of office, back on Monday.", date(2026, 11, 30)),
    ("en", "Away until the 3rd, with limited access to email.", date(2026, 12, 3)),
    ("en", "Back tomorrow.", date(2026, 11, 26)),
    ("en", "On leave until December 3rd, 2026.", date(2026, 12, 3)),
    # German
    ("de", "Ab dem 3. bin ich wieder im Büro.", date(2026, 12, 3)),
    ("de", "Ich bin bis Freitag, den 4. Dezember nicht im Haus.", date(2026, 12, 4)),
    ("de", "Ab morgen wieder erreichbar.", date(2026, 11, 26)),
    ("de", "Bis 3. Januar im Urlaub, ab dem 4. Januar wieder da.", date(2027, 1, 4)),
    ("de", "Ich bin bis nächste Woche nicht im Büro.", date(2026, 11, 30)),
    # French
    ("fr", "Je serai de retour dès le lundi 7 décembre.", date(2026, 12, 7)),
    ("fr", "Absente, je serai de retour dès le lundi 7.", date(2026, 12, 7)),
    ("fr", "En congé jusqu'au 1er décembre.", date(2026, 12, 1)),
    ("fr", "De retour la semaine prochaine.", date(2026, 11, 30)),
    # Spanish
    ("es", "Estoy de vacaciones hasta el 3 de diciembre de 2026.", date(2026, 12, 3)),
    ("es", "Vuelvo el lunes.", date(2026, 11, 30)),
    ("es", "Fuera de la oficina hasta el 9.", date(2026, 12, 9)),
    # Dutch
    ("nl", "Ik ben met vakantie tot 3 maart.", date(2027, 3, 3)),
    ("nl", "Vanaf maandag weer op kantoor.", date(2026, 11, 30)),
    ("nl", "Ik ben afwezig tot en met 2 dec.", date(2026, 12, 2)),
    # Italian
    ("it", "Sono in ferie fino al 3 dicembre.", date(2026, 12, 3)),
    ("it", "Rientro lunedì 30.", date(2026, 11, 30)),
    ("it", "Fuori ufficio, rientrerò domani.", date(2026, 11, 26)),
    # Portuguese
    ("pt", "Estou de férias até 3 de dezembro.", date(2026, 12, 3)),
    ("pt", "Estou fora do escritório até segunda-feira.", date(2026, 11, 30)),
    ("pt", "Regresso a 2 de janeiro.", date(2027, 1, 2)),
]


@pytest.mark.parametrize(("lang", "text", "expected"), CASES)
def test_return_date_in_each_language(lang: str, text: str, expected: date) -> None:
    found = find_return_date(text, today=WRITTEN, anchors=ANCHORS)
    assert found is not None, lang
    assert found[0] == expected, (lang, found)


@pytest.mark.parametrize(
    "text",
    [
        "Können wir bis 14 Uhr telefonieren?",
        "Call me Monday at 9am.",
        "Guten Morgen, danke für die Nachricht.",
        "Le 7 est un bon chiffre.",
    ],
)
def test_times_and_words_without_a_return_word_are_no_dates(text: str) -> None:
    assert find_return_date(text, today=WRITTEN, anchors=ANCHORS) is None


def test_names_come_from_cldr_for_every_language() -> None:
    assert {MONTHS[m] for m in ("dicembre", "dezembro", "december", "decembre", "dez")} == {12}
    assert {WEEKDAYS[d] for d in ("lunedi", "segunda", "maandag", "montag", "lunes")} == {0}
    assert {"tomorrow", "morgen", "demain", "manana", "domani", "amanha"} <= set(RELATIVE)


def test_a_relative_date_is_read_from_the_day_the_notice_was_written() -> None:
    raw = (
        b"From: a@x.example\r\nSubject: Automatic reply\r\nDate: Fri, 20 Nov 2026 08:00:00 +0000"
        b"\r\nAuto-Submitted: auto-replied\r\n\r\nI am out of the office, back on Tuesday.\r\n"
    )
    verdict = classify(parse_reply(raw), RULES, today=WRITTEN)
    assert verdict.kind is ReplyClass.out_of_office
    # The Tuesday after Friday 20 November, not after the day it was read.
    assert verdict.return_date == date(2026, 11, 24)
