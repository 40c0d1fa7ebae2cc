"""PostgreSQL goes away in the middle of a cycle and comes back.

The cycle must report the error and return, and the next cycle must work on the same engine
(pool pre-ping), with nothing restarted. The server is a private throwaway cluster: the shared
one on 5432 runs everybody's tests and is never stopped.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, insert, select

from cam.core.config import CAMCycleConfig
from cam.core.db import make_engine, session_factory, upgrade
from cam.core.models import (
    CycleRun,
    Lead,
    LeadStatus,
    Notification,
    OutreachMessage,
    OutreachStatus,
)
from cam.core.ports import Gateways, InboxBatch
from cam.core.report import CAMCycleReport
from cam.cycle import run_daily_cam_cycle, run_send_pass
from cam.gateways.factory import build_gateways
from cam.gateways.noop import NoopCrmSyncer, NoopEmailSender, NoopSocialPoster
from cam.outreach.send_pass import CLAIM_LEASE
from tests.faults.outbox import BASE, Caps, deliveries, live_config, seed_outbox
from tests.faults.pg_cluster import PrivateCluster, pg_bin_dir
from tests.gateways.smtp_server import SmtpServer

BIN_DIR = pg_bin_dir()
pytestmark = pytest.mark.skipif(BIN_DIR is None, reason="PostgreSQL server binaries not installed")

# A Wednesday inside the default send window.
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@pytest.fixture
def cluster() -> Iterator[PrivateCluster]:
    assert BIN_DIR is not None
    cluster = PrivateCluster(BIN_DIR).init()
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture
def engine(cluster: PrivateCluster) -> Iterator[Engine]:
    upgrade(cluster.url)
    engine = make_engine(cluster.url)
    yield engine
    engine.dispose()


class StoppingInbox:
    """An inbox whose first poll stops the database: the outage lands inside the cycle."""

    name = "stopping-inbox"
    configured = True

    def __init__(self, cluster: PrivateCluster) -> None:
        self.cluster = cluster
        self.polls = 0

    def fetch_since(
        self, uidvalidity: int, last_uid: int, *, retry: Sequence[int] = (), limit: int = 500
    ) -> InboxBatch:
        return InboxBatch(uidvalidity=uidvalidity)

    def fetch_heads(
        self, uidvalidity: int, last_uid: int, *, retry: Sequence[int] = (), limit: int = 500
    ) -> InboxBatch:
        """What a read asks first: the poll that stops the database."""
        self.polls += 1
        if self.polls == 1:
            self.cluster.stop()
        return InboxBatch(uidvalidity=uidvalidity)


def seed_leads(engine: Engine, count: int) -> None:
    rows = [
        {
            "email": f"buyer{n}@firm{n % 7}.example",
            "first_name": f"Buyer{n}",
            "last_name": "Example",
            "company": f"Firm{n % 7}",
            "title": "Head of Sales",
            "status": LeadStatus.new,
        }
        for n in range(count)
    ]
    with engine.begin() as conn:
        conn.execute(insert(Lead), rows)


def run_cycle(engine: Engine, inbox: StoppingInbox, seed: int) -> CAMCycleReport:
    """Run a dry-run cycle on `engine`; the same engine throughout, as a running bot has."""
    gateways = Gateways(
        email=NoopEmailSender(), inbox=inbox, social=NoopSocialPoster(), crm=NoopCrmSyncer()
    )
    return run_daily_cam_cycle(
        CAMCycleConfig(dry_run=True),
        session_factory=session_factory(engine),
        gateways=gateways,
        clock=lambda: NOW,
        rng=random.Random(seed),
    )


def test_cycle_reports_a_database_outage_and_the_next_one_recovers(
    cluster: PrivateCluster, engine: Engine
) -> None:
    seed_leads(engine, 40)
    inbox = StoppingInbox(cluster)

    broken = run_cycle(engine, inbox, 3)

    assert inbox.polls == 1
    assert not cluster.running()
    # Each phase after the outage, and the storing of the report, says what went wrong.
    assert [e.phase for e in broken.errors] == ["replies", "escalate", "cycle"]
    assert all("Connection refused" in e.message for e in broken.errors)
    # The phases before the outage did their work and it was counted.
    assert broken.leads_processed == 40
    assert broken.end is not None

    cluster.start()
    healthy = run_cycle(engine, inbox, 4)

    assert inbox.polls == 2
    assert healthy.errors == []
    assert healthy.cycle_id is not None
    with session_factory(engine)() as session:
        run = session.get(CycleRun, healthy.cycle_id)
        assert run is not None and run.report is not None
        assert run.report["cycle_id"] == healthy.cycle_id
        reports = session.scalars(
            select(Notification).where(Notification.topic == "cycle_report")
        ).all()
        assert {"cycle_id": healthy.cycle_id} in [n.payload for n in reports]
        # The leads processed before the outage stayed processed.
        assert (
            session.scalar(
                select(func.count()).select_from(Lead).where(Lead.status == LeadStatus.new)
            )
            == 0
        )


def test_cycle_with_the_database_down_from_the_start_returns_a_report(
    cluster: PrivateCluster, engine: Engine
) -> None:
    seed_leads(engine, 5)
    with engine.connect():
        pass  # leave a pooled connection behind, to be found dead later
    cluster.stop()
    inbox = StoppingInbox(cluster)
    inbox.polls = 1  # already stopped: do not stop again

    report = run_cycle(engine, inbox, 5)

    phases = [e.phase for e in report.errors]
    assert phases == ["cycle", "qualify", "schedule", "send", "replies", "escalate", "cycle"]
    assert report.leads_processed == 0
    assert report.end is not None

    cluster.start()
    again = run_cycle(engine, inbox, 6)
    assert again.errors == []
    assert again.leads_processed == 5


def stop_when_mail_arrives(smtp: SmtpServer, cluster: PrivateCluster) -> threading.Thread:
    """Stop the database once the server holds a message it has not yet acknowledged."""

    def watch() -> None:
        deadline = time.monotonic() + 60
        while not smtp.handler.messages and time.monotonic() < deadline:
            time.sleep(0.005)
        cluster.stop()

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_database_lost_between_accept_and_commit_never_resends(
    cluster: PrivateCluster, engine: Engine, plain_smtp_server: SmtpServer
) -> None:
    smtp = plain_smtp_server
    caps = Caps(daily=10, per_domain=10)
    emails = seed_outbox(engine, {"buyer.example": 3})
    # Slow enough that the database is down before the server says 250.
    smtp.handler.delay = 3.0
    settings = smtp.settings(database_url=cluster.url)
    config = live_config(caps, settings)
    gateways = build_gateways(settings, [])
    sessions = session_factory(engine)

    def send_pass(at: datetime) -> CAMCycleReport:
        return run_send_pass(config, session_factory=sessions, gateways=gateways, clock=lambda: at)

    watcher = stop_when_mail_arrives(smtp, cluster)
    lost = send_pass(BASE)
    watcher.join()
    assert lost.outreach_sent == 0
    assert [e.phase for e in lost.errors] == ["send", "cycle"]
    assert len(smtp.handler.messages) == 1

    cluster.start()
    smtp.handler.delay = 0.0
    # Within the claim's lease: the others go out, the lost one is left alone.
    after = send_pass(BASE + timedelta(minutes=1))
    assert after.errors == []
    assert after.outreach_sent == 2
    # Past the lease: a person is asked to check it; it is not sent again.
    later = send_pass(BASE + CLAIM_LEASE + timedelta(minutes=2))
    assert later.unknown_outcomes == 1
    assert later.outreach_sent == 0

    assert sorted(deliveries(smtp.handler.messages).elements()) == sorted(emails)
    first = str(smtp.handler.messages[0].message["Message-ID"])
    with sessions() as session:
        row = session.scalars(
            select(OutreachMessage).where(OutreachMessage.message_id == first)
        ).one()
        assert row.status is OutreachStatus.unknown
        statuses = session.scalars(select(OutreachMessage.status)).all()
    assert sorted(statuses) == sorted(
        [OutreachStatus.sent, OutreachStatus.sent, OutreachStatus.unknown]
    )
