"""The `cam` commands through Typer's runner, on a real database of each kind."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from cam.cli import app
from cam.core.db import make_engine, session_factory, unit_of_work
from cam.core.models import CycleRun, Lead
from cam.core.state import set_dry_run
from tests.cli.helpers import lead_count, write_csv

runner = CliRunner()

SECRETS = {
    "CAM_SMTP_PASSWORD": "smtp-S3CRET-7731",
    "CAM_IMAP_PASSWORD": "imap-S3CRET-7732",
    "CAM_SECRET_KEY": "key-S3CRET-7733",
    "CAM_HUBSPOT_TOKEN": "hub-S3CRET-7734",
    "CAM_CRM_WEBHOOK_SECRET": "hook-S3CRET-7735",
}


@pytest.fixture
def env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment of a command run in an empty directory (no `.env` to pick up)."""
    monkeypatch.chdir(tmp_path)
    return {"DATABASE_URL": db_url}


def leads_file(tmp_path: Path) -> Path:
    return write_csv(
        tmp_path / "prospects.csv",
        [
            ["Email", "First Name", "Company", "Title"],
            ["ceo@acme.com", "Ann", "Acme", "CEO"],
            ["vp@globex.io", "Bob", "Globex", "VP Sales"],
            ["broken@", "Carl", "Initech", "CTO"],
            ["CEO@ACME.COM", "Ann", "Acme", "CEO"],
        ],
    )


def test_leads_import_prints_counts_and_writes_errors_beside_the_file(
    env: dict[str, str], db_url: str, tmp_path: Path
) -> None:
    result = runner.invoke(app, ["leads", "import", str(leads_file(tmp_path))], env=env)
    assert result.exit_code == 0, result.output
    assert "Imported" in result.output
    assert "broken@" in result.output
    errors = tmp_path / "prospects-errors.csv"
    assert errors.exists()
    assert str(errors.name) in result.output.replace("\n", "")
    engine = make_engine(db_url)
    assert lead_count(session_factory(engine)) == 2
    engine.dispose()

    custom = tmp_path / "elsewhere.csv"
    again = runner.invoke(
        app, ["leads", "import", str(tmp_path / "prospects.csv"), "--errors", str(custom)], env=env
    )
    assert again.exit_code == 0
    assert custom.exists()


def test_import_failures_are_one_line_messages(env: dict[str, str], tmp_path: Path) -> None:
    missing = runner.invoke(app, ["leads", "import", str(tmp_path / "none.csv")], env=env)
    assert missing.exit_code == 1
    assert missing.stderr.splitlines()[1].startswith("error: cannot read")
    assert "Traceback" not in missing.output
    no_email = write_csv(tmp_path / "names.csv", [["name"], ["Ann"]])
    bad = runner.invoke(app, ["leads", "import", str(no_email)], env=env)
    assert bad.exit_code == 1
    assert "no email column" in bad.output


def test_unmigrated_database_says_how_to_fix_it(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}"}
    before = runner.invoke(app, ["report"], env=env)
    assert before.exit_code == 1
    assert "run `cam db upgrade` first" in before.output
    upgraded = runner.invoke(app, ["db", "upgrade"], env=env)
    assert upgraded.exit_code == 0, upgraded.output
    assert "up to date" in upgraded.output
    after = runner.invoke(app, ["report"], env=env)
    assert after.exit_code == 0
    assert "No cycle has run yet" in after.output


def test_run_reports_and_exits_zero_without_errors(
    env: dict[str, str], db_url: str, tmp_path: Path
) -> None:
    runner.invoke(app, ["leads", "import", str(leads_file(tmp_path))], env=env)
    result = runner.invoke(app, ["run"], env=env)
    assert result.exit_code == 0, result.output
    assert "DRY RUN" in result.output
    engine = make_engine(db_url)
    with unit_of_work(session_factory(engine)) as session:
        run = session.scalars(select(CycleRun)).one()
        assert (run.trigger, run.dry_run, run.status) == ("cli", True, "completed")
        assert run.report is not None and run.report["leads_processed"] == 2
        statuses = set(session.scalars(select(Lead.status)))
    engine.dispose()
    assert "new" not in statuses


def test_run_exits_one_when_the_report_has_errors(env: dict[str, str], tmp_path: Path) -> None:
    broken = tmp_path / "campaign.toml"
    broken.write_text("key = 'x'\nsteps = 'not a list'\n")
    result = runner.invoke(app, ["run"], env={**env, "CAM_CAMPAIGN_FILE": str(broken)})
    assert result.exit_code == 1
    assert "Errors" in result.output
    assert "campaign" in result.output


def test_run_honours_the_persisted_dry_run_switch(env: dict[str, str], db_url: str) -> None:
    engine = make_engine(db_url)
    sessions = session_factory(engine)
    with unit_of_work(sessions) as session:
        set_dry_run(session, dry_run=False, by="U123")
    result = runner.invoke(app, ["run"], env=env)
    assert "LIVE" in result.output
    with unit_of_work(sessions) as session:
        assert session.scalars(select(CycleRun.dry_run)).one() is False
    engine.dispose()


def test_report_limits_and_events(env: dict[str, str], tmp_path: Path) -> None:
    runner.invoke(app, ["leads", "import", str(leads_file(tmp_path))], env=env)
    assert runner.invoke(app, ["run"], env=env).exit_code == 0
    assert runner.invoke(app, ["run"], env=env).exit_code == 0

    report = runner.invoke(app, ["report", "--last", "5"], env=env)
    assert report.exit_code == 0
    assert "Latest cycle" in report.output and "#2" in report.output
    assert "Recent cycles" in report.output
    table = report.output.split("Recent cycles")[1]
    assert table.index(" 2 ") < table.index(" 1 ")

    limits = runner.invoke(app, ["limits"], env=env)
    assert limits.exit_code == 0
    assert "email" in limits.output and "linkedin" in limits.output
    assert "Per-domain cap: 3 a day" in limits.output
    assert "09:00-17:00" in limits.output

    completed = runner.invoke(app, ["events", "--name", "cycle_completed"], env=env)
    assert completed.exit_code == 0
    assert completed.output.count("cam.cycle_completed") == 2
    assert "cam.leads_processed" not in completed.output
    one = runner.invoke(app, ["events", "--last", "1"], env=env)
    assert one.stdout.count("cam.") == 1
    none = runner.invoke(app, ["events", "--name", "cam.nothing"], env=env)
    assert "No events named cam.nothing" in none.output


def test_secrets_never_reach_the_output(env: dict[str, str], tmp_path: Path) -> None:
    secret_env = {**env, **SECRETS}
    outputs = [
        runner.invoke(app, args, env=secret_env).output
        for args in (
            ["leads", "import", str(leads_file(tmp_path))],
            ["run"],
            ["report", "--last", "3"],
            ["limits"],
            ["events", "--last", "50"],
        )
    ]
    db_secret = "db-S3CRET-7736"
    unreachable = f"postgresql+psycopg://postgres:{db_secret}@127.0.0.1:1/test"
    failed = runner.invoke(app, ["limits"], env={**secret_env, "DATABASE_URL": unreachable})
    assert failed.exit_code == 1
    assert "postgres:***@127.0.0.1:1" in failed.output
    bad_port = runner.invoke(app, ["limits"], env={**secret_env, "CAM_SMTP_PORT": "smtp-S3CRET"})
    assert bad_port.exit_code == 2
    assert "invalid settings: CAM_SMTP_PORT" in bad_port.output
    everything = "\n".join([*outputs, failed.output, bad_port.output])
    for secret in [*SECRETS.values(), db_secret, "smtp-S3CRET"]:
        assert secret not in everything
