"""Headers in seven languages, `--map`, and numbers with each office's separators."""

from __future__ import annotations

import pytest

from cam.leads.headers import parse_mapping
from cam.leads.numbers import plain_number
from cam.leads.rows import ColumnMap, HeaderError


@pytest.mark.parametrize(
    "header",
    [
        ["First Name", "Last Name", "Company", "Job Title", "Email", "Phone", "Country"],
        ["Vorname", "Nachname", "Firma", "Position", "E-Mail-Adresse", "Telefon", "Land"],
        ["Prénom", "Nom", "Société", "Fonction", "Adresse e-mail", "Téléphone", "Pays"],
        ["Nombre", "Apellidos", "Empresa", "Cargo", "Correo electrónico", "Teléfono", "País"],
        ["Voornaam", "Achternaam", "Bedrijf", "Functie", "E-mailadres", "Telefoon", "Land"],
        ["Nome", "Cognome", "Azienda", "Ruolo", "Indirizzo email", "Telefono", "Paese"],
        ["Nome", "Sobrenome", "Empresa", "Cargo", "Endereço de e-mail", "Telefone", "País"],
    ],
)
def test_each_office_s_headers_give_the_same_fields(header: list[str]) -> None:
    columns = ColumnMap.from_header(header)
    fields = dict(columns.understood)
    read = [fields.get(name, name) for name in header]
    expected = ["first_name", "last_name", "company", "title", "email", "phone", "country"]
    assert read == expected
    assert columns.kept == ()


def test_a_map_names_what_no_table_knows_and_the_rest_is_kept() -> None:
    header = ["Mail", "Spalte", "Notiz", "Mitarbeiter", "Zuständig"]
    columns = ColumnMap.from_header(header, parse_mapping(["Spalte=company"]))
    assert columns.understood == (
        ("Mail", "email"),
        ("Spalte", "company"),
        ("Mitarbeiter", "employees"),
        ("Zuständig", "owner"),
    )
    assert columns.kept == ("Notiz",)
    with pytest.raises(HeaderError, match="--map names 'Spalten', not a column"):
        ColumnMap.from_header(header, {"Spalten": "company"})
    with pytest.raises(HeaderError, match=r"no email column .* --map"):
        ColumnMap.from_header(["Adresse", "Nom"])
    with pytest.raises(ValueError, match="expected Column=field"):
        parse_mapping(["Spalte"])


@pytest.mark.parametrize(
    ("written", "number"),
    [
        ("1.200", "1200"),
        ("1 200", "1200"),
        ("1\u202f200", "1200"),
        ("1,200", "1200"),
        ("1.200,5", "1200.5"),
        ("1,200.5", "1200.5"),
        ("1'200", "1200"),
        ("1.200.000", "1200000"),
        ("1,5", "1.5"),
        ("12.75", "12.75"),
        ("0.500", "0.5"),
        ("250", "250"),
        ("51-200", None),
        ("viele", None),
    ],
)
def test_numbers_as_offices_write_them(written: str, number: str | None) -> None:
    assert plain_number(written) == number
