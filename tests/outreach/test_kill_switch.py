"""The kill switch: a pause or dry run set while a send pass runs stops it at the next claim."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from cam.core.context import CycleContext
from cam.core.db import SessionFactory, make_engine, session_factory, unit_of_work
from cam.core.models import OutreachMessage, OutreachStatus
from cam.core.report import CAMCycleReport
from cam.core.state import set_dry_run, set_paused
from cam.cycle import run_send_pass
from cam.gateways.smtp import SmtpEmailSender
from cam.leads.qualify import process_new_leads
from cam.outreach.scheduling import schedule_outreach
from tests.gateways.smtp_server import SECRET_KEY, SmtpServer
from tests.outreach.helpers import Clock, add_leads, config, gateways, rng, safety

DUE = 12


def plan_due_emails(sessions: SessionFactory, clock: Clock) -> None:
    """Qualify and plan DUE leads' first email, all due now, with the team live."""
    add_leads(sessions, DUE)
    cfg = config(safety_settings=safety())
    for phase in (process_new_leads, schedule_outreach):
        phase(
            CycleContext(
                config=cfg,
                session_factory=sessions,
                gateways=gateways(),
                clock=clock,
                rng=rng(),
                report=CAMCycleReport(start=clock()),
            )
        )
    with unit_of_work(sessions) as session:
        session.execute(
            update(OutreachMessage)
            .where(OutreachMessage.status == OutreachStatus.planned)
            .values(scheduled_at=clock.now)
        )
        set_dry_run(session, dry_run=False, by="UAPPROVER", now=clock.now)


def switch_pause(session: Session) -> None:
    set_paused(session, paused=True, by="UOPS")


def switch_dry(session: Session) -> None:
    set_dry_run(session, dry_run=True, by="UOPS")


@pytest.mark.parametrize("switch", [switch_pause, switch_dry], ids=["pause", "dry"])
def test_a_switch_set_mid_pass_stops_it_after_the_message_in_flight(
    engine: Engine, plain_smtp_server: SmtpServer, switch: Callable[[Session], None]
):
    sessions = session_factory(engine)
    clock = Clock()
    plan_due_emails(sessions, clock)
    handler = plain_smtp_server.handler
    handler.delay = 0.4
    sender = SmtpEmailSender(plain_smtp_server.settings(secret_key=SECRET_KEY))
    reports: list[CAMCycleReport] = []
    cfg = config(dry_run=False, safety_settings=safety())
    worker = threading.Thread(
        target=lambda: reports.append(
            run_send_pass(cfg, session_factory=sessions, gateways=gateways(sender), clock=clock)
        )
    )
    worker.start()
    while len(handler.messages) < 3 and worker.is_alive():
        time.sleep(0.01)
    # Another process (its own engine and session) pulls the switch.
    other = make_engine(str(engine.url.render_as_string(hide_password=False)))
    with unit_of_work(session_factory(other)) as session:
        switch(session)
    arrived_at_switch = len(handler.messages)
    other.dispose()
    worker.join(timeout=30)
    assert not worker.is_alive()
    assert 3 <= arrived_at_switch < DUE
    assert len(handler.messages) <= arrived_at_switch + 1
    (report,) = reports
    assert report.errors == []
    halted = "paused" if switch is switch_pause else "dry_run"
    assert report.skipped_by_limits[halted] == DUE - report.outreach_sent
