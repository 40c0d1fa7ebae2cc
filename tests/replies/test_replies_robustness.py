"""Phase 4 under load and abuse: set-based work per batch, and any bytes stored without error.

The inbox here is an in-memory `InboxReader` (the gateway edge): these tests are about the
database side, with many more messages than an IMAP round trip per test would allow.
"""

from __future__ import annotations

import itertools
import random
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, event, func, insert, select

from cam.core.config import CAMCycleConfig
from cam.core.context import CycleContext
from cam.core.db import SessionFactory
from cam.core.models import (
    Campaign,
    Channel,
    Lead,
    LeadStatus,
    OutreachMessage,
    OutreachStatus,
    Reply,
)
from cam.core.ports import Gateways, InboxBatch, InboxMessage
from cam.core.report import CAMCycleReport
from cam.gateways.noop import NoopCrmSyncer, NoopEmailSender, NoopSocialPoster
from cam.replies.parser import parse_reply
from cam.replies.reading import BATCH, detect_replies
from tests.replies.reply_corpus import EXPECTED, NOW, raw, seed


class ListInbox:
    """An inbox held in memory, with the UID and UIDVALIDITY rules of IMAP."""

    configured = True
    _made = itertools.count(1)

    def __init__(self) -> None:
        # Each inbox its own cursor and UIDVALIDITY, so examples sharing a database stay apart.
        self.uidvalidity = 4000 + next(self._made)
        self.name = f"memory://replies/{self.uidvalidity}"
        self.messages: list[InboxMessage] = []

    def deliver(self, message: bytes) -> None:
        self.messages.append(InboxMessage(uid=len(self.messages) + 1, raw=message))

    def fetch_since(
        self, uidvalidity: int, last_uid: int, *, retry: Sequence[int] = (), limit: int = 500
    ) -> InboxBatch:
        if uidvalidity != self.uidvalidity:
            last_uid, retry = 0, ()
        wanted = sorted(
            {u for u in retry if 0 < u <= last_uid} | {m.uid for m in self.messages[last_uid:]}
        )
        asked = [self.messages[uid - 1] for uid in wanted[:limit]]
        return InboxBatch(self.uidvalidity, asked, more=len(wanted) > limit)

    def fetch_heads(
        self, uidvalidity: int, last_uid: int, *, retry: Sequence[int] = (), limit: int = 500
    ) -> InboxBatch:
        # Whole messages: a head is what the parser reads of them.
        return self.fetch_since(uidvalidity, last_uid, retry=retry, limit=limit)


def _detect(sessions: SessionFactory, inbox: ListInbox) -> CAMCycleReport:
    ctx = CycleContext(
        config=CAMCycleConfig(),
        session_factory=sessions,
        gateways=Gateways(
            email=NoopEmailSender(), inbox=inbox, social=NoopSocialPoster(), crm=NoopCrmSyncer()
        ),
        clock=lambda: NOW,
        rng=random.Random(3),
        report=CAMCycleReport(start=NOW),
    )
    detect_replies(ctx)
    return ctx.report


@contextmanager
def _counting(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _seed_contacted(sessions: SessionFactory, first: int, count: int) -> None:
    """Add `count` contacted leads, each with a sent first message they can answer."""
    with sessions.begin() as session:
        campaign = session.scalars(select(Campaign)).first()
        if campaign is None:
            campaign = Campaign(key="bulk", name="Bulk")
            session.add(campaign)
            session.flush()
        emails = [f"lead{n}@bulk.example" for n in range(first, first + count)]
        session.execute(
            insert(Lead), [{"email": e, "status": LeadStatus.contacted} for e in emails]
        )
        ids = dict(session.execute(select(Lead.email, Lead.id).where(Lead.email.in_(emails))).all())
        session.execute(
            insert(OutreachMessage),
            [
                {
                    "lead_id": ids[f"lead{n}@bulk.example"],
                    "campaign_id": campaign.id,
                    "step": 1,
                    "channel": Channel.email,
                    "scheduled_at": NOW,
                    "status": OutreachStatus.sent,
                    "message_id": f"<cam.bulk{n}@acme.example>",
                }
                for n in range(first, first + count)
            ],
        )


def _interested(n: int) -> bytes:
    return (
        f"From: lead{n}@bulk.example\r\nSubject: Re: hello\r\nMessage-ID: <r{n}@bulk.example>\r\n"
        f"In-Reply-To: <cam.bulk{n}@acme.example>\r\n\r\nSounds good, let's talk.\r\n"
    ).encode()


def test_statements_grow_per_batch_not_per_reply(sessions: SessionFactory, engine: Engine) -> None:
    small, large = 40, 3 * BATCH
    _seed_contacted(sessions, 0, small)
    _seed_contacted(sessions, small, large)
    inbox = ListInbox()

    for n in range(small):
        inbox.deliver(_interested(n))
    with _counting(engine) as first:
        report = _detect(sessions, inbox)
    assert (report.replies_detected, report.hot_leads_detected, report.errors) == (small, small, [])

    for n in range(small, small + large):
        inbox.deliver(_interested(n))
    with _counting(engine) as second:
        report = _detect(sessions, inbox)
    assert (report.replies_detected, report.hot_leads_detected) == (large, large)

    # One batch of `small` replies, then three full batches: the extra cost is per batch.
    per_batch = len(first)
    assert len(second) <= 3 * per_batch, (len(first), len(second))
    with sessions() as session:
        hot = session.scalar(select(func.count(Lead.id)).where(Lead.status == LeadStatus.hot))
    assert hot == small + large


_CORPUS = [raw(e.file) for e in EXPECTED]


@st.composite
def _messages(draw: st.DrawFn) -> list[bytes]:
    out = []
    for _ in range(draw(st.integers(1, 4))):
        if draw(st.booleans()):
            out.append(draw(st.binary(max_size=600)))
            continue
        message = bytearray(draw(st.sampled_from(_CORPUS)))
        for _ in range(draw(st.integers(0, 6))):
            at = draw(st.integers(0, max(len(message) - 1, 0)))
            message[at:at] = draw(st.sampled_from([b"\x00", b"\xff", b"\xe9", b"\r\n\r\n", b"--"]))
        out.append(bytes(message))
    return out


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batches=st.lists(_messages(), min_size=1, max_size=3))
def test_any_bytes_are_stored_without_error(
    sessions: SessionFactory, batches: list[list[bytes]]
) -> None:
    with sessions.begin() as session:
        if session.scalar(select(func.count(Lead.id))) == 0:
            seed(session)
        known = set(session.scalars(select(Reply.message_id)))
    inbox = ListInbox()
    for batch in batches:
        for raw_message in batch:
            inbox.deliver(raw_message)
        report = _detect(sessions, inbox)
        assert report.errors == []

    # Each new Message-ID is stored once, under the UID of a message that has it (the one
    # fetched first: a lead's reply is fetched before a stranger's); repeats are dropped.
    ids = {m.uid: parse_reply(m.raw).message_id for m in inbox.messages}
    with sessions() as session:
        stored = session.execute(
            select(Reply.message_id, Reply.mailbox_uid).where(
                Reply.mailbox_uid.like(f"{inbox.uidvalidity}:%")
            )
        ).all()
    assert sorted(str(mid) for mid, _uid in stored) == sorted(set(ids.values()) - known)
    assert all(ids[int(str(uid).split(":")[1])] == mid for mid, uid in stored)


def test_two_instances_reading_at_once_store_each_reply_once(sessions: SessionFactory) -> None:
    count = 120
    _seed_contacted(sessions, 0, count)
    inbox = ListInbox()
    for n in range(count):
        inbox.deliver(_interested(n))
    start = threading.Barrier(2)
    reports: list[CAMCycleReport] = []

    def instance() -> None:
        start.wait()
        reports.append(_detect(sessions, inbox))

    threads = [threading.Thread(target=instance) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert [r.errors for r in reports] == [[], []]
    assert sum(r.replies_detected for r in reports) == count
    assert sum(r.hot_leads_detected for r in reports) == count
    with sessions() as session:
        assert session.scalar(select(func.count(Reply.id))) == count
