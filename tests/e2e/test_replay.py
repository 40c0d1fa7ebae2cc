"""A signed request is served once, by whichever instance; other workspaces can be shut out."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from sqlalchemy import Engine, func, select

from bot.ids import ActionId
from bot.nonce_writes import QuickStore
from bot.nonces import KEPT, first_use
from bot.payloads import ApprovalRef
from cam.core.db import SessionFactory, unit_of_work
from cam.core.models import RequestNonce
from cam.core.state import get_state
from tests.e2e.seed import hot_lead_approval
from tests.e2e.slack_client import APPROVER, TEAM, RunningBot
from tests.replies.prospects import wait_for

SECRET_WORD = "pause"


def command_form(text: str, trigger: str) -> str:
    return urlencode(
        {
            "team_id": TEAM,
            "channel_id": "C0GENERAL",
            "user_id": APPROVER,
            "command": "/cam",
            "text": text,
            "response_url": "",
            "trigger_id": trigger,
        }
    )


def pause_form(trigger: str) -> str:
    return command_form(SECRET_WORD, trigger)


def paused(bot: RunningBot) -> bool:
    with unit_of_work(bot.sessions) as session:
        return get_state(session).paused


def test_a_replayed_pause_is_refused_by_every_instance(
    start_bot: Callable[..., RunningBot], caplog: pytest.LogCaptureFixture
) -> None:
    first, second = start_bot(), start_bot()
    body, stamp = pause_form("4242.1.captured"), int(time.time())
    assert first.slack.post(body, timestamp=stamp).status == 200
    assert paused(first)
    assert first.slack.command("resume").status == 200
    assert not paused(first)

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="bot.request_guard"):
        for bot in (first, second):
            reply = bot.slack.post(body, timestamp=stamp)
            assert reply.status == 401 and reply.body == "request already served"
    assert not paused(first)
    logged = [r.getMessage() for r in caplog.records if r.name == "bot.request_guard"]
    assert len(logged) == 2 and all("replayed" in line for line in logged)
    assert not any("captured" in line or SECRET_WORD in line for line in logged)


def nonce_stored(bot: RunningBot) -> bool:
    with unit_of_work(bot.sessions) as session:
        return bool(session.scalar(select(func.count()).select_from(RequestNonce)))


def test_a_replayed_read_is_refused_at_once_here_and_once_stored_everywhere(
    start_bot: Callable[..., RunningBot],
) -> None:
    """`/cam status` does not wait for its nonce: memory refuses a replay on the instance that
    answered, and the table on every other one as soon as the nonce is written."""
    first, second = start_bot(), start_bot()
    body, stamp = command_form("status", "4242.2.captured"), int(time.time())
    assert first.slack.post(body, timestamp=stamp).status == 200
    replay = first.slack.post(body, timestamp=stamp)
    assert replay.status == 401 and replay.body == "request already served"
    wait_for(lambda: nonce_stored(first), timeout=10)
    assert second.slack.post(body, timestamp=stamp).status == 401


def test_a_replayed_click_is_refused(bot: RunningBot) -> None:
    approval_id = hot_lead_approval(bot)
    value = ApprovalRef(approval_id=approval_id).dump()
    stamp = int(time.time())
    assert bot.slack.action(ActionId.reject, value, timestamp=stamp).status == 200
    # The same bytes again: same action_ts, same timestamp, so the same signature.
    body = bot.slack.last_body
    assert bot.slack.post(body, timestamp=stamp).status == 401


def test_nonces_outlive_the_window_then_are_pruned(sessions: SessionFactory) -> None:
    start = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    assert first_use(sessions, "v0=aa", start)
    assert not first_use(sessions, "v0=aa", start + timedelta(minutes=5))
    later = start + timedelta(minutes=7)
    assert first_use(sessions, "v0=bb", later)
    with unit_of_work(sessions) as session:
        assert session.scalar(select(func.count()).select_from(RequestNonce)) == 1
    assert first_use(sessions, "v0=aa", later)


def test_the_writers_batch_is_stored_once_and_expires_as_any_nonce(
    engine: Engine, sessions: SessionFactory
) -> None:
    start = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    quick = QuickStore(engine)
    assert quick.store(["v0=first", "v0=second"], start + KEPT) == 2
    assert quick.store(["v0=second", "v0=third"], start + KEPT) == 1, "one was stored already"
    assert quick.store(["v0=third"], start + KEPT) == 0
    quick.close()
    assert not first_use(sessions, "v0=first", start)
    # Past the window the session's prune deletes them: they were written as it compares.
    assert first_use(sessions, "v0=first", start + KEPT + timedelta(seconds=1))
    with unit_of_work(sessions) as session:
        assert session.scalar(select(func.count()).select_from(RequestNonce)) == 1


def test_a_pinned_workspace_refuses_others(
    start_bot: Callable[..., RunningBot], caplog: pytest.LogCaptureFixture
) -> None:
    bot = start_bot(SLACK_TEAM_ID=TEAM)
    with caplog.at_level(logging.WARNING, logger="bot.request_guard"):
        reply = bot.slack.command(SECRET_WORD, team="T0OTHERS")
    assert reply.status == 403
    assert not paused(bot)
    [line] = [r.getMessage() for r in caplog.records if r.name == "bot.request_guard"]
    assert "T0OTHERS" in line and SECRET_WORD not in line
    assert bot.slack.command(SECRET_WORD).status == 200
    assert paused(bot)
