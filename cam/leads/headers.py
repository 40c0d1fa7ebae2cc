"""The column headers people give each lead field, in the seven languages of a European office.

A spreadsheet exported in Munich says `Vorname`, one from Lyon `Prénom`: both are `first_name`.
Headers are compared without case, accents, spaces, `_` or `-`, so `E-Mail-Adresse`, `email
address` and `Correo electrónico` need one entry each. Words that mean something else in
another office are left out (German `Titel` is an academic title, `Mobil` a second phone);
`--map "Column=field"` names anything this table does not know.
"""

from __future__ import annotations

import re
import unicodedata

# Fields stored in the lead's own columns.
LEAD_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "full_name",
    "company",
    "title",
    "timezone",
    "linkedin_url",
    "source",
)
# Fields kept among the custom fields, under these names (scoring and the owner rule read them).
CUSTOM_FIELDS = ("phone", "country", "employees", "owner")
# Custom fields whose value is a number written with the office's separators (`1.200`).
NUMBER_FIELDS = frozenset({"employees"})

# Field -> its headers in en, de, fr, es, nl, it, pt (in that order, where they differ).
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "email": (
        "email", "e-mail", "email address", "e-mail address", "mail", "work email",
        "e-mail-adresse", "emailadresse", "mailadresse",
        "courriel", "adresse e-mail", "adresse email", "adresse mail",
        "correo", "correo electronico", "direccion de correo",
        "e-mailadres", "mailadres",
        "indirizzo email", "indirizzo e-mail", "posta elettronica",
        "endereco de email", "endereco de e-mail", "correio eletronico", "correio electronico",
    ),
    "first_name": (
        "first name", "firstname", "given name",
        "vorname",
        "prenom",
        "nombre", "nombre de pila",
        "voornaam", "roepnaam",
        "nome", "nome proprio",
        "primeiro nome",
    ),
    "last_name": (
        "last name", "lastname", "surname", "family name",
        "nachname", "familienname",
        "nom", "nom de famille",
        "apellido", "apellidos",
        "achternaam",
        "cognome",
        "sobrenome", "apelido", "ultimo nome",
    ),
    "full_name": (
        "name", "full name", "contact name",
        "vollstandiger name", "kontaktname",
        "nom complet",
        "nombre completo",
        "naam", "volledige naam",
        "nome completo",
    ),
    "company": (
        "company", "company name", "organization", "organisation", "account",
        "firma", "unternehmen", "firmenname",
        "societe", "entreprise", "raison sociale",
        "empresa", "compania", "nombre de la empresa",
        "bedrijf", "bedrijfsnaam", "organisatie",
        "azienda", "societa", "ragione sociale",
        "companhia", "nome da empresa",
    ),
    "title": (
        "title", "job title", "position", "role",
        "berufsbezeichnung", "jobtitel", "funktion", "stellenbezeichnung",
        "titre", "poste", "fonction", "intitule du poste",
        "cargo", "puesto",
        "functie", "functietitel",
        "ruolo", "qualifica", "posizione",
        "funcao",
    ),
    "timezone": (
        "timezone", "time zone", "tz",
        "zeitzone",
        "fuseau horaire",
        "zona horaria",
        "tijdzone",
        "fuso orario",
        "fuso horario",
    ),
    "linkedin_url": (
        "linkedin", "linkedin url", "linkedin profile",
        "linkedin profil", "linkedin-profil",
        "profil linkedin",
        "perfil de linkedin", "perfil linkedin",
        "linkedin-profiel", "linkedin profiel",
        "profilo linkedin",
        "perfil do linkedin",
    ),
    "source": (
        "source", "lead source",
        "quelle", "lead-quelle",
        "origine",
        "origen", "fuente",
        "bron",
        "fonte",
        "origem",
    ),
    "phone": (
        "phone", "phone number", "telephone", "tel",
        "telefon", "telefonnummer",
        "numero de telephone",
        "telefono", "numero de telefono",
        "telefoon", "telefoonnummer",
        "numero di telefono",
        "telefone", "numero de telefone",
    ),
    "country": (
        "country",
        "land",
        "pays",
        "pais",
        "paese", "nazione",
    ),
    "employees": (
        "employees", "number of employees", "employee count", "headcount", "company size",
        "mitarbeiter", "mitarbeiterzahl", "anzahl mitarbeiter", "beschaftigte",
        "employes", "effectif", "nombre d'employes", "nombre de salaries",
        "empleados", "numero de empleados",
        "medewerkers", "werknemers", "aantal medewerkers",
        "dipendenti", "numero di dipendenti",
        "funcionarios", "numero de funcionarios", "empregados",
    ),
    "owner": (
        "owner", "lead owner", "contact owner", "account owner", "sales rep",
        "kontaktinhaber", "zustandig", "verantwortlich", "betreuer",
        "proprietaire", "responsable", "commercial",
        "propietario", "comercial",
        "eigenaar", "accountmanager",
        "proprietario", "responsabile", "commerciale",
        "responsavel", "vendedor",
    ),
}  # fmt: skip

_SEPARATORS = re.compile(r"[\s_\-]+")


def header_key(header: str) -> str:
    """A header as compared: no case, accents, spaces, `_` or `-` (`E-Mail-Adresse`)."""
    bare = unicodedata.normalize("NFKD", header.strip().lstrip("\ufeff").lower())
    return _SEPARATORS.sub("", "".join(c for c in bare if not unicodedata.combining(c)))


FIELD_BY_KEY = {header_key(a): f for f, aliases in FIELD_ALIASES.items() for a in (f, *aliases)}

_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    """Read `Column=field` pairs (`--map "Spalte=company"`); raise ValueError saying the fix.

    A field the table knows fills that field; any other name is a custom field of that name
    (`Branche=industry`), as the scoring file's rules read them.
    """
    mapping: dict[str, str] = {}
    for pair in pairs:
        column, equals, target = pair.rpartition("=")
        column, target = column.strip(), target.strip().lower()
        if not equals or not column or not _FIELD_NAME.match(target):
            known = ", ".join((*LEAD_FIELDS, *CUSTOM_FIELDS))
            raise ValueError(
                f"expected Column=field, such as Spalte=company, not {pair!r} "
                f"(fields: {known}, or a custom field name in lower case)"
            )
        mapping[column] = target
    return mapping
