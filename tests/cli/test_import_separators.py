"""`cam leads import` reads the separator from the header line, or is told it, and names the
likely one when told wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.helpers import cam_in_process

EXCEL_ROWS = [
    ["Email Address", "First Name", "Company", "Job Title"],
    ["ann@acme.com", "Ann", "Acme; Inc", "CEO"],
    ["bob@globex.io", "Bob", "Globex", "VP Sales"],
]


@pytest.mark.parametrize("separator", [";", "\t", "|", ","])
def test_import_detects_the_separator(tmp_path: Path, db_url: str, separator: str) -> None:
    lines = [
        separator.join(f'"{cell}"' if separator in cell else cell for cell in row)
        for row in EXCEL_ROWS
    ]
    (tmp_path / "excel.csv").write_text("\r\n".join(lines) + "\r\n", encoding="utf-8-sig")
    done = cam_in_process(tmp_path, "leads", "import", "excel.csv", DATABASE_URL=db_url)
    assert done.returncode == 0, done.stderr
    assert "Imported" in done.stdout and " 2 " in done.stdout.split("Imported")[1].splitlines()[0]


def test_a_wrong_delimiter_is_named_with_the_likely_one(tmp_path: Path, db_url: str) -> None:
    lines = [";".join(row) for row in EXCEL_ROWS]
    (tmp_path / "excel.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = cam_in_process(
        tmp_path, "leads", "import", "excel.csv", "--delimiter", "comma", DATABASE_URL=db_url
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    message = " ".join(done.stderr.split())
    assert "looks semicolon-separated" in message and "--delimiter semicolon" in message
    forced = cam_in_process(
        tmp_path, "leads", "import", "excel.csv", "--delimiter", ";", DATABASE_URL=db_url
    )
    assert forced.returncode == 0, forced.stderr
    bad = cam_in_process(
        tmp_path, "leads", "import", "excel.csv", "--delimiter", "colon", DATABASE_URL=db_url
    )
    assert bad.returncode == 2
    assert "comma" in bad.stderr and "semicolon" in bad.stderr
