"""CSV import through a real database (SQLite and PostgreSQL): rows, errors, dedupe, files."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from cam.core.db import SessionFactory, unit_of_work
from cam.core.models import Event, Lead, LeadStatus
from cam.leads.event_payloads import LeadsImported
from cam.leads.importer import FIELD_LIMIT, LINE_LIMIT, ImportFileError, import_leads
from tests.cli.helpers import lead_count, lead_emails, read_errors, write_csv

HEADER = ["E-mail", "First Name", "last_name", "Organization", "Job Title", "Industry"]


def test_maps_headers_and_keeps_unknown_columns(sessions: SessionFactory, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "leads.csv",
        [
            [*HEADER, "Time Zone", "LinkedIn URL", "Lead Source"],
            [
                " Ann.Lee@Acme.COM ",
                "Ann",
                "Lee",
                "Acme",
                "VP Sales",
                "Software",
                "Europe/Berlin",
                "https://linkedin.com/in/ann",
                "webinar",
            ],
            ["bob@globex.io", "Bob", "Stone", "Globex", "CTO", "", "", "", ""],
        ],
    )
    result = import_leads(sessions, path)
    assert (result.rows, result.imported, result.rejected) == (2, 2, 0)
    assert result.errors_file is None
    with unit_of_work(sessions) as session:
        ann, bob = session.scalars(select(Lead).order_by(Lead.id)).all()
    assert ann.email == "ann.lee@acme.com"
    assert (ann.first_name, ann.last_name, ann.company, ann.title) == (
        "Ann",
        "Lee",
        "Acme",
        "VP Sales",
    )
    assert (ann.domain, ann.timezone, ann.source) == ("acme.com", "Europe/Berlin", "webinar")
    assert ann.linkedin_url == "https://linkedin.com/in/ann"
    assert ann.custom_fields == {"Industry": "Software"}
    assert ann.status is LeadStatus.new and ann.score == 0 and ann.score_reasons == []
    assert bob.custom_fields == {} and bob.timezone is None and bob.linkedin_url is None
    assert bob.source == "csv:leads.csv"
    assert ann.created_at.tzinfo is not None


def test_full_name_column_is_split(sessions: SessionFactory, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "n.csv", [["Name", "Email"], ["Mary Ann Smith", "mary@acme.com"]])
    import_leads(sessions, path)
    with unit_of_work(sessions) as session:
        lead = session.scalars(select(Lead)).one()
    assert (lead.first_name, lead.last_name) == ("Mary", "Ann Smith")


def test_bad_rows_are_reported_by_line_and_written_safely(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "bad.csv",
        [
            HEADER,
            ["ok@acme.com", "Ok", "Row", "Acme", "VP Sales", "note\nover two lines"],
            ["not-an-email", "=cmd|' /C calc'!A0", "x", "+1 555", "-2", "@SUM(A1)"],
            ["", "Empty", "Email", "Acme", "CEO", ""],
            ["short@acme.com", "Too", "Few"],
            ["long@acme.com", "Too", "Many", "Acme", "CEO", "", "extra"],
            ["tz@acme.com", "T", "Z", "Acme", "CEO", "\tTabbed"],
            ["two@@acme.com", "A", "B", "C", "D", "\rcarriage"],
        ],
    )
    errors_path = tmp_path / "bad-errors.csv"
    result = import_leads(sessions, path, errors_path=errors_path)
    assert (result.rows, result.imported, result.invalid) == (7, 2, 5)
    # The header is line 1 and the second record spans lines 2-3.
    lines = {error.line: error.reason for error in result.errors}
    assert sorted(lines) == [4, 5, 6, 7, 9]
    assert lines[4].startswith("invalid email 'not-an-email'")
    assert lines[5] == "email is empty"
    assert lines[6] == "expected 6 columns, found 3"
    assert lines[7] == "expected 6 columns, found 7"
    assert "two@@acme.com" in lines[9]
    assert result.errors_file == errors_path
    written = read_errors(errors_path)
    assert written[0] == ["line", "error", *HEADER]
    formula_row = next(row for row in written if row[0] == "4")
    assert formula_row[2:] == [
        "not-an-email",
        "'=cmd|' /C calc'!A0",
        "x",
        "'+1 555",
        "'-2",
        "'@SUM(A1)",
    ]
    carriage_row = next(row for row in written if row[0] == "9")
    assert carriage_row[-1] == "'\rcarriage"
    assert lead_emails(sessions) == ["ok@acme.com", "tz@acme.com"]


def test_reimport_adds_nothing(sessions: SessionFactory, tmp_path: Path) -> None:
    rows = [HEADER] + [[f"p{i}@acme{i % 3}.com", "P", str(i), "A", "CEO", ""] for i in range(25)]
    path = write_csv(tmp_path / "again.csv", rows)
    first = import_leads(sessions, path, batch_size=10)
    second = import_leads(sessions, path, batch_size=10)
    assert (first.imported, first.already_present) == (25, 0)
    assert (second.imported, second.already_present, second.rejected) == (0, 25, 0)
    assert lead_count(sessions) == 25
    with unit_of_work(sessions) as session:
        recorded = session.scalars(
            select(Event).where(Event.name == LeadsImported.name).order_by(Event.id)
        ).all()
    assert [e.details["imported"] for e in recorded] == [25, 0]


def test_dedupes_case_insensitively_in_file_and_against_database(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    with unit_of_work(sessions) as session:
        session.add(Lead(email="known@acme.com"))
    rows = [
        HEADER,
        ["Joe@X.com", "Joe", "", "", "", ""],
        ["JOE@x.COM", "Joe", "again", "", "", ""],
        ["KNOWN@ACME.COM", "K", "", "", "", ""],
        ["a@x.com", "", "", "", "", ""],
        ["b@x.com", "", "", "", "", ""],
        # A later batch (size 2) meets the first row again, now in the database.
        ["joe@X.COM", "Joe", "third", "", "", ""],
    ]
    path = write_csv(tmp_path / "dupes.csv", rows)
    result = import_leads(sessions, path, batch_size=2, errors_path=tmp_path / "e.csv")
    assert (result.imported, result.already_present, result.duplicates_in_file) == (3, 1, 2)
    reasons = {error.line: error.reason for error in result.errors}
    assert reasons[3] == "duplicate of line 2 (joe@x.com)"
    assert reasons[7].startswith("duplicate of an earlier row")
    assert sorted(lead_emails(sessions)) == ["a@x.com", "b@x.com", "joe@x.com", "known@acme.com"]


@pytest.mark.parametrize(
    ("encoding", "expected", "noted"),
    [
        ("utf-8-sig", "utf-8-sig", False),
        ("utf-16", "utf-16", False),
        ("cp1252", "cp1252", True),
    ],
)
def test_detects_encodings(
    sessions: SessionFactory, tmp_path: Path, encoding: str, expected: str, noted: bool
) -> None:
    rows = [["Email Address", "First Name", "Company"], ["zoe@acme.com", "Zoë", "Café “Noir”"]]
    path = write_csv(tmp_path / "enc.csv", rows, encoding=encoding)
    result = import_leads(sessions, path)
    assert result.encoding == expected
    assert (result.encoding_note is not None) == noted
    if noted:
        assert "not valid UTF-8" in (result.encoding_note or "")
    with unit_of_work(sessions) as session:
        lead = session.scalars(select(Lead)).one()
    assert (lead.first_name, lead.company) == ("Zoë", "Café “Noir”")


def test_falls_back_to_latin1_when_cp1252_cannot_read_it(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    path = tmp_path / "latin.csv"
    # 0x81 is undefined in cp1252, 0xE9 is é in both.
    path.write_bytes(b"email,company\r\nan@acme.com,Caf\xe9 \x81\r\n")
    result = import_leads(sessions, path)
    assert result.encoding == "latin-1"
    assert "Latin-1" in (result.encoding_note or "")
    assert result.imported == 1


def test_a_wrong_explicit_encoding_stops_before_any_row(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes(b"email,company\r\nan@acme.com,Caf\xe9\r\n")
    with pytest.raises(ImportFileError, match="not valid utf-8"):
        import_leads(sessions, path, encoding="utf-8")
    with pytest.raises(ImportFileError, match="unknown encoding"):
        import_leads(sessions, path, encoding="klingon")
    assert lead_count(sessions) == 0


def test_nul_bytes_reject_their_row_only(sessions: SessionFactory, tmp_path: Path) -> None:
    path = tmp_path / "nul.csv"
    path.write_bytes(b"email,company\r\na@acme.com,Ac\x00me\r\nb@acme.com,Acme\r\n")
    result = import_leads(sessions, path, errors_path=tmp_path / "e.csv")
    assert [(e.line, e.reason) for e in result.errors] == [(2, "contains a NUL byte")]
    assert lead_emails(sessions) == ["b@acme.com"]
    assert read_errors(tmp_path / "e.csv")[1] == ["2", "contains a NUL byte", "a@acme.com", "Acme"]


def test_huge_fields_and_lines_are_row_errors(sessions: SessionFactory, tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with path.open("w", newline="") as file:
        file.write("email,notes\r\n")
        file.write("one@acme.com," + "x" * 1_000_000 + "\r\n")
        file.write('two@acme.com,"' + "y" * (FIELD_LIMIT + 10) + '"\r\n')
        file.write("three@acme.com," + "z" * (LINE_LIMIT + 10) + "\r\n")
        file.write("four@acme.com,fine\r\n")
    result = import_leads(sessions, path, errors_path=tmp_path / "e.csv")
    reasons = {error.line: error.reason for error in result.errors}
    assert reasons[2] == "column 'notes' is longer than 10000 characters"
    assert reasons[3].startswith("unreadable CSV: field larger than field limit")
    assert reasons[4] == f"line is longer than {LINE_LIMIT} characters"
    assert (result.rows, result.imported, result.invalid) == (4, 1, 3)
    assert lead_emails(sessions) == ["four@acme.com"]
    # The errors file keeps a cut-down copy of the long cell, not a megabyte.
    assert (tmp_path / "e.csv").stat().st_size < 50_000


def test_long_known_fields_are_row_errors(sessions: SessionFactory, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "long.csv",
        [["email", "title"], ["a@acme.com", "t" * 301], ["b@acme.com", "CEO"]],
    )
    result = import_leads(sessions, path)
    assert [e.reason for e in result.errors] == ["title is longer than 300 characters"]
    assert result.imported == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"\r\n\r\n", "the file is empty"),
        (b"name,company\r\nAnn,Acme\r\n", "no email column"),
        (b"Email,E-mail\r\na@b.com,c@d.com\r\n", "both give email"),
        (b"email,notes,notes\r\na@b.com,x,y\r\n", "'notes' appears twice"),
        (b"em\x00ail,notes\r\na@b.com,x\r\n", "header row cannot be read: contains a NUL"),
    ],
)
def test_unusable_files_raise_a_clear_error(
    sessions: SessionFactory, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFileError, match=message):
        import_leads(sessions, path)
    assert lead_count(sessions) == 0


def test_missing_file_is_a_clear_error(sessions: SessionFactory, tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match=r"cannot read .*absent\.csv"):
        import_leads(sessions, tmp_path / "absent.csv")


def test_progress_reaches_the_end(sessions: SessionFactory, tmp_path: Path) -> None:
    rows = [["email"]] + [[f"p{i}@acme.com"] for i in range(30)]
    path = write_csv(tmp_path / "p.csv", rows)
    calls: list[tuple[int, int]] = []
    import_leads(
        sessions, path, batch_size=10, progress=lambda done, total: calls.append((done, total))
    )
    size = path.stat().st_size
    assert calls[-1] == (size, size)
    assert len(calls) >= 3
    assert all(done <= total for done, total in calls)


def test_counts_add_up_over_many_batches(sessions: SessionFactory, tmp_path: Path) -> None:
    rows = [["email", "company"]]
    for i in range(2_500):
        rows.append([f"user{i % 2_000}@Company{i % 7}.com" if i % 97 else "broken", "Co"])
    path = write_csv(tmp_path / "many.csv", rows)
    result = import_leads(sessions, path, batch_size=500)
    assert result.rows == 2_500
    assert result.rows == (
        result.imported + result.already_present + result.duplicates_in_file + result.invalid
    )
    assert result.imported == lead_count(sessions)
    assert result.invalid == len([i for i in range(2_500) if i % 97 == 0])


def test_errors_csv_neutralises_formulas_behind_blanks_and_full_width_signs(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    cells = [" =1+1", "\u3000+SUM(A1)", '\uff1dHYPERLINK("x")', "\uff0b1", "\uff0d2", "\uff20A1"]
    path = write_csv(tmp_path / "wide.csv", [HEADER, ["not-an-email", *cells[:5]]])
    path.write_text(
        path.read_text(encoding="utf-8") + f"also-bad,{cells[5]},a,b,c, safe text\n",
        encoding="utf-8",
    )
    errors_path = tmp_path / "wide-errors.csv"
    import_leads(sessions, path, errors_path=errors_path)
    written = [row[2:] for row in read_errors(errors_path)[1:]]
    assert written[0] == ["not-an-email", *("'" + cell for cell in cells[:5])]
    assert written[1] == ["also-bad", "'" + cells[5], "a", "b", "c", " safe text"]
