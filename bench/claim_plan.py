"""The send claim on freshly imported leads, before and after the importer's `ANALYZE leads`.

    .venv/bin/python -m bench.claim_plan [--backend sqlite|postgresql] [--leads N]

Plans a due first email to N leads of one mailbox (seeded in bulk, as an import leaves them:
no planner statistics), then times the send pass's claim query (the next due row,
`FOR UPDATE SKIP LOCKED`: `PassState.next_due`) as the median of a few runs: first as
seeded, then after `bulk.analyze(session, Lead)`, the call the importer makes after adding
`ANALYZE_AFTER` leads or more, and last with the outbox analysed too (as autovacuum ends up
doing). Also times the ANALYZE itself, which the import pays once. On SQLite `bulk.analyze`
does nothing: its figures show the claim needs no statistics there. The clock is pinned.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from bench.cycle_bench import pg_url, sqlite_url
from bench.mailboxes_send import CLOCK, config
from bench.run_all import emit
from cam.core import bulk
from cam.core.context import CycleContext
from cam.core.db import make_engine, session_factory, upgrade
from cam.core.models import Channel, Lead, OutreachMessage
from cam.core.ports import Gateways
from cam.core.report import CAMCycleReport
from cam.gateways.noop import NoopCrmSyncer, NoopEmailSender, NoopInboxReader, NoopSocialPoster
from cam.outreach.send_state import PassState
from tests.faults.outbox import seed_outbox

MAILBOX = "mb0"
RUNS = 5


def claim_ms(engine: Engine, leads: int) -> float:
    """Median milliseconds of the claim query over RUNS runs, each rolled back."""
    ctx = CycleContext(
        config=config([MAILBOX], leads),
        session_factory=session_factory(engine),
        gateways=Gateways(
            email=NoopEmailSender(),
            inbox=NoopInboxReader(),
            social=NoopSocialPoster(),
            crm=NoopCrmSyncer(),
        ),
        clock=lambda: CLOCK,
        rng=random.Random(7),
        report=CAMCycleReport(start=CLOCK),
    )
    state = PassState(ctx)
    times = []
    with Session(engine) as session:
        for _ in range(RUNS):
            started = time.perf_counter()
            assert state.next_due(session, Channel.email, MAILBOX) is not None
            times.append(time.perf_counter() - started)
            session.rollback()
    return 1000 * statistics.median(times)


def analysed(engine: Engine, model: type[Lead] | type[OutreachMessage]) -> float:
    """Run `bulk.analyze` on `model`'s table; return its seconds."""
    started = time.perf_counter()
    with Session(engine) as session, session.begin():
        bulk.analyze(session, model)
    return time.perf_counter() - started


def measure(backend: str, url: str, leads: int) -> None:
    upgrade(url)
    engine = make_engine(url)
    try:
        seed_outbox(engine, {f"co{n}.example": 1 for n in range(leads)}, due=CLOCK)
        with engine.begin() as conn:
            conn.execute(update(Lead).values(mailbox=MAILBOX))
        label = f"{backend} {leads:,} fresh leads"
        before = claim_ms(engine, leads)
        seconds = analysed(engine, Lead)
        after = claim_ms(engine, leads)
        analysed(engine, OutreachMessage)
        both = claim_ms(engine, leads)
    finally:
        engine.dispose()
    print(
        f"{label}: claim {before:.2f} ms as seeded, {after:.2f} ms after ANALYZE leads "
        f"({seconds:.3f} s), {both:.2f} ms with the outbox analysed too",
        flush=True,
    )
    emit(f"{label}: claim, no statistics", round(before, 2), "ms")
    emit(f"{label}: claim, after ANALYZE leads", round(after, 2), "ms")
    emit(f"{label}: claim, outbox analysed too", round(both, 2), "ms")
    emit(f"{label}: ANALYZE leads", round(seconds, 3), "s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], action="append")
    parser.add_argument("--leads", type=int, action="append")
    args, _ = parser.parse_known_args()
    with tempfile.TemporaryDirectory(prefix="cam-bench-") as tmp:
        for backend in args.backend or ["sqlite", "postgresql"]:
            for leads in args.leads or [500, 5000]:
                place = sqlite_url(Path(tmp), leads) if backend == "sqlite" else pg_url(leads)
                with place as url:
                    measure(backend, url, leads)


if __name__ == "__main__":
    main()
