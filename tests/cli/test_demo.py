"""`cam demo` end to end in an empty directory; expected counts come from the sample CSV."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from typer.testing import CliRunner

from cam.cli import app
from cam.cli_demo import DEMO_BLOCKED_DOMAINS, SAMPLE_LEADS, demo_clock
from cam.core.config import default_safety_settings
from cam.core.db import make_engine, session_factory, unit_of_work
from cam.core.models import (
    Campaign,
    Channel,
    CycleRun,
    Lead,
    LeadStatus,
    OutreachMessage,
    OutreachStatus,
)
from tests.cli.helpers import read_errors


@dataclass
class Sample:
    rows: int = 0
    emails: set[str] = field(default_factory=set)
    rejected_lines: list[int] = field(default_factory=list)

    @property
    def blocked(self) -> int:
        return sum(1 for e in self.emails if e.rpartition("@")[2] in DEMO_BLOCKED_DOMAINS)


def known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def read_sample() -> Sample:
    """Count the sample the plain way: csv module, email-validator, first occurrence wins."""
    sample = Sample()
    with SAMPLE_LEADS.open(newline="", encoding="utf-8") as file:
        reader = csv.reader(file)
        header = next(reader)
        email_at, zone_at = header.index("Email Address"), header.index("Time Zone")
        for row in reader:
            line = reader.line_num
            sample.rows += 1
            if len(row) != len(header):
                sample.rejected_lines.append(line)
                continue
            try:
                email = validate_email(row[email_at].strip(), check_deliverability=False)
            except EmailNotValidError:
                sample.rejected_lines.append(line)
                continue
            address = email.normalized.lower()
            zone = row[zone_at].strip()
            if (zone and not known_zone(zone)) or address in sample.emails:
                sample.rejected_lines.append(line)
                continue
            sample.emails.add(address)
    return sample


def test_sample_has_the_deliberate_mistakes() -> None:
    sample = read_sample()
    assert 250 <= sample.rows <= 400
    assert len(sample.rejected_lines) >= 10
    assert sample.blocked >= 1
    text = SAMPLE_LEADS.read_text(encoding="utf-8")
    assert "=HYPERLINK(" in text
    assert "@gmail.com" in text


def test_demo_counts_match_the_sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    sample = read_sample()
    result = CliRunner().invoke(app, ["demo"], env={"DATABASE_URL": None})
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output

    engine = make_engine(f"sqlite:///{tmp_path / 'cam-demo.db'}")
    with unit_of_work(session_factory(engine)) as session:
        emails = set(session.scalars(select(Lead.email)))
        run = session.scalars(select(CycleRun)).one()
        threshold = session.scalars(select(Campaign.score_threshold)).one()
        qualified = session.scalar(
            select(func.count(Lead.id)).where(
                Lead.score >= threshold, Lead.status != LeadStatus.disqualified
            )
        )
        disqualified = session.scalar(
            select(func.count(Lead.id)).where(Lead.status == LeadStatus.disqualified)
        )
        simulated = session.scalar(
            select(func.count(OutreachMessage.id)).where(
                OutreachMessage.status == OutreachStatus.simulated
            )
        )
    engine.dispose()
    assert emails == sample.emails
    report = run.report
    assert report is not None and run.dry_run and run.trigger == "demo"
    assert report["leads_created"] == report["leads_processed"] == len(sample.emails)
    assert report["leads_disqualified"] == disqualified == sample.blocked
    assert report["outreach_scheduled"] == min(30, qualified or 0)
    email_cap = default_safety_settings().channels[Channel.email].daily_cap
    assert 0 < report["simulated"] == (simulated or 0) <= email_cap
    assert report["outreach_sent"] == 0 and report["errors"] == []

    errors = read_errors(tmp_path / "cam-demo-errors.csv")
    assert sorted(int(row[0]) for row in errors[1:]) == sample.rejected_lines
    assert any(cell.startswith("'=HYPERLINK(") for row in errors for cell in row)
    flat = " ".join(result.output.split())
    assert f"Rejected rows ({len(sample.rejected_lines)}) are in cam-demo-errors.csv" in flat
    assert "The first 3 emails the cycle would send" in flat
    assert "Subject:" in flat and "{{" not in flat


def test_demo_starts_afresh_each_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    reports = []
    for _ in range(2):
        assert (
            runner.invoke(app, ["demo", "--emails", "0"], env={"DATABASE_URL": None}).exit_code == 0
        )
        engine = make_engine(f"sqlite:///{tmp_path / 'cam-demo.db'}")
        with unit_of_work(session_factory(engine)) as session:
            runs = session.scalars(select(CycleRun)).all()
        engine.dispose()
        assert len(runs) == 1
        report = dict(runs[0].report or {})
        for moving in ("start", "end", "phase_durations", "cycle_id"):
            report.pop(moving)
        reports.append(report)
    assert reports[0] == reports[1]


def test_demo_clock_is_the_last_weekday_morning_before_today() -> None:
    saturday, monday = date(2026, 11, 28), date(2026, 11, 30)
    for today, expected in ((saturday, date(2026, 11, 27)), (monday, date(2026, 11, 27))):
        local = demo_clock("Europe/Berlin", today).astimezone(ZoneInfo("Europe/Berlin"))
        assert (local.date(), local.hour, local.minute) == (expected, 9, 5)
    assert demo_clock("UTC", date(2026, 11, 25)).date() == date(2026, 11, 24)


def test_installed_console_script_runs_the_demo(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("cam")
    if not script.exists():
        pytest.skip("the cam console script is not installed next to this Python")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAM_", "DATABASE_URL"))}
    done = subprocess.run(
        [str(script), "demo", "--emails", "1"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Simulated" in done.stdout
    assert (tmp_path / "cam-demo.db").exists()
    assert (tmp_path / "cam-demo-errors.csv").exists()
