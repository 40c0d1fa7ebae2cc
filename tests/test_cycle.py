"""The whole cycle: report, events, notifications, failures that never escape, slots."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from cam.core.db import make_engine, session_factory, unit_of_work
from cam.core.event_payloads import CycleCompleted, CycleStarted, Failure
from cam.core.models import CycleRun, Event, ManualTask, Notification, OutreachMessage
from cam.core.report import CAMCycleReport
from cam.cycle import run_daily_cam_cycle, run_scheduled_cycle, run_send_pass
from cam.escalation.event_payloads import LeadsEscalated
from cam.leads.event_payloads import LeadsProcessed
from cam.outreach.event_payloads import OutreachScheduled, OutreachSent
from cam.replies.event_payloads import RepliesDetected
from tests.outreach.helpers import (
    WEDNESDAY,
    Clock,
    RecordingEmailSender,
    add_leads,
    config,
    gateways,
    rng,
    safety,
)

PHASES = ["qualify", "schedule", "send", "replies", "escalate"]


def cycle(sessions, clock, gw=None, **overrides) -> CAMCycleReport:
    overrides.setdefault("safety_settings", safety())
    return run_daily_cam_cycle(
        config(**overrides),
        session_factory=sessions,
        gateways=gw or gateways(),
        clock=clock,
        rng=rng(),
    )


def event_names(sessions, cycle_id=None) -> list[str]:
    with unit_of_work(sessions) as session:
        query = select(Event.name).order_by(Event.id)
        if cycle_id is not None:
            query = query.where(Event.cycle_id == cycle_id)
        return list(session.scalars(query))


def test_dry_run_cycle_reports_every_phase_and_stores_the_report(sessions):
    add_leads(sessions, 8)
    add_leads(sessions, 2, title="Intern", start=50)
    sender = RecordingEmailSender()
    report = cycle(sessions, Clock(), gateways(sender, linkedin=True))
    assert report.dry_run and report.cycle_id is not None and report.errors == []
    assert (report.leads_created, report.leads_processed, report.leads_disqualified) == (10, 10, 0)
    assert report.outreach_scheduled == 8 and report.simulated == 8
    assert report.outreach_sent == 0 and sender.connects == 0
    assert sorted(report.phase_durations) == sorted(PHASES)
    assert report.end is not None and report.end >= report.start
    assert report.channels_not_configured == ["inbox", "crm"]
    assert event_names(sessions, report.cycle_id) == [
        CycleStarted.name,
        LeadsProcessed.name,
        OutreachScheduled.name,
        OutreachSent.name,
        RepliesDetected.name,
        LeadsEscalated.name,
        CycleCompleted.name,
    ]
    with unit_of_work(sessions) as session:
        run = session.get(CycleRun, report.cycle_id)
        assert run is not None and run.status == "completed" and run.finished_at == report.end
        assert CAMCycleReport.model_validate(run.report) == report
        notes = session.scalars(select(Notification)).all()
        assert [(n.topic, n.payload) for n in notes] == [
            ("cycle_report", {"cycle_id": report.cycle_id})
        ]


def test_a_failing_phase_is_reported_and_the_others_still_run(sessions, tmp_path: Path):
    broken = tmp_path / "campaign.toml"
    broken.write_text("this is not toml [")
    add_leads(sessions, 3)
    report = cycle(sessions, Clock(), campaign_file=broken)
    assert [e.phase for e in report.errors] == ["schedule"]
    assert "cannot read campaign file" in report.errors[0].message
    assert report.leads_processed == 3 and sorted(report.phase_durations) == sorted(PHASES)
    names = event_names(sessions, report.cycle_id)
    assert Failure.name in names and names[-1] == CycleCompleted.name
    with unit_of_work(sessions) as session:
        run = session.get(CycleRun, report.cycle_id)
        assert run is not None and run.status == "with_errors"


def test_with_the_database_down_every_entry_point_returns_a_report():
    engine = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/nowhere?connect_timeout=2")
    sessions = session_factory(engine)
    cfg = config()
    kwargs: dict[str, Any] = {
        "session_factory": sessions,
        "gateways": gateways(),
        "clock": Clock(),
        "rng": rng(),
    }
    report = run_daily_cam_cycle(cfg, **kwargs)
    assert {"cycle", "qualify", "schedule", "send"} <= {e.phase for e in report.errors}
    assert report.cycle_id is None and report.end is not None
    scheduled = run_scheduled_cycle(cfg, slot="2026-11-25T08:00", **kwargs)
    assert scheduled is not None and scheduled.errors[0].phase == "cycle"
    passed = run_send_pass(cfg, **kwargs)
    assert passed.errors[0].phase == "send"
    engine.dispose()


def test_one_scheduled_slot_runs_once(sessions):
    clock = Clock()
    kwargs: dict[str, Any] = {
        "session_factory": sessions,
        "gateways": gateways(),
        "clock": clock,
        "rng": rng(),
    }
    first = run_scheduled_cycle(config(), slot="2026-11-25T08:00", **kwargs)
    second = run_scheduled_cycle(config(), slot="2026-11-25T08:00", **kwargs)
    assert first is not None and second is None
    with unit_of_work(sessions) as session:
        runs = session.scalars(select(CycleRun)).all()
        assert [(r.kind, r.slot, r.trigger) for r in runs] == [
            ("daily", "2026-11-25T08:00", "schedule")
        ]


def test_a_run_left_running_by_a_dead_process_is_closed_by_the_next_cycle(sessions):
    clock = Clock()
    with unit_of_work(sessions) as session:
        recent = CycleRun(kind="daily", status="running", started_at=clock.now)
        dead = CycleRun(kind="daily", status="running", started_at=clock.now - timedelta(hours=2))
        session.add_all([recent, dead])
    report = cycle(sessions, clock)
    assert report.errors == []
    with sessions() as session:
        assert session.get_one(CycleRun, dead.id).status == "interrupted"
        assert session.get_one(CycleRun, recent.id).status == "running"
        flagged = session.scalars(select(Event.cycle_id).where(Event.name == Failure.name)).all()
    assert flagged == [dead.id]


def test_send_pass_leaves_a_run_only_when_it_did_something(sessions):
    clock = Clock()
    kwargs: dict[str, Any] = {
        "session_factory": sessions,
        "gateways": gateways(),
        "clock": clock,
        "rng": rng(),
    }
    idle = run_send_pass(config(), **kwargs)
    assert idle.cycle_id is None and list(idle.phase_durations) == ["send"]
    add_leads(sessions, 2)
    assert cycle(sessions, clock).simulated == 2
    kwargs["gateways"] = gateways(RecordingEmailSender())
    clock.advance(hours=6, minutes=59, seconds=59)  # all of today's plan is due
    broken = run_send_pass(config(dry_run=False, secret_key=""), **kwargs)
    assert "CAM_SECRET_KEY" in broken.errors[0].message and broken.cycle_id is not None
    with unit_of_work(sessions) as session:
        kinds = session.scalars(select(CycleRun.kind).order_by(CycleRun.id)).all()
        assert kinds == ["daily", "send"]
        topics = session.scalars(select(Notification.topic)).all()
        assert topics.count("cycle_report") == 2


def test_live_cycles_on_several_channels_and_a_second_cycle_never_exceeds_a_cap(sessions):
    clock = Clock()
    add_leads(sessions, 40)
    sender = RecordingEmailSender()
    gw = gateways(sender, linkedin=True)
    first = cycle(sessions, clock, gw, dry_run=False, max_outreach_per_day=40)
    clock.advance(hours=3)
    second = cycle(sessions, clock, gw, dry_run=False, max_outreach_per_day=40)
    assert first.outreach_sent + second.outreach_sent <= 20
    assert len(sender.sent) <= 20
    # Over the next days the LinkedIn steps fall due and become tasks, within their own cap.
    for day in range(1, 7):
        clock.now = WEDNESDAY.replace(hour=9) + timedelta(days=day)
        cycle(sessions, clock, gw, dry_run=False, max_outreach_per_day=40)
        clock.now = clock.now.replace(hour=16, minute=59)
        run_send_pass(
            config(dry_run=False, safety_settings=safety()),
            session_factory=sessions,
            gateways=gw,
            clock=clock,
            rng=rng(),
        )
    with unit_of_work(sessions) as session:
        tasks = session.scalar(select(func.count(ManualTask.id)))
        sent_steps = session.execute(
            select(OutreachMessage.lead_id, OutreachMessage.step).where(
                OutreachMessage.status == "sent"
            )
        ).all()
    assert tasks and 0 < tasks <= 10 * 6
    assert len(sent_steps) == len(set(sent_steps)) == len(sender.sent) + tasks
    assert len({(m.lead_id, m.step) for m in sender.sent}) == len(sender.sent)
