"""Three mailboxes under SIGKILL and under two instances at once: each cap and ramp still holds.

The team's senders run as deployed processes (`tests/faults/team_worker.py`) against three real
SMTP servers (one STARTTLS+AUTH), each answering slowly so that kills fall between a server
taking a message and the sender recording it. What the servers received proves that no lead
got its step twice, that no mailbox went past its cap of the day (the first mailbox on day 1 of
its warm-up ramp), that no company got more than the per-domain cap across all three mailboxes,
and that every lead's email left from its owner's mailbox.
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import trustme
from sqlalchemy import Engine, select, update

from cam.core.db import make_engine, session_factory
from cam.core.models import Lead, MailboxState, OutreachMessage, OutreachStatus, SendQuota
from cam.outreach.send_pass import CLAIM_LEASE
from tests.faults import team_worker
from tests.faults.outbox import BASE, seed_outbox
from tests.faults.test_crash_send import forkserver
from tests.gateways.imap_server import imap_ca
from tests.gateways.mailbox_team import MailboxSpec, Team, running_team
from tests.gateways.smtp_server import smtp_ca

__all__ = ["imap_ca", "smtp_ca"]

pytestmark = pytest.mark.slow

SPECS = (
    MailboxSpec("maya", "Maya Lind", "U0MAYA01", daily_cap=40, warmup=(10, 10), tls_auth=True),
    MailboxSpec("jonas", "Jonas Berg", "U0JONAS1", daily_cap=12),
    MailboxSpec("lea", "Lea Roth", "U0LEA001", daily_cap=16),
)
# Cap on BASE's day: maya on day 1 of her ramp.
CAP_TODAY = {"maya": 10, "jonas": 12, "lea": 16}
PER_DOMAIN = 3
KILLS = 12
SMTP_DELAY = 0.03


@pytest.fixture
def team(
    smtp_ca: tuple[trustme.CA, Path], imap_ca: tuple[trustme.CA, Path], tmp_path: Path
) -> Iterator[Team]:
    with running_team(smtp_ca, imap_ca, tmp_path, SPECS) as running:
        for mailbox in running.mailboxes.values():
            mailbox.smtp.handler.delay = SMTP_DELAY
        yield running


def seed(engine: Engine, domains: dict[str, int]) -> dict[str, str]:
    """Plan a first email to each lead, owned by the mailboxes in turn; return lead -> key."""
    emails = seed_outbox(engine, domains)
    owner = {email: SPECS[n % len(SPECS)].key for n, email in enumerate(emails)}
    with engine.begin() as conn:
        for spec in SPECS:
            conn.execute(
                update(Lead)
                .where(Lead.email.in_([e for e, key in owner.items() if key == spec.key]))
                .values(custom_fields={"owner": spec.key})
            )
    return owner


def received(team: Team) -> dict[str, list[str]]:
    return {key: [r.lower() for r in team.received(key)] for key in team.mailboxes}


def assert_caps_held(team: Team, engine: Engine, owner: dict[str, str]) -> None:
    """No lead twice, each mailbox within its cap today, each domain within its cap, overall."""
    got = received(team)
    everyone = [lead for leads in got.values() for lead in leads]
    assert {lead: n for lead, n in Counter(everyone).items() if n > 1} == {}
    for key, leads in got.items():
        assert len(leads) <= CAP_TODAY[key], key
        assert {owner[lead] for lead in leads} <= {key}
    assert max(Counter(lead.split("@")[1] for lead in everyone).values()) <= PER_DOMAIN
    with session_factory(engine)() as session:
        used = {s: n for s, n in session.execute(select(SendQuota.scope, SendQuota.used))}
        ramps = {
            k: d for k, d in session.execute(select(MailboxState.key, MailboxState.started_on))
        }
    for key, cap in CAP_TODAY.items():
        assert used[f"live:mailbox:{key}"] <= cap
        assert ramps[key] == BASE.date()


def test_sigkill_of_the_sender_keeps_each_mailboxs_cap_and_ramp(db_url: str, team: Team) -> None:
    seed_value = int.from_bytes(os.urandom(4), "big")
    print(f"random seed {seed_value}")
    rng = random.Random(seed_value)
    engine = make_engine(db_url)
    owner = seed(engine, {f"d{n}.example": 7 for n in range(12)})
    settings = team.settings(database_url=db_url)
    context = forkserver()
    clock = BASE
    kills = rounds = 0
    while kills < KILLS:
        rounds += 1
        assert rounds < KILLS * 3, "the senders ran out of work before enough kills"
        clock += rng.choice([timedelta(minutes=1), CLAIM_LEASE + timedelta(minutes=1)])
        arrived = sum(len(leads) for leads in received(team).values())
        worker = context.Process(
            target=team_worker.run, args=(settings, dict(team.env), PER_DOMAIN, clock)
        )
        worker.start()
        deadline = time.monotonic() + 30
        while sum(len(v) for v in received(team).values()) == arrived and worker.is_alive():
            assert time.monotonic() < deadline, "the sender sends nothing"
            time.sleep(0.002)
        time.sleep(rng.uniform(0, SMTP_DELAY * 3))
        if worker.is_alive():
            worker.kill()
            kills += 1
        worker.join()
    final = context.Process(
        target=team_worker.run,
        args=(settings, dict(team.env), PER_DOMAIN, clock + CLAIM_LEASE),
    )
    final.start()
    final.join(timeout=120)
    assert final.exitcode == 0
    assert_caps_held(team, engine, owner)
    with session_factory(engine)() as session:
        statuses = Counter(session.scalars(select(OutreachMessage.status)))
    print(f"{kills} kills, received {received(team)}, statuses {dict(statuses)}")
    assert set(statuses) <= {OutreachStatus.sent, OutreachStatus.unknown, OutreachStatus.planned}
    engine.dispose()


def test_two_instances_at_once_fill_each_mailbox_to_its_cap_and_no_further(
    db_url: str, team: Team
) -> None:
    engine = make_engine(db_url)
    # One lead per company: only the mailboxes' caps bind, so each is filled exactly.
    owner = seed(engine, {f"solo{n}.example": 1 for n in range(60)})
    settings = team.settings(database_url=db_url)
    context = forkserver()
    instances = [
        context.Process(target=team_worker.run, args=(settings, dict(team.env), PER_DOMAIN, BASE))
        for _ in range(2)
    ]
    for instance in instances:
        instance.start()
    for instance in instances:
        instance.join(timeout=180)
    assert [instance.exitcode for instance in instances] == [0, 0]
    assert_caps_held(team, engine, owner)
    assert {key: len(leads) for key, leads in received(team).items()} == CAP_TODAY
    engine.dispose()
