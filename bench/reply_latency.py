"""From a reply landing in the mailbox to its card in Slack, with IMAP IDLE and with polling.

    .venv/bin/python -m bench.reply_latency [--replies 20] [--poll 5]

Runs cam-bot's reply watcher (as `BotScheduler` builds it: watcher, notifier) on SQLite against
a real IMAP server (pymap, STARTTLS) and the fake Slack, both on loopback. Each reply is
APPENDed to the mailbox at a random moment (0 to `--poll` seconds after the previous card), and
its latency is the time until its card's `chat.postMessage` reaches the fake Slack. Prints
p50/p95 with IDLE, then with polling every `--poll` seconds, and the bound that polling every
60 s (the default `CAM_REPLY_POLL_SECONDS`) implies: a reply waits for the next poll, uniformly
0 to 60 s, plus the same handling time as with polling at `--poll`.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import trustme

from bench.run_all import emit
from bot.app import web_client
from bot.notifier import Notifier
from bot.scheduler import BotScheduler
from cam.core.db import make_engine, session_factory, unit_of_work, upgrade
from cam.gateways.factory import build_gateways
from tests.e2e.slack_client import settings_for
from tests.fakes.slack_api import FakeSlack
from tests.gateways.imap_server import HOST, PASSWORD, USERNAME, running_imap_server
from tests.replies.prospects import add_prospect, reply

DEFAULT_POLL = 60.0
IDLE_TARGET = 10.0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def latencies(replies: int, *, idle: bool, poll: float, rng: random.Random) -> list[float]:
    """Seconds from APPEND to card for each of `replies` replies, one after the other."""
    ca = trustme.CA()
    with tempfile.TemporaryDirectory() as tmp:
        ca_file = Path(tmp) / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        engine = make_engine(url)
        sessions = session_factory(engine)
        slack = FakeSlack().start()
        try:
            with running_imap_server(ca, ca_file, implicit_tls=False, idle=idle) as imap:
                settings = settings_for(
                    slack,
                    url,
                    CAM_IMAP_HOST=HOST,
                    CAM_IMAP_PORT=str(imap.port),
                    CAM_IMAP_USERNAME=USERNAME,
                    CAM_IMAP_PASSWORD=PASSWORD,
                    CAM_IMAP_SECURITY="starttls",
                    CAM_IMAP_CA_FILE=str(ca_file),
                    # With IDLE no poll may help: an hour between catch-up reads.
                    CAM_REPLY_POLL_SECONDS=str(3600.0 if idle else poll),
                )
                emails = [f"p{i}@prospect{i}.example" for i in range(replies)]
                with unit_of_work(sessions) as session:
                    for email in emails:
                        add_prospect(session, email)
                notifier = Notifier(web_client(settings), sessions, settings)
                scheduler = BotScheduler(settings, sessions, build_gateways(settings, []), notifier)
                [watcher] = scheduler.watchers
                watcher.start()
                try:
                    return [
                        _one(imap.append, slack, email, n, wait=rng.uniform(0, poll))
                        for n, email in enumerate(emails, start=1)
                    ]
                finally:
                    scheduler.shutdown(wait=False)
        finally:
            slack.stop()
            engine.dispose()


def _one(
    append: Callable[[bytes], None], slack: FakeSlack, email: str, n: int, *, wait: float
) -> float:
    time.sleep(wait)
    before = len(slack.of("chat.postMessage"))
    started = time.monotonic()
    append(reply(email, "Sounds interesting. Could we have a call next week?", n=n))
    card = slack.wait_for("chat.postMessage", before + 1, timeout=DEFAULT_POLL * 3)[before]
    return card.at - started


def report(name: str, values: list[float], target: float | None = None) -> None:
    p50, p95 = percentile(values, 0.5), percentile(values, 0.95)
    print(f"{name}: p50 {p50:.3f} s, p95 {p95:.3f} s, max {max(values):.3f} s over {len(values)}")
    emit(f"reply_latency_{name}_p50", round(p50, 3), "s")
    ok = None if target is None else p95 < target
    emit(f"reply_latency_{name}_p95", round(p95, 3), "s", f"< {target:g} s" if target else "", ok)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--replies", type=int, default=20)
    parser.add_argument("--poll", type=float, default=5.0, help="polling interval measured (s)")
    args = parser.parse_args()
    rng = random.Random(11)
    idle = latencies(args.replies, idle=True, poll=args.poll, rng=rng)
    report("idle", idle, IDLE_TARGET)
    polled = latencies(args.replies, idle=False, poll=args.poll, rng=rng)
    report(f"poll_{args.poll:g}s", polled)
    # Handling time beyond the wait for the poll: what polling every 60 s adds it to.
    handling = statistics.median(polled) - args.poll / 2
    expected_p50, expected_p95 = DEFAULT_POLL * 0.5 + handling, DEFAULT_POLL * 0.95 + handling
    print(
        f"polling every {DEFAULT_POLL:g} s (expected, U(0, {DEFAULT_POLL:g}) + handling "
        f"{handling:.3f} s): p50 {expected_p50:.1f} s, p95 {expected_p95:.1f} s"
    )
    emit("reply_latency_poll_60s_expected_p50", round(expected_p50, 1), "s")
    emit("reply_latency_poll_60s_expected_p95", round(expected_p95, 1), "s")


if __name__ == "__main__":
    main()
