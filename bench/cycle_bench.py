"""How a dry-run cycle scales: 10,000 and 100,000 new leads, on SQLite and on PostgreSQL.

Prints the seconds of one cycle, the ratio between the two sizes (linear is 10), and the SQL
statements the cycle sent (set-based work keeps that nearly constant). Leads are seeded with a
bulk insert, not through the importer, so only the cycle is measured. PostgreSQL gets a fresh
schema on the server at `CAM_BENCH_PG_URL` (default the test server), dropped afterwards.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, insert, text

from bench.run_all import emit
from cam.core.config import CAMCycleConfig
from cam.core.db import make_engine, session_factory, upgrade
from cam.core.models import Lead, LeadStatus
from cam.core.ports import Gateways
from cam.cycle import run_daily_cam_cycle
from cam.gateways.noop import NoopCrmSyncer, NoopEmailSender, NoopInboxReader, NoopSocialPoster

PG_URL = os.environ.get("CAM_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# A Wednesday morning: inside the default send window, so the cycle plans and simulates.
CLOCK = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
SEED_BATCH = 10_000
TARGET_SECONDS = 20.0
TARGET_RATIO = 11.0

TITLES = [
    "CEO",
    "Founder",
    "Head of Sales",
    "VP Sales",
    "Chief Revenue Officer",
    "Marketing Manager",
    "Sales Development Representative",
    "Software Engineer",
    "Intern",
    "Office Manager",
]
FREE_MAIL = ["gmail.com", "yahoo.com", "outlook.com"]


def lead_rows(count: int, rng: random.Random) -> Iterator[list[dict[str, Any]]]:
    """Yield realistic new leads in batches: company and free-mail domains, varied titles."""
    batch: list[dict[str, Any]] = []
    now = CLOCK
    for n in range(count):
        if rng.random() < 0.15:
            domain = rng.choice(FREE_MAIL)
        else:
            domain = f"company{rng.randrange(count // 5 + 1)}.example"
        batch.append(
            {
                "email": f"lead{n}@{domain}",
                "first_name": f"First{n}",
                "last_name": f"Last{n}",
                "company": domain.split(".")[0].title(),
                "title": rng.choice(TITLES),
                "domain": "",
                "timezone": None,
                "linkedin_url": None,
                "source": "bench",
                "score": 0,
                "score_reasons": [],
                "status": LeadStatus.new,
                "status_reason": None,
                "custom_fields": {"employees": rng.choice([5, 50, 500, 5000])},
                "steps_planned": 0,
                "created_at": now,
                "updated_at": now,
            }
        )
        if len(batch) == SEED_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def seed(engine: Engine, count: int) -> None:
    rng = random.Random(count)
    with engine.begin() as conn:
        for batch in lead_rows(count, rng):
            conn.execute(insert(Lead), batch)


def noop_gateways() -> Gateways:
    return Gateways(
        email=NoopEmailSender(),
        inbox=NoopInboxReader(),
        social=NoopSocialPoster(),
        crm=NoopCrmSyncer(),
    )


@dataclass
class Measure:
    backend: str
    leads: int
    seconds: float
    # CPU time of this process: what the cycle costs here when others share the machine.
    cpu_seconds: float
    statements: int
    errors: int
    processed: int
    phases: dict[str, float]


@contextmanager
def counting(engine: Engine) -> Iterator[list[int]]:
    """Count the statements sent to the database while the block runs."""
    counter = [0]

    def count(*_args: Any) -> None:
        counter[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", count)


def measure(backend: str, url: str, leads: int) -> Measure:
    """Seed `leads` new leads in a fresh database at `url` and time one dry-run cycle."""
    upgrade(url)
    engine = make_engine(url)
    try:
        seed(engine, leads)
        config = CAMCycleConfig(dry_run=True, max_new_leads_per_day=leads)
        with counting(engine) as statements:
            started, cpu_started = time.perf_counter(), time.process_time()
            report = run_daily_cam_cycle(
                config,
                session_factory=session_factory(engine),
                gateways=noop_gateways(),
                clock=lambda: CLOCK,
                rng=random.Random(7),
                trigger="bench",
            )
            seconds = time.perf_counter() - started
            cpu_seconds = time.process_time() - cpu_started
        for error in report.errors[:5]:
            print(f"  error in {error.phase}: {error.message}")
        return Measure(
            backend,
            leads,
            seconds,
            cpu_seconds,
            statements[0],
            len(report.errors),
            report.leads_processed,
            report.phase_durations,
        )
    finally:
        engine.dispose()


@contextmanager
def sqlite_url(workdir: Path, leads: int) -> Iterator[str]:
    yield f"sqlite:///{workdir / f'bench_{leads}.db'}"


@contextmanager
def pg_url(leads: int) -> Iterator[str]:
    schema = f"bench_{leads}_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def run(backends: list[str], sizes: list[int]) -> list[Measure]:
    results: list[Measure] = []
    with tempfile.TemporaryDirectory(prefix="cam-bench-") as tmp:
        for backend in backends:
            for leads in sizes:
                print(f"{backend}: seeding {leads:,} leads and running a dry-run cycle", flush=True)
                place = sqlite_url(Path(tmp), leads) if backend == "sqlite" else pg_url(leads)
                with place as url:
                    result = measure(backend, url, leads)
                print(
                    f"  {result.seconds:.2f} s ({result.cpu_seconds:.2f} s CPU here), "
                    f"{result.statements} statements, "
                    f"{result.processed:,} processed, {result.errors} errors; phases (s): "
                    + ", ".join(f"{k} {v:.2f}" for k, v in result.phases.items()),
                    flush=True,
                )
                results.append(result)
    return results


def report(results: list[Measure]) -> None:
    by_backend: dict[str, list[Measure]] = {}
    for result in results:
        by_backend.setdefault(result.backend, []).append(result)
    for backend, rows in by_backend.items():
        for row in rows:
            label = f"{backend} {row.leads:,} leads"
            ok = row.seconds < TARGET_SECONDS if row.leads >= 100_000 else None
            target = f"< {TARGET_SECONDS:.0f} s" if row.leads >= 100_000 else ""
            emit(f"{label}: cycle", round(row.seconds, 2), "s", target, ok)
            emit(f"{label}: cycle CPU in this process", round(row.cpu_seconds, 2), "s")
            emit(f"{label}: SQL statements", row.statements)
            emit(f"{label}: errors", row.errors, "", "0", row.errors == 0)
        small, large = rows[0], rows[-1]
        if large.leads > small.leads:
            ratio = large.seconds / small.seconds
            scale = large.leads / small.leads
            emit(
                f"{backend}: time ratio {large.leads:,}/{small.leads:,}",
                round(ratio, 2),
                "x",
                f"<= {TARGET_RATIO * scale / 10:g}",
                ratio <= TARGET_RATIO * scale / 10,
            )
            emit(
                f"{backend}: extra statements at {large.leads:,}",
                large.statements - small.statements,
                "",
                f"<= {(large.leads - small.leads) // 500} (one per 500 leads)",
                large.statements - small.statements <= (large.leads - small.leads) // 500,
            )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], action="append")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args, _ = parser.parse_known_args(argv)
    report(run(args.backend or ["sqlite", "postgresql"], sorted(args.sizes)))


if __name__ == "__main__":
    main()
