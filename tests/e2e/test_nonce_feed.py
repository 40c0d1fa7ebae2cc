"""Every instance's memory learns each stored nonce: announced by PostgreSQL, read by SQLite."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, text

from bot.nonce_feed import NonceFeed, feed_name
from bot.nonce_writes import QuickStore
from bot.nonces import KEPT, Nonces, store
from cam.core.db import SessionFactory
from tests.replies.prospects import wait_for

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def clock() -> datetime:
    return NOW


def live(feed: NonceFeed, nonce: str) -> bool:
    """Wait for the feed to answer; return its answer on `nonce`."""
    wait_for(lambda: feed.knows(nonce) is not None, timeout=10)
    return bool(feed.knows(nonce))


def test_memory_holds_what_was_stored_before_and_learns_what_is_stored_after(
    engine: Engine, sessions: SessionFactory
) -> None:
    store(sessions, ["v0=before"], NOW)
    feed = NonceFeed(engine, clock, KEPT)
    assert feed.knows("v0=before") is None, "not live before its listener has started"
    assert live(feed, "v0=before")
    assert not live(feed, "v0=never")
    store(sessions, ["v0=after"], NOW)
    wait_for(lambda: feed.knows("v0=after"), timeout=10)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_lost_feed_falls_back_to_the_table_and_comes_back(
    engine: Engine, sessions: SessionFactory, caplog: pytest.LogCaptureFixture
) -> None:
    nonces = Nonces(sessions, clock)
    store(sessions, ["v0=stored"], NOW)
    feed = NonceFeed(engine, clock, KEPT)
    assert live(feed, "v0=stored")
    with engine.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        with caplog.at_level(logging.WARNING, logger="bot.nonce_feed"):
            ended = conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE application_name = :name"
                ),
                {"name": feed_name(schema)},
            ).scalar_one()
            assert ended == 1
            # Until the listener is back, the feed does not answer and the table does.
            wait_for(lambda: feed.knows("v0=stored") is None, timeout=10)
    assert "nonce feed stopped: " in caplog.text
    assert nonces.seen_anywhere("v0=stored") and not nonces.seen_anywhere("v0=other")
    store(sessions, ["v0=while-away"], NOW)
    # Back: the table read again, and a nonce stored later learnt a moment after its commit.
    assert live(feed, "v0=stored")
    wait_for(lambda: feed.knows("v0=while-away"), timeout=10)


def test_the_writers_batch_is_learnt(engine: Engine) -> None:
    feed = NonceFeed(engine, clock, KEPT)
    assert not live(feed, "v0=first")
    assert QuickStore(engine).store(["v0=first", "v0=second"], NOW + KEPT) == 2
    wait_for(lambda: feed.knows("v0=first") and feed.knows("v0=second"), timeout=10)


def test_an_emptied_table_whose_rowids_start_again_is_read_again(
    engine: Engine, sessions: SessionFactory
) -> None:
    feed = NonceFeed(engine, clock, KEPT)
    store(sessions, ["v0=one", "v0=two", "v0=three"], NOW)
    assert live(feed, "v0=three")
    # Every nonce expired and pruned: the next ones take the rowids from 1 again.
    store(sessions, [], NOW + KEPT + KEPT)
    store(sessions, ["v0=again"], NOW)
    wait_for(lambda: feed.knows("v0=again"), timeout=10)
