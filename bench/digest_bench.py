"""The digest over a large history: 1,000,000 outreach rows and 200,000 replies.

    .venv/bin/python -m bench.digest_bench [--leads 200000] [--backends sqlite postgresql]

Seeds `--leads` leads, spread over five sender mailboxes, with five sends each (the fifth a
LinkedIn step) spread over 60 days, one reply per lead, a LinkedIn task for a tenth and an
approval for a fortieth of them, the Slack message of each (a card per reply a person wrote),
three in four of the questions decided, and the events the digest counts, by `executemany` on
SQLite and `COPY` on PostgreSQL. Then times `build_digest` (the week in review: the 14-day
counts, per rep, bounce reasons, what waits, the limits) in a fresh session, three times
(target < 2 s), counts its SQL statements, and times the chart (target < 1 s).
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from bench.cycle_bench import counting, pg_url
from bench.run_all import emit
from cam.core.config import CAMCycleConfig
from cam.core.db import make_engine, session_factory, unit_of_work, upgrade
from cam.core.mailboxes import MailboxConfig
from cam.core.models import NotificationTopic
from cam.digest.build import build_digest
from cam.digest.chart import render_chart
from cam.digest.model import Digest, DigestKind

# Monday 30 November 2026, 17:30 in Berlin.
NOW = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)
ZONE = "Europe/Berlin"
SPAN_DAYS = 60
STEPS = 5
# A tenth and a fortieth of the leads: LinkedIn tasks and approvals.
TASKS_PER_LEAD, APPROVALS_PER_LEAD = 10, 40
BATCH = 50_000
CLASSES = ("interested", "not_interested", "out_of_office", "question", "other", "bounce")
AUTOMATIC = ("out_of_office", "bounce")
DIGEST_TARGET = 2.0
MAILBOXES = ("maya", "jonas", "petra", "lena", "omar")
CHART_TARGET = 1.0


def naive(moment: datetime) -> str:
    """UTC without a zone, written as SQLAlchemy writes it on SQLite (so comparisons agree)."""
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S.%f}"


def at(n: int, spread: int) -> str:
    """A moment in the last SPAN_DAYS, spread evenly by `n` out of `spread`."""
    return naive(NOW - timedelta(seconds=(n * 7919 % spread) * SPAN_DAYS * 86400 // spread))


def tables(leads: int) -> Iterator[tuple[str, Sequence[str], Iterator[tuple[Any, ...]]]]:
    """Each table's columns and rows, in an order the foreign keys accept."""
    stamp = naive(NOW)
    tasks, approvals = leads // TASKS_PER_LEAD, leads // APPROVALS_PER_LEAD
    yield (
        "campaigns",
        ("id", "key", "name", "active", "score_threshold", "created_at", "updated_at"),
        iter([(1, "main", "Main", True, 50, stamp, stamp)]),
    )
    yield (
        "leads",
        (
            "id",
            "email",
            "first_name",
            "last_name",
            "company",
            "title",
            "domain",
            "source",
            "score",
            "score_reasons",
            "status",
            "custom_fields",
            "steps_planned",
            "mailbox",
            "created_at",
            "updated_at",
        ),
        (
            (
                n,
                f"lead{n}@co{n % 20000}.example",
                f"F{n}",
                f"L{n}",
                "Co",
                "VP",
                "co.example",
                "bench",
                60,
                "[]",
                "contacted" if n % 50 else "replied",
                "{}",
                STEPS,
                MAILBOXES[n % len(MAILBOXES)],
                at(n, leads),
                stamp,
            )
            for n in range(1, leads + 1)
        ),
    )
    total = leads * STEPS
    yield (
        "outreach_messages",
        (
            "id",
            "lead_id",
            "campaign_id",
            "step",
            "channel",
            "scheduled_at",
            "status",
            "attempts",
            "sent_at",
            "created_at",
            "updated_at",
            "reason",
            "mailbox",
        ),
        (
            (
                m,
                (m - 1) // STEPS + 1,
                1,
                (m - 1) % STEPS + 1,
                "linkedin" if m % STEPS == 0 else "email",
                at(m, total),
                _status(m),
                1,
                at(m, total),
                at(m, total),
                at(m, total),
                "rejected: 550 unknown user" if m % 97 == 0 else None,
                MAILBOXES[((m - 1) // STEPS + 1) % len(MAILBOXES)],
            )
            for m in range(1, total + 1)
        ),
    )
    yield (
        "replies",
        (
            "id",
            "lead_id",
            "from_address",
            "subject",
            "body_excerpt",
            "classification",
            "received_at",
            "created_at",
        ),
        (
            (
                n,
                n,
                f"lead{n}@co.example",
                "Re: hello",
                "",
                CLASSES[n % len(CLASSES)],
                at(n, leads),
                at(n, leads),
            )
            for n in range(1, leads + 1)
        ),
    )
    yield (
        "manual_tasks",
        (
            "id",
            "outreach_id",
            "lead_id",
            "status",
            "suggested_message",
            "decided_at",
            "created_at",
        ),
        (
            (t, t * STEPS, t, ("open", "done", "skipped")[t % 3], "", at(t, tasks), at(t, tasks))
            for t in range(1, tasks + 1)
        ),
    )
    yield (
        "approvals",
        (
            "id",
            "kind",
            "status",
            "lead_id",
            "requested_by",
            "requested_at",
            "crm_synced_at",
        ),
        (
            (
                a,
                "escalate_lead",
                "pending" if a % 10 == 0 else "approved",
                a,
                "cam",
                at(a, approvals),
                None if a % 10 == 0 else at(a, approvals),
            )
            for a in range(1, approvals + 1)
        ),
    )
    yield (
        "events",
        ("name", "details", "created_at"),
        (
            (
                ("cam.unsubscribed", '{"email": "x"}')
                if e % 4
                else ("cam.leads_processed", '{"scored": 40}')
            )
            + (at(e, leads // 20),)
            for e in range(1, leads // 20 + 1)
        ),
    )
    yield (
        "reply_labels",
        LABEL_COLUMNS,
        (
            (n, "snooze", CLASSES[n % len(CLASSES)], None, "U1", at(n, leads))
            for n in range(1, leads + 1)
            if CLASSES[n % len(CLASSES)] in ("question", "other") and n % 4
        ),
    )
    yield "notifications", NOTIFICATION_COLUMNS, notifications(leads, tasks, approvals, stamp)


LABEL_COLUMNS = ("reply_id", "choice", "predicted", "label", "decided_by", "decided_at")
NOTIFICATION_COLUMNS = (
    "topic",
    "payload",
    "status",
    "attempts",
    "channel",
    "external_id",
    "created_at",
)


def notifications(leads: int, tasks: int, approvals: int, stamp: str) -> Iterator[tuple[Any, ...]]:
    """A posted message per approval, task and reply a person wrote (its card)."""
    for topic, key, count in (
        (NotificationTopic.approval, "approval_id", approvals),
        (NotificationTopic.task, "task_id", tasks),
        (NotificationTopic.reply_card, "reply_id", leads),
    ):
        for n in range(1, count + 1):
            if topic is NotificationTopic.reply_card and CLASSES[n % len(CLASSES)] in AUTOMATIC:
                continue
            payload = json.dumps({key: n})
            yield topic.value, payload, "sent", 1, "C0REPORTS", f"{1_700_000_000 + n}.000100", stamp


def _status(m: int) -> str:
    if m % 97 == 0:
        return "failed"
    if m % 1013 == 0:
        return "unknown"
    return "sent"


def seed(engine: Engine, leads: int) -> None:
    """Bulk-load every table: executemany on SQLite, COPY on PostgreSQL."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "sqlite":
            cursor.execute("BEGIN")  # the engine's connections are in autocommit mode
        for table, columns, rows in tables(leads):
            names = ", ".join(columns)
            if engine.dialect.name == "postgresql":
                with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" for _ in columns)
                insert = f"INSERT INTO {table} ({names}) VALUES ({marks})"
                while batch := list(itertools.islice(rows, BATCH)):
                    cursor.executemany(insert, batch)
        raw.commit()
    finally:
        raw.close()
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def measure(backend: str, url: str, leads: int) -> Digest:
    upgrade(url)
    engine = make_engine(url)
    try:
        began = time.perf_counter()
        seed(engine, leads)
        print(
            f"{backend}: seeded {leads * STEPS:,} outreach rows and {leads:,} replies "
            f"in {time.perf_counter() - began:.1f} s",
            flush=True,
        )
        with engine.connect() as conn:
            outreach = conn.execute(text("SELECT count(*) FROM outreach_messages")).scalar_one()
            replies = conn.execute(text("SELECT count(*) FROM replies")).scalar_one()
        config = CAMCycleConfig(
            timezone=ZONE,
            dry_run=False,
            mailboxes=[
                MailboxConfig(key=key, from_=f"{key} <{key}@acme.example>", daily_cap=50)
                for key in MAILBOXES
            ],
        )
        sessions = session_factory(engine)
        times: list[float] = []
        digest: Digest | None = None
        for _ in range(3):
            with counting(engine) as statements:
                started = time.perf_counter()
                with unit_of_work(sessions) as session:
                    digest = build_digest(session, config=config, now=NOW, kind=DigestKind.weekly)
                times.append(time.perf_counter() - started)
        assert digest is not None
        median = statistics.median(times)
        emit(
            f"digest over {outreach:,} outreach rows and {replies:,} replies, {backend}, "
            "median of 3",
            round(median, 3),
            "s",
            f"< {DIGEST_TARGET:g} s",
            median < DIGEST_TARGET,
        )
        emit(f"digest, {backend}, first of 3", round(times[0], 3), "s")
        emit(f"SQL statements per digest, {backend}", statements[0], "statements")
        print(
            f"  week: {digest.funnel.sent:,} sent, {digest.funnel.replies:,} replies, "
            f"{sum(digest.waiting.totals.values()):,} waiting, {len(digest.reps)} reps, "
            f"{sum(group.count for group in digest.bounce_reasons):,} bounces by reason",
            flush=True,
        )
        return digest
    finally:
        engine.dispose()


def chart(digest: Digest) -> None:
    renders = []
    for _ in range(3):
        started = time.perf_counter()
        png = render_chart(digest)
        renders.append(time.perf_counter() - started)
    median = statistics.median(renders)
    emit(
        "chart render, median of 3",
        round(median, 3),
        "s",
        f"< {CHART_TARGET:g} s",
        median < CHART_TARGET,
    )
    emit("chart render, first (fonts loaded)", round(renders[0], 3), "s")
    emit("chart PNG size", round(len(png) / 1024, 1), "KiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leads", type=int, default=200_000)
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    args = parser.parse_args()
    digest: Digest | None = None
    with tempfile.TemporaryDirectory(prefix="cam-digest-") as tmp:
        for backend in args.backends:
            if backend == "sqlite":
                digest = measure(backend, f"sqlite:///{Path(tmp) / 'digest.db'}", args.leads)
            else:
                with pg_url(args.leads) as url:
                    digest = measure(backend, url, args.leads)
    if digest is not None:
        chart(digest)


if __name__ == "__main__":
    main()
