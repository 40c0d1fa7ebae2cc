"""The `cam` command as a real process, as a newcomer runs it from a shell."""

from __future__ import annotations

import uuid
from importlib.metadata import version
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from cam.core.db import make_engine
from tests.cli.helpers import cam
from tests.conftest import PG_AVAILABLE, PG_URL, pg_schema_url


def test_version_and_plain_help(tmp_path: Path) -> None:
    done = cam(tmp_path, "--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"cam {version('cam-orchestrator')}"
    helped = cam(tmp_path, "leads", "import", "--help")
    assert helped.returncode == 0
    assert "--delimiter" in helped.stdout
    assert "<bool>" not in helped.stdout


def test_settings_errors_exit_2(tmp_path: Path) -> None:
    done = cam(tmp_path, "report", CAM_TIMEZONE="Mars/Olympus")
    assert done.returncode == 2
    assert "CAM_TIMEZONE" in done.stderr and "Traceback" not in done.stderr
    bad_url = cam(tmp_path, "report", DATABASE_URL="mysql://root@db/cam")
    assert bad_url.returncode == 2
    assert "DATABASE_URL" in bad_url.stderr and "no installed driver" in bad_url.stderr


def test_the_default_database_is_one_place_wherever_cam_starts(tmp_path: Path) -> None:
    home = tmp_path / "data"
    first, second = tmp_path / "one", tmp_path / "two"
    first.mkdir()
    second.mkdir()
    upgraded = cam(first, "db", "upgrade", XDG_DATA_HOME=str(home))
    assert upgraded.returncode == 0, upgraded.stderr
    expected = f"sqlite:///{home / 'cam' / 'cam.db'}"
    assert f"Database: {expected}" in upgraded.stderr
    reported = cam(second, "report", XDG_DATA_HOME=str(home))
    assert reported.returncode == 0, reported.stderr
    assert f"Database: {expected}" in reported.stderr
    assert "No cycle has run yet" in reported.stdout
    assert (home / "cam" / "cam.db").exists()
    assert not list(first.iterdir()) and not list(second.iterdir())


@pytest.mark.postgres
def test_postgres_urls_as_platforms_set_them(tmp_path: Path) -> None:
    if not PG_AVAILABLE:
        pytest.skip("PostgreSQL is not reachable")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        for scheme in ("postgres", "postgresql"):
            url = pg_schema_url(schema).replace("postgresql+psycopg", scheme, 1)
            done = cam(tmp_path, "db", "upgrade", DATABASE_URL=url)
            assert done.returncode == 0, done.stderr
            assert "up to date" in done.stdout
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def test_missing_tables_and_missing_database_get_different_advice(tmp_path: Path) -> None:
    fresh = cam(tmp_path, "report", DATABASE_URL=f"sqlite:///{tmp_path / 'fresh.db'}")
    assert fresh.returncode == 1
    assert "(run `cam db upgrade` first)" in " ".join(fresh.stderr.split())
    if not PG_AVAILABLE:
        return
    url = make_url(PG_URL).set(database="cam_no_such_db_4711")
    missing = cam(tmp_path, "report", DATABASE_URL=url.render_as_string(hide_password=False))
    assert missing.returncode == 1
    message = " ".join(missing.stderr.split())
    assert "create the database first, e.g. `createdb cam_no_such_db_4711`" in message
    assert "(run `cam db upgrade` first)" not in message


def test_the_demo_preview_shows_paragraphs_as_sent(tmp_path: Path) -> None:
    done = cam(
        tmp_path, "demo", "--days", "1", "--emails", "1", COLUMNS="250", XDG_DATA_HOME=str(tmp_path)
    )
    assert done.returncode == 0, done.stderr
    lines = [line.strip(" │") for line in done.stdout.splitlines()]
    flowing = [line for line in lines if "more qualified meetings without adding headcount" in line]
    assert flowing and flowing[0].endswith("lose a third of their pipeline to slow follow-up.")
    assert "Best," in lines and "Maya Lind" in lines and "Partnerships, ACME" in lines
