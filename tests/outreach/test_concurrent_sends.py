"""Several senders on one database at once: each row claimed once, caps global."""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import select, update

from cam.core.db import unit_of_work
from cam.core.models import Lead, LeadStatus, OutreachMessage, OutreachStatus
from cam.cycle import run_send_pass
from tests.outreach.helpers import (
    Clock,
    RecordingEmailSender,
    config,
    gateways,
    rng,
    safety,
)
from tests.outreach.test_send_pass import plan

SENDERS = 4


def test_parallel_send_passes_never_share_a_row_nor_pass_a_cap(sessions):
    clock = Clock()
    for n in range(6):
        plan(sessions, clock, 8, start=n * 100, lead={"domain": f"d{n}.example"})
    sender = RecordingEmailSender()
    barrier = threading.Barrier(SENDERS)
    failures: list[BaseException] = []

    def work(name: str) -> None:
        try:
            barrier.wait()
            for _ in range(3):
                report = run_send_pass(
                    config(dry_run=False, safety_settings=safety()),
                    session_factory=sessions,
                    gateways=gateways(sender),
                    clock=clock,
                    rng=rng(),
                    instance=name,
                )
                assert report.errors == []
        except BaseException as exc:  # surfaced below, in the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(f"i{n}",)) for n in range(SENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    delivered = Counter((m.lead_id, m.step) for m in sender.sent)
    assert max(delivered.values()) == 1
    per_domain = Counter(m.to.split("@")[1] for m in sender.sent)
    # 6 domains x 3 a day = 18, under the daily cap of 20: every domain is filled, no more.
    assert per_domain == {f"d{n}.example": 3 for n in range(6)}
    with unit_of_work(sessions) as session:
        sent = session.scalars(
            select(OutreachMessage.claimed_by).where(OutreachMessage.status == OutreachStatus.sent)
        ).all()
    assert len(sent) == 18


def test_a_lead_who_replied_after_planning_gets_nothing_more(sessions):
    clock = Clock()
    plan(sessions, clock, 2)
    with unit_of_work(sessions) as session:
        session.execute(
            update(Lead)
            .where(Lead.email == "lead0@company0.example")
            .values(status=LeadStatus.replied, replied_at=clock.now)
        )
    sender = RecordingEmailSender()
    report = run_send_pass(
        config(dry_run=False), session_factory=sessions, gateways=gateways(sender), clock=clock
    )
    assert report.outreach_sent == 1 and [m.to for m in sender.sent] == ["lead1@company1.example"]
    with unit_of_work(sessions) as session:
        reasons = session.scalars(
            select(OutreachMessage.reason).where(OutreachMessage.status == OutreachStatus.skipped)
        ).all()
    assert reasons == ["lead is replied"]
