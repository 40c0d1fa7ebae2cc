"""`cam demo` end to end in an empty directory; expected counts come from the sample CSV and
the demo's reply script."""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from typer.testing import CliRunner

from cam.cli import app
from cam.cli_demo import DEMO_BLOCKED_DOMAINS, SAMPLE_LEADS
from cam.core.config import default_safety_settings
from cam.core.db import make_engine, session_factory, unit_of_work
from cam.core.models import (
    Approval,
    ApprovalStatus,
    Campaign,
    Channel,
    CycleRun,
    Lead,
    LeadStatus,
    OutreachMessage,
    OutreachStatus,
    Reply,
    ReplyClass,
    Suppression,
    SuppressionSource,
)
from cam.core.report import CAMCycleReport
from cam.demo.run import cycle_moments
from cam.demo.script import SCRIPT
from tests.cli.helpers import cam, read_errors

WORKDAYS = frozenset(range(5))


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
    result = CliRunner().invoke(
        app, ["demo", "--days", "1", "--emails", "3"], env={"DATABASE_URL": None}
    )
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
        done = runner.invoke(
            app, ["demo", "--days", "2", "--emails", "0"], env={"DATABASE_URL": None}
        )
        assert done.exit_code == 0, done.output
        engine = make_engine(f"sqlite:///{tmp_path / 'cam-demo.db'}")
        with unit_of_work(session_factory(engine)) as session:
            runs = session.scalars(select(CycleRun).order_by(CycleRun.id)).all()
            replies = session.execute(
                select(Reply.message_id, Reply.classification).order_by(Reply.id)
            ).all()
        engine.dispose()
        assert len(runs) == 2 and len(replies) == len(SCRIPT)
        stable = []
        for run in runs:
            report = dict(run.report or {})
            for moving in ("start", "end", "phase_durations", "cycle_id"):
                report.pop(moving)
            stable.append(report)
        reports.append((stable, replies))
    assert reports[0] == reports[1]


def test_demo_days_are_the_working_mornings_before_today() -> None:
    monday = date(2026, 11, 30)
    moments = cycle_moments("Europe/Berlin", monday, 10, WORKDAYS)
    local = [m.astimezone(ZoneInfo("Europe/Berlin")) for m in moments]
    # Two weeks, the weekend between them off; the last day the Friday before.
    days = (16, 17, 18, 19, 20, 23, 24, 25, 26, 27)
    assert [m.date() for m in local] == [date(2026, 11, d) for d in days]
    assert {(m.hour, m.minute) for m in local} == {(9, 5)}
    saturday = date(2026, 11, 28)
    assert cycle_moments("UTC", saturday, 1, WORKDAYS) == [datetime(2026, 11, 27, 9, 5, tzinfo=UTC)]


@pytest.mark.long
def test_the_demo_fortnight_adds_up_through_the_cam_command(tmp_path: Path) -> None:
    """The newcomer's first command: every lead, reply and would-send accounted for."""
    sample = read_sample()
    done = cam(tmp_path, "demo", COLUMNS="120")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "SIMULATED" in done.stdout and "nothing is sent" in done.stdout
    chart = tmp_path / "cam-demo-digest.png"
    assert chart.read_bytes().startswith(b"\x89PNG")
    assert f"Chart written to {chart.name}" in done.stdout

    engine = make_engine(f"sqlite:///{tmp_path / 'cam-demo.db'}")
    with unit_of_work(session_factory(engine)) as session:
        runs = session.scalars(select(CycleRun).order_by(CycleRun.started_at)).all()
        reports = [CAMCycleReport.model_validate(run.report) for run in runs]
        replies = session.scalars(select(Reply).order_by(Reply.id)).all()
        statuses = Counter(session.scalars(select(OutreachMessage.status)))
        suppressions = session.scalars(select(Suppression)).all()
        leads = {lead.id: lead for lead in session.scalars(select(Lead))}
        approvals = session.scalars(select(Approval)).all()
        steps = session.scalars(select(OutreachMessage)).all()
    engine.dispose()

    # Ten working days, each in dry run; every lead in is enrolled, below the bar or out.
    assert len(runs) == 10 and all(run.dry_run and run.trigger == "demo" for run in runs)
    for report in reports:
        # The sample's deliberate mistakes: a lead whose row lacks what a template needs.
        assert all("template error" in error.message for error in report.errors)
        assert (
            report.leads_created
            == report.leads_processed
            == (report.leads_enrolled + report.leads_below_threshold + report.leads_disqualified)
        )
    assert sum(r.leads_created for r in reports) == len(sample.emails)
    assert sum(r.leads_disqualified for r in reports) == sample.blocked

    # Nothing sent: no row went out, no report counts a send, yet the dry run counted some.
    assert sum(r.outreach_sent + r.followups_sent for r in reports) == 0
    went_out = {OutreachStatus.sent, OutreachStatus.sending, OutreachStatus.unknown}
    assert not went_out & set(statuses) and statuses[OutreachStatus.simulated] > 0

    # Every scripted mail read once, as written; the bounce is not trusted (nothing was sent).
    expected = Counter(ReplyClass.other if k is ReplyClass.bounce else k for k in SCRIPT)
    assert Counter(reply.classification for reply in replies) == expected
    assert sum(r.replies_detected for r in reports) == len(SCRIPT)
    assert sum(r.unverified_notices for r in reports) == SCRIPT.count(ReplyClass.bounce)
    # Each matched by its thread to the email it answers, and so to its lead.
    assert all(reply.outreach_id is not None for reply in replies)
    lead_of = {r.id: leads[r.lead_id] for r in replies if r.lead_id is not None}
    assert len(lead_of) == len(replies)

    # The opt-out is suppressed for good with its phrase; the bounce suppressed nobody.
    opt_out = next(r for r in replies if r.classification is ReplyClass.unsubscribe)
    assert [(s.value, s.source, s.reply_id) for s in suppressions] == [
        (lead_of[opt_out.id].email.lower(), SuppressionSource.phrase, opt_out.id)
    ]
    assert suppressions[0].evidence.startswith("unsubscribe.")
    assert lead_of[opt_out.id].status is LeadStatus.unsubscribed

    # Interested leads are hot and wait for an approver; the absent one is written to later.
    hot = [lead_of[r.id] for r in replies if r.classification is ReplyClass.interested]
    assert {lead.status for lead in hot} == {LeadStatus.hot}
    pending = {(lead.id, ApprovalStatus.pending) for lead in hot}
    assert {(a.lead_id, a.status) for a in approvals} == pending
    away = next(r for r in replies if r.classification is ReplyClass.out_of_office)
    assert away.return_date is not None
    later = [s for s in steps if s.lead_id == away.lead_id and s.step > 1]
    assert later and all(s.scheduled_at.date() > away.return_date for s in later)

    shown = cam(tmp_path, "digest", "--demo")
    assert shown.returncode == 0, shown.stderr
    last = runs[-1].started_at
    assert f"CAM digest · {last:%a %d %b %Y}" in shown.stdout
