"""A live send pass over 10 mailboxes x 50 due emails against 1 mailbox x 500.

    .venv/bin/python -m bench.mailboxes_send [--backend sqlite|postgresql]

Both passes send 500 first emails, each mailbox up to its cap of 50 (or 500); only how they
are spread differs. Prints the seconds of each pass, the SQL statements it sent (counted with a
`before_cursor_execute` listener) and both per message, and the ratios 10x50 / 1x500: near 1
means a team of mailboxes costs what one mailbox does. Each mailbox sends through an
in-process recorder behind the engine's `EmailSender` protocol, so the figures are the
engine's and the database's, not a mail server's. The clock is pinned to a Wednesday morning;
PostgreSQL gets a fresh schema on `CAM_BENCH_PG_URL` (default the test server).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from datetime import time as clock_time
from pathlib import Path

from sqlalchemy import Engine, text, update

from bench.cycle_bench import counting, pg_url, sqlite_url
from bench.run_all import emit
from cam.core.config import CAMCycleConfig, ChannelLimitConfig, SafetySettings, SendWindow
from cam.core.db import make_engine, session_factory, upgrade
from cam.core.mailboxes import MailboxConfig
from cam.core.models import Channel, Lead
from cam.core.ports import Gateways, MailboxGateways
from cam.cycle import run_send_pass
from cam.gateways.noop import NoopCrmSyncer, NoopEmailSender, NoopInboxReader, NoopSocialPoster
from tests.faults.outbox import seed_outbox
from tests.outreach.helpers import RecordingEmailSender

CLOCK = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
MESSAGES = 500
# Statements per message of the team may exceed one mailbox's by this much at most.
TARGET_STATEMENT_RATIO = 1.1


@dataclass
class Pass:
    mailboxes: int
    seconds: float
    statements: int
    sent: int


def config(keys: list[str], cap: int) -> CAMCycleConfig:
    """Live email from `keys`, each capped at `cap`; every hour and day open, no spacing."""
    return CAMCycleConfig(
        dry_run=False,
        channels_enabled=frozenset({Channel.email}),
        max_outreach_per_day=MESSAGES,
        secret_key="bench-secret",
        sender_domain="team.example",
        safety_settings=SafetySettings(
            channels={Channel.email: ChannelLimitConfig(daily_cap=MESSAGES)},
            per_domain_daily_cap=3,
            send_window=SendWindow(
                start=clock_time(0, 0), end=clock_time(23, 59), weekdays=frozenset(range(7))
            ),
            min_gap_seconds=0,
            max_extra_gap_seconds=0,
        ),
        mailboxes=[
            MailboxConfig(key=key, from_=f"Seller {key} <{key}@team.example>", daily_cap=cap)
            for key in keys
        ],
    )


def seed(engine: Engine, keys: list[str]) -> None:
    """Plan a due first email to MESSAGES leads, each on its own domain, dealt to `keys`.

    The tables are analysed afterwards, as autovacuum would soon do: without statistics
    PostgreSQL takes the fresh tables for one row each and joins them in a nested loop, which
    weighs on the one mailbox holding all 500 leads far more than on ten holding 50 each.
    """
    emails = seed_outbox(engine, {f"co{n}.example": 1 for n in range(MESSAGES)}, due=CLOCK)
    with engine.begin() as conn:
        for i, key in enumerate(keys):
            conn.execute(
                update(Lead).where(Lead.email.in_(emails[i :: len(keys)])).values(mailbox=key)
            )
        conn.execute(text("ANALYZE"))


def measure(url: str, mailboxes: int) -> Pass:
    upgrade(url)
    engine = make_engine(url)
    keys = [f"mb{n}" for n in range(mailboxes)]
    try:
        seed(engine, keys)
        recorders = {key: RecordingEmailSender(name=key) for key in keys}
        gateways = Gateways(
            email=NoopEmailSender(),
            inbox=NoopInboxReader(),
            social=NoopSocialPoster(),
            crm=NoopCrmSyncer(),
            mailboxes={
                key: MailboxGateways(email=recorder, inbox=NoopInboxReader())
                for key, recorder in recorders.items()
            },
        )
        with counting(engine) as statements:
            started = time.perf_counter()
            report = run_send_pass(
                config(keys, MESSAGES // mailboxes),
                session_factory=session_factory(engine),
                gateways=gateways,
                clock=lambda: CLOCK,
                rng=random.Random(7),
            )
            seconds = time.perf_counter() - started
        assert report.errors == [], report.errors
        sent = sum(len(recorder.sent) for recorder in recorders.values())
        assert sent == report.outreach_sent == MESSAGES, (sent, report.outreach_sent)
        assert all(len(r.sent) == MESSAGES // mailboxes for r in recorders.values())
        return Pass(mailboxes, seconds, statements[0], sent)
    finally:
        engine.dispose()


def run(backend: str, workdir: Path) -> None:
    passes = []
    for mailboxes in (1, 10):
        place = sqlite_url(workdir, mailboxes) if backend == "sqlite" else pg_url(mailboxes)
        with place as url:
            passes.append(measure(url, mailboxes))
    one, team = passes
    for result in passes:
        label = f"{backend} {result.mailboxes} x {MESSAGES // result.mailboxes}"
        print(
            f"{label}: {result.seconds:.2f} s, {result.statements} statements "
            f"({result.statements / result.sent:.1f} a message)",
            flush=True,
        )
        emit(f"{label}: send pass", round(result.seconds, 2), "s")
        emit(f"{label}: ms per message", round(1000 * result.seconds / result.sent, 2), "ms")
        emit(f"{label}: SQL statements", result.statements)
        emit(f"{label}: statements per message", round(result.statements / result.sent, 2))
    statement_ratio = team.statements / one.statements
    emit(f"{backend}: time ratio 10x50 / 1x500", round(team.seconds / one.seconds, 2))
    emit(
        f"{backend}: statement ratio 10x50 / 1x500",
        round(statement_ratio, 3),
        "",
        f"<= {TARGET_STATEMENT_RATIO}",
        statement_ratio <= TARGET_STATEMENT_RATIO,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], action="append")
    args, _ = parser.parse_known_args()
    with tempfile.TemporaryDirectory(prefix="cam-bench-") as tmp:
        for backend in args.backend or ["sqlite", "postgresql"]:
            run(backend, Path(tmp))


if __name__ == "__main__":
    main()
