"""`/cam run dry` from many people at once, on two instances: one cycle, one report."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from bot.cycle_requests import MANUAL_CYCLE_LEASE, MANUAL_CYCLE_TTL
from cam.core import leases
from cam.core.db import unit_of_work
from cam.core.models import CycleRun
from tests.e2e.slack_client import Reply, RunningBot

ASKERS = 24


def cycle_runs(bot: RunningBot) -> int:
    with unit_of_work(bot.sessions) as session:
        return int(session.scalar(select(func.count()).select_from(CycleRun)) or 0)


def hold_workers(bots: list[RunningBot], release: threading.Event) -> None:
    """Keep every worker thread busy, so a cycle that was accepted waits in the queue."""

    def hold() -> None:
        release.wait(30)

    for bot in bots:
        for _ in range(2):
            bot.worker.submit("hold", hold)


def test_many_askers_on_two_instances_get_one_cycle(start_bot: Callable[..., RunningBot]) -> None:
    bots = [start_bot(), start_bot()]
    release = threading.Event()
    hold_workers(bots, release)
    start = threading.Barrier(ASKERS)

    def ask(n: int) -> Reply:
        bot = bots[n % 2]
        start.wait()
        return bot.slack.command("run dry", user=f"UMEMBER{n:03d}")

    with ThreadPoolExecutor(ASKERS) as pool:
        replies = list(pool.map(ask, range(ASKERS)))
    release.set()
    for bot in bots:
        bot.settle()

    texts = [reply.json["text"] for reply in replies]
    assert sum("Running a dry-run cycle" in text for text in texts) == 1
    assert sum("A cycle is running already" in text for text in texts) == ASKERS - 1
    assert cycle_runs(bots[0]) == 1
    assert len(bots[0].fake_slack.of("chat.postMessage")) == 1
    # Done: the next asker runs the next cycle.
    assert "Running a dry-run cycle" in bots[1].slack.command("run dry").json["text"]
    bots[1].settle()
    assert cycle_runs(bots[0]) == 2


def test_a_cycle_running_in_another_instance_is_named(bot: RunningBot) -> None:
    assert leases.acquire(bot.sessions, MANUAL_CYCLE_LEASE, "other:U1:x", MANUAL_CYCLE_TTL)
    reply = bot.slack.command("run dry")
    assert "A cycle is running already" in reply.json["text"]
    bot.settle()
    assert cycle_runs(bot) == 0
