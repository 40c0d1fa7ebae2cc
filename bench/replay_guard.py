"""What refusing replays costs each Slack request: one nonce insert (and prune) per request.

    .venv/bin/python -m bench.replay_guard [--requests 2000] [--threads 8]

`bot.nonces.first_use` is timed on a fresh migrated database, SQLite (a file, WAL, as
`cam-bot` opens it) and PostgreSQL when it answers: first one caller after another, then
`--threads` callers at once (writers queue on SQLite's lock). The nonces are distinct, as
Slack's signatures are, and the clock advances a second per request, so the prune runs on a
table that holds the last five minutes. Target: p99 well under Slack's 3-second ack, and a
small share of the ack-latency budget (p99 < 10 ms one at a time).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from bench.run_all import emit
from bot.nonces import first_use
from cam.core.db import SessionFactory, make_engine, reachable, session_factory, upgrade

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@contextmanager
def database(kind: str, workdir: Path) -> Iterator[SessionFactory]:
    """Yield sessions on a fresh migrated database of `kind`."""
    schema = None if kind == "sqlite" else f"bench_{uuid.uuid4().hex[:10]}"
    admin = None if schema is None else make_engine(PG_URL)
    if admin is None:
        url = f"sqlite:///{workdir / 'guard.db'}"
    else:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    upgrade(url)
    engine = make_engine(url)
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()
        if admin is not None:
            with admin.begin() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()


def timed(sessions: SessionFactory, requests: int, threads: int) -> list[float]:
    """Time `requests` first uses spread over `threads` callers; return milliseconds each."""
    counter = iter(range(requests))
    lock = threading.Lock()
    times: list[float] = []

    def caller() -> None:
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            now = START + timedelta(seconds=n)
            began = time.perf_counter()
            assert first_use(sessions, f"v0={uuid.uuid4().hex}{uuid.uuid4().hex}", now)
            with lock:
                times.append((time.perf_counter() - began) * 1000)

    workers = [threading.Thread(target=caller) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return times


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    kinds = ["sqlite"] + (["postgresql"] if reachable(PG_URL) else [])
    print(f"{args.requests} nonces per run; one caller, then {args.threads} at once")
    print(f"{'database':<12} {'callers':>7} {'p50 ms':>8} {'p99 ms':>8}")
    for kind in kinds:
        with tempfile.TemporaryDirectory() as tmp, database(kind, Path(tmp)) as sessions:
            for threads in (1, args.threads):
                times = timed(sessions, args.requests, threads)
                median, tail = statistics.median(times), p99(times)
                print(f"{kind:<12} {threads:>7} {median:>8.2f} {tail:>8.2f}")
                label = f"replay check per request, {kind}, {threads} at once"
                emit(f"{label}, p50", round(median, 2), "ms")
                target = "< 10" if threads == 1 else ""
                ok = tail < 10 if threads == 1 else None
                emit(f"{label}, p99", round(tail, 2), "ms", target, ok)


if __name__ == "__main__":
    main()
