"""Ack latency of `/cam limits` and `/cam status` under concurrent Slack requests on loopback.

    .venv/bin/python -m bench.ack_latency [--clients 20] [--requests 25] [--threads 16]

Each configuration is served by waitress in its own process (so the load generator does not
share its interpreter lock); `--clients` threads each send `--requests` signed slash commands
over fresh connections, as Slack does, and time each answer. Beside the bot, a bare Bolt app
that acks at once gives the baseline. Configurations:

- bare Bolt, `process_before_response` True and False (Bolt's default: listener on an executor,
  ack polled every 10 ms);
- the bot as `cam-bot` serves it (`make_wsgi_app`), both ack paths, on SQLite (where every
  transaction, read-only ones included, opens with `BEGIN IMMEDIATE`) and on PostgreSQL;
- the bot on SQLite with a plain deferred `BEGIN`, to price `BEGIN IMMEDIATE` for reads;
- last, one uncached `/cam status` while another connection holds SQLite's write lock, with
  `BEGIN IMMEDIATE` and with a deferred `BEGIN`.

Targets: p99 < 50 ms, and p50 and p99 at most 1.5x the fastest bare configuration. Beside
them, the serving process's CPU per request and its ratio to the thriftiest bare one's: on a
shared machine a request's latency is mostly its wait for a CPU, which that ratio does not count.
"""

from __future__ import annotations

import argparse
import http.client
import logging
import multiprocessing
import os
import sqlite3
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import create_engine, event, text
from waitress.server import create_server

from bench.run_all import emit
from bot.app import create_app
from bot.routes import make_wsgi_app
from bot.settings import BotSettings
from cam.core.db import (
    _sqlite_pragmas,
    make_engine,
    reachable,
    session_factory,
    unit_of_work,
    upgrade,
)
from cam.core.models import (
    Approval,
    ApprovalKind,
    ApprovalStatus,
    CycleRun,
    Lead,
    LeadStatus,
    Notification,
)
from cam.core.report import CAMCycleReport
from cam.core.state import get_state
from cam.escalation import go_live
from tests.fakes.slack_api import FakeSlack

SECRET = "bench-signing-secret"
TOKEN = "xoxb-test-token"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TARGET_MS = 50.0
TARGET_RATIO = 1.5
# How long the competing writer holds SQLite's lock (a cycle's phase on a big batch).
WRITER_HOLDS = 2.0


# p50 ms, p99 ms, and the serving process's CPU ms per request (user + system).
Figures = tuple[float, float, float]


@dataclass(frozen=True)
class Config:
    name: str
    bare: bool
    process_before_response: bool
    db: str = ""  # "sqlite", "sqlite-deferred" or "postgresql"


CONFIGS = [
    Config("bare, pbr=True", bare=True, process_before_response=True),
    Config("bare, pbr=False", bare=True, process_before_response=False),
    Config("cam, pbr=True, SQLite", bare=False, process_before_response=True, db="sqlite"),
    Config("cam, pbr=False, SQLite", bare=False, process_before_response=False, db="sqlite"),
    Config(
        "cam, pbr=True, SQLite deferred BEGIN",
        bare=False,
        process_before_response=True,
        db="sqlite-deferred",
    ),
    Config("cam, pbr=True, PostgreSQL", bare=False, process_before_response=True, db="postgresql"),
]


def settings_for(slack_url: str, db_url: str) -> BotSettings:
    return BotSettings.model_validate(
        {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack_url,
            "CAM_REPORT_CHANNEL": "C0REPORTS",
            "CAM_APPROVERS": "UAPPROVER1,UAPPROVER2",
            "DATABASE_URL": db_url,
        }
    )


def seed(db_url: str) -> None:
    """A team a few weeks in: leads, past runs with reports, approvals waiting."""
    upgrade(db_url)
    engine = make_engine(db_url)
    sessions = session_factory(engine)
    now = datetime.now(UTC)
    with unit_of_work(sessions) as session:
        session.add_all(
            Lead(
                email=f"lead{i}@company{i % 300}.example",
                first_name=f"Lead{i}",
                last_name="Example",
                company=f"Company {i % 300}",
                domain=f"company{i % 300}.example",
                status=LeadStatus.hot if i < 5 else LeadStatus.scored,
                score=70,
                score_reasons=["title: vp (+30)"],
            )
            for i in range(2000)
        )
        for day in range(10):
            start = now - timedelta(days=10 - day)
            report = CAMCycleReport(start=start, end=start + timedelta(seconds=9), simulated=20)
            run = CycleRun(trigger="schedule", status="completed", started_at=start)
            session.add(run)
            session.flush()
            report.cycle_id = run.id
            run.report = report.model_dump(mode="json")
            run.finished_at = report.end
        session.flush()
        for lead_id in range(1, 6):
            session.add(
                Approval(
                    kind=ApprovalKind.escalate_lead,
                    status=ApprovalStatus.pending,
                    dedupe_key=f"escalate_lead:{lead_id}",
                    lead_id=lead_id,
                )
            )
        go_live.request_go_live(session, requested_by="UAPPROVER1", now=now)
        get_state(session)  # the switches row exists, so reading the status writes nothing
        session.query(Notification).delete()
    engine.dispose()


def deferred_sqlite_sessions(db_url: str) -> Any:
    """SQLite sessions that begin with a plain (deferred) BEGIN instead of BEGIN IMMEDIATE."""
    engine = create_engine(db_url, connect_args={"timeout": 30})
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))
    return session_factory(engine)


def bare_wsgi(slack_url: str, process_before_response: bool) -> Any:
    app = App(
        client=WebClient(token=TOKEN, base_url=slack_url),
        signing_secret=SECRET,
        process_before_response=process_before_response,
    )

    @app.command("/cam")
    def cam(ack: Ack) -> None:
        ack(text="ok", response_type="ephemeral")

    return SlackRequestHandler(app)


def cam_wsgi(config: Config, slack_url: str, db_url: str) -> Any:
    settings = settings_for(slack_url, db_url)
    if config.db == "sqlite-deferred":
        sessions = deferred_sqlite_sessions(db_url)
    else:
        sessions = session_factory(make_engine(db_url))
    app = create_app(
        settings,
        sessions,
        process_before_response=config.process_before_response,
        deliver_notifications=lambda: None,
    )
    return make_wsgi_app(app, settings, sessions)


def serve(config: Config, slack_url: str, db_url: str, threads: int, ports: Any) -> None:
    """Child process: build the configuration's app and serve it until terminated."""
    wsgi = (
        bare_wsgi(slack_url, config.process_before_response)
        if config.bare
        else cam_wsgi(config, slack_url, db_url)
    )
    server: Any = create_server(wsgi, host="127.0.0.1", port=0, threads=threads)
    ports.put(server.effective_port)
    server.run()


def signed_command(verifier: SignatureVerifier, text_: str) -> tuple[bytes, dict[str, str]]:
    body = urlencode(
        {
            "team_id": "T0TEAM",
            "channel_id": "C0GENERAL",
            "user_id": "UOUTSIDER9",
            "command": "/cam",
            "text": text_,
            "response_url": "",
            # Unique, as Slack's: the bot refuses a request it has served before (a replay).
            "trigger_id": uuid.uuid4().hex,
        }
    )
    stamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": verifier.generate_signature(timestamp=stamp, body=body) or "",
    }
    return body.encode(), headers


def one_request(port: int, body: bytes, headers: dict[str, str]) -> float:
    """Send one request over a fresh connection; return seconds until the whole answer."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", "/slack/events", body=body, headers=headers)
        response = conn.getresponse()
        payload = response.read()
    finally:
        conn.close()
    elapsed = time.perf_counter() - started
    if response.status != 200 or b'"text"' not in payload:
        raise RuntimeError(f"unexpected answer {response.status}: {payload[:200]!r}")
    return elapsed


def load(port: int, command: str, clients: int, requests: int) -> list[float]:
    """Run `clients` threads of `requests` each, started together; return every latency."""
    verifier = SignatureVerifier(SECRET)
    latencies: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(clients)
    failures: list[BaseException] = []

    def client() -> None:
        mine = []
        try:
            start.wait()
            for _ in range(requests):
                body, headers = signed_command(verifier, command)
                mine.append(one_request(port, body, headers))
        except BaseException as exc:
            failures.append(exc)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return latencies


def cpu_seconds(pid: int | None) -> float:
    """CPU time (user + system) the process `pid` has used: the cost of a request, whatever
    else the machine runs meanwhile (latency on a shared machine is mostly the wait for a CPU).
    """
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def with_database(kind: str, workdir: Path, run: Callable[[str], None]) -> None:
    if kind.startswith("sqlite"):
        run(f"sqlite:///{workdir / 'ack.db'}")
        return
    schema = f"bench_ack_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        run(f"{PG_URL}?options=-csearch_path%3D{schema}")
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def measure(
    config: Config, slack_url: str, db_url: str, args: argparse.Namespace
) -> dict[str, Figures]:
    """Serve `config` in a child process; return {command: (p50 ms, p99 ms)}."""
    ctx = multiprocessing.get_context("fork")
    ports = ctx.Queue()
    child = ctx.Process(
        target=serve, args=(config, slack_url, db_url, args.threads, ports), daemon=True
    )
    child.start()
    try:
        port = ports.get(timeout=60)
        figures = {}
        for command in ("limits", "status"):
            load(port, command, args.clients, 5)  # warm up connections, caches, pools
            cpu_before = cpu_seconds(child.pid)
            latencies = load(port, command, args.clients, args.requests)
            cpu = (cpu_seconds(child.pid) - cpu_before) / len(latencies)
            figures[command] = (
                percentile(latencies, 50) * 1000,
                percentile(latencies, 99) * 1000,
                cpu * 1000,
            )
        return figures
    finally:
        child.terminate()
        child.join(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=25)
    parser.add_argument("--threads", type=int, default=16, help="waitress threads")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, interleaved; medians shown")
    args = parser.parse_args()
    # Waitress warns of every queued connection: 20 clients on 16 threads queue by design.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    have_pg = reachable(PG_URL)
    fake = FakeSlack(TOKEN).start()
    rounds: dict[str, list[dict[str, Figures]]] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for round_ in range(args.rounds):
                for n, config in enumerate(CONFIGS):
                    if config.db == "postgresql" and not have_pg:
                        continue
                    workdir = Path(tmp) / f"{round_}-{n}"
                    workdir.mkdir()

                    def run(db_url: str, config: Config = config) -> None:
                        if not config.bare:
                            seed(db_url)
                        rounds.setdefault(config.name, []).append(
                            measure(config, fake.url, db_url, args)
                        )

                    with_database(config.db or "sqlite", workdir, run)
            blocked = {
                kind: read_behind_a_writer(Path(tmp) / f"lock-{kind}.db", fake.url, kind)
                for kind in ("sqlite", "sqlite-deferred")
            }
    finally:
        fake.stop()
    if not have_pg:
        print("PostgreSQL is not reachable: its configuration was skipped")
    results = {
        name: {
            command: (
                statistics.median(r[command][0] for r in runs),
                statistics.median(r[command][1] for r in runs),
                statistics.median(r[command][2] for r in runs),
            )
            for command in ("limits", "status")
        }
        for name, runs in rounds.items()
    }
    report(results, args)
    print(
        f"\nAn uncached /cam status while another connection holds SQLite's write lock for "
        f"{WRITER_HOLDS:.0f} s: {blocked['sqlite'] * 1000:.0f} ms with BEGIN IMMEDIATE, "
        f"{blocked['sqlite-deferred'] * 1000:.0f} ms with a deferred BEGIN"
    )
    emit("uncached /cam status behind a writer, BEGIN IMMEDIATE", round(blocked["sqlite"], 2), "s")


def read_behind_a_writer(db: Path, slack_url: str, kind: str) -> float:
    """Time one uncached `/cam status` while another connection holds the write lock."""
    db_url = f"sqlite:///{db}"
    seed(db_url)
    settings = settings_for(slack_url, db_url)
    sessions = deferred_sqlite_sessions(db_url) if kind == "sqlite-deferred" else None
    sessions = sessions or session_factory(make_engine(db_url))
    app = create_app(settings, sessions, deliver_notifications=lambda: None)
    body, headers = signed_command(SignatureVerifier(SECRET), "status")
    writer = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    writer.execute("BEGIN IMMEDIATE")
    release = threading.Timer(WRITER_HOLDS, writer.execute, args=("COMMIT",))
    release.start()
    try:
        started = time.perf_counter()
        bolt_headers: dict[str, str | Sequence[str]] = dict(headers)
        request = BoltRequest(body=body.decode(), headers=bolt_headers)
        response = app.dispatch(request)
        elapsed = time.perf_counter() - started
    finally:
        release.join()
        writer.close()
    if response.status != 200 or "CAM status" not in str(response.body):
        raise RuntimeError(f"status answered {response.status}: {response.body[:200]}")
    return elapsed


def report(results: dict[str, dict[str, Figures]], args: argparse.Namespace) -> None:
    bare = {name: figures for name, figures in results.items() if name.startswith("bare")}
    print(
        f"{args.clients} clients x {args.requests} requests each, waitress {args.threads} "
        f"threads, fresh connection per request; medians of {args.rounds} rounds; "
        f"load average at the end {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'configuration':40} {'command':8} {'p50 ms':>8} {'p99 ms':>8} {'x p50':>6} {'x p99':>6}"
        f" {'CPU ms/req':>10} {'x CPU':>6}"
    )
    for command in ("limits", "status"):
        best50 = min(figures[command][0] for figures in bare.values())
        best99 = min(figures[command][1] for figures in bare.values())
        # The bare configuration that spends least: the load blurs latency, not this.
        best_cpu = min(figures[command][2] for figures in bare.values())
        for name, figures in results.items():
            p50, p99, cpu = figures[command]
            print(
                f"{name:40} {command:8} {p50:8.1f} {p99:8.1f} "
                f"{p50 / best50:8.2f} {p99 / best99:8.2f} {cpu:10.2f} {cpu / best_cpu:6.2f}"
            )
        for database in ("SQLite", "PostgreSQL"):
            ours = results.get(f"cam, pbr=True, {database}")
            if ours is not None:
                _emit(command, database, ours[command], best99, best_cpu)


def _emit(command: str, database: str, figures: Figures, best99: float, best_cpu: float) -> None:
    p50, p99, cpu = figures
    emit(f"/cam {command} p50 ({database})", round(p50, 1), "ms")
    emit(f"/cam {command} CPU per request ({database})", round(cpu, 2), "ms")
    emit(f"/cam {command} CPU per request / bare ({database})", round(cpu / best_cpu, 2), "x")
    emit(
        f"/cam {command} p99 ({database})",
        round(p99, 1),
        "ms",
        f"< {TARGET_MS:g}",
        p99 < TARGET_MS,
    )
    ratio = p99 / best99
    emit(
        f"/cam {command} p99 / bare p99 ({database})",
        round(ratio, 2),
        "x",
        f"<= {TARGET_RATIO}",
        ratio <= TARGET_RATIO,
    )


if __name__ == "__main__":
    main()
