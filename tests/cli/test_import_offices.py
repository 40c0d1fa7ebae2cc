"""`cam leads import` of spreadsheets from a German and a French office, as Excel saves them."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from cam.core.db import make_engine, session_factory, unit_of_work
from cam.core.models import Lead
from cam.core.settings import DATA_DIR
from tests.cli.helpers import cam_in_process

PASSWORDS = {
    "MAYA_SMTP_PASSWORD": "a",
    "MAYA_IMAP_PASSWORD": "b",
    "JONAS_SMTP_PASSWORD": "c",
    "JONAS_IMAP_PASSWORD": "d",
}
GERMAN = [
    ["Vorname", "Nachname", "Firma", "E-Mail-Adresse", "Position", "Mitarbeiter", "Zuständig",
     "Spalte", "Notiz"],
    ["Jürgen", "Groß", "Bäckerei Groß GmbH", "jurgen@baeckerei-gross.de", "Geschäftsführer",
     "1.200", "maya", "Nahrung", "über Messe"],
    ["Anna", "Weiß", "Weiß & Söhne", "anna@weiss-soehne.de", "Vertriebsleiterin", "85",
     "petra", "Handel", ""],
    ["Ömer", "Çelik", "Çelik AG", "kein-at-zeichen", "CEO", "12", "jonas", "", ""],
]  # fmt: skip
FRENCH = [
    ["Prénom", "Nom", "Société", "Adresse e-mail", "Effectif", "Propriétaire", "Téléphone"],
    ["Élodie", "Lefèvre", "Société Générale de Pâtes", "elodie@pates.fr", "1\u202f200,5",
     "U0456JONAS", "+33 1 23 45 67 89"],
]  # fmt: skip


def _write(path: Path, rows: list[list[str]], encoding: str) -> Path:
    with path.open("w", encoding=encoding, newline="") as file:
        csv.writer(file, delimiter=";").writerows(rows)
    return path


def _leads(url: str) -> dict[str, Lead]:
    engine = make_engine(url)
    try:
        with unit_of_work(session_factory(engine)) as session:
            leads = list(session.scalars(select(Lead)))
            session.expunge_all()
    finally:
        engine.dispose()
    return {lead.email: lead for lead in leads}


def test_a_german_excel_file_imports_with_its_own_headers(tmp_path: Path, db_url: str) -> None:
    url = db_url
    (tmp_path / "mailboxes.toml").write_text((DATA_DIR / "mailboxes.example.toml").read_text())
    env = {"DATABASE_URL": url, "CAM_MAILBOXES_FILE": "mailboxes.toml"} | PASSWORDS
    _write(tmp_path / "kontakte.csv", GERMAN, "cp1252")
    done = cam_in_process(
        tmp_path,
        "leads",
        "import",
        "kontakte.csv",
        "--map",
        "Spalte=industry",
        COLUMNS="300",
        **env,
    )
    assert done.returncode == 0, done.stderr
    out = " ".join(done.stdout.split())
    assert (
        "Columns read as: Vorname -> first_name, Nachname -> last_name, Firma -> company, "
        "E-Mail-Adresse -> email, Position -> title, Mitarbeiter -> employees, "
        "Zuständig -> owner, Spalte -> industry"
    ) in out
    assert "Kept as custom fields: Notiz" in out
    leads = _leads(url)
    assert list(leads) == ["jurgen@baeckerei-gross.de"]
    jurgen = leads["jurgen@baeckerei-gross.de"]
    assert (jurgen.first_name, jurgen.last_name, jurgen.company, jurgen.title) == (
        "Jürgen",
        "Groß",
        "Bäckerei Groß GmbH",
        "Geschäftsführer",
    )
    assert jurgen.custom_fields == {
        "employees": "1200",
        "owner": "maya",
        "industry": "Nahrung",
        "Notiz": "über Messe",
    }
    # The errors come back as the file came: semicolons, Windows-1252, one column each.
    raw = (tmp_path / "kontakte-errors.csv").read_bytes()
    assert raw.decode("cp1252").splitlines()[0].split(";")[:3] == ["line", "error", "Vorname"]
    rows = list(csv.reader(raw.decode("cp1252").splitlines(), delimiter=";"))
    assert [row[0] for row in rows[1:]] == ["3", "4"]
    assert rows[1][1].startswith("unknown owner 'petra': not a mailbox of the mailboxes file")
    assert "jonas, maya" in rows[1][1] and "--owner-fallback spread" in rows[1][1]
    assert rows[1][2:] == GERMAN[2]

    spread = cam_in_process(
        tmp_path, "leads", "import", "kontakte.csv", "--owner-fallback", "spread", **env
    )
    assert spread.returncode == 0, spread.stderr
    assert "1 rows name an owner with no mailbox (petra)" in " ".join(spread.stdout.split())
    assert "anna@weiss-soehne.de" in _leads(url)


def test_a_french_file_with_spaces_in_numbers(
    tmp_path: Path, migrated_sqlite: Callable[[Path], str]
) -> None:
    url = migrated_sqlite(tmp_path / "cam.db")
    _write(tmp_path / "contacts.csv", FRENCH, "utf-8-sig")
    done = cam_in_process(
        tmp_path, "leads", "import", "contacts.csv", COLUMNS="300", DATABASE_URL=url
    )
    assert done.returncode == 0, done.stderr
    assert "Prénom -> first_name, Nom -> last_name, Société -> company" in done.stdout
    elodie = _leads(url)["elodie@pates.fr"]
    assert (elodie.first_name, elodie.last_name) == ("Élodie", "Lefèvre")
    assert elodie.custom_fields == {
        "employees": "1200.5",
        "owner": "U0456JONAS",
        "phone": "+33 1 23 45 67 89",
    }
    wrong = cam_in_process(
        tmp_path, "leads", "import", "contacts.csv", "--map", "Société", DATABASE_URL=url
    )
    assert wrong.returncode == 2
    assert "expected Column=field" in " ".join(wrong.stderr.split())
