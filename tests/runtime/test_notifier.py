"""The notifier against a fake Slack over HTTP: order, threads, retries, outages, two posters."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.notifier import MAX_RENDER_ATTEMPTS, Notifier, notifier_client
from cam.core.db import unit_of_work
from cam.core.models import CycleRun, Notification, NotificationStatus, NotificationTopic, RunKind
from tests.e2e.slack_client import REPORT_CHANNEL as CHANNEL
from tests.e2e.slack_client import settings_for
from tests.fakes.slack_api import FakeSlack
from tests.runtime.notifications import add_report


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def make_notifier(fake_slack, sessions, db_url, clock=None, timeout=5) -> Notifier:
    settings = settings_for(fake_slack, db_url)
    return Notifier(
        notifier_client(settings, timeout=timeout),
        sessions,
        settings,
        clock=clock or Clock(),
        base_delay=timedelta(seconds=5),
    )


def rows(sessions) -> list[Notification]:
    with sessions() as session:
        return list(session.scalars(select(Notification).order_by(Notification.id)))


def test_reports_go_out_in_order_with_errors_in_a_thread(fake_slack, sessions, db_url):
    add_report(sessions)
    add_report(sessions, errors=3)
    add_report(sessions)
    notifier = make_notifier(fake_slack, sessions, db_url)

    assert notifier.deliver_pending() == 4  # three reports and one thread reply
    assert notifier.deliver_pending() == 0

    posts = fake_slack.of("chat.postMessage")
    assert len(posts) == 4
    assert all(call.params["channel"] == CHANNEL for call in posts)
    assert fake_slack.violations == []
    found = rows(sessions)
    assert [row.status for row in found] == [NotificationStatus.sent] * 4
    reports = [row for row in found if row.topic == "cycle_report"]
    assert all(row.channel == CHANNEL and row.external_id for row in reports)
    # Reports were posted in id order: Slack's ts grows with each post.
    stamps = [float(row.external_id or 0) for row in reports]
    assert stamps == sorted(stamps)
    (reply,) = [row for row in found if row.topic == NotificationTopic.thread_reply]
    assert reply.parent_id == reports[1].id
    reply_call = posts[-1]
    assert reply_call.params["thread_ts"] == reports[1].external_id
    assert "mailbox full" in str(reply_call.params["blocks"])
    assert all("thread_ts" not in call.params for call in posts[:3])


def test_rate_limit_honours_retry_after(fake_slack, sessions, db_url):
    add_report(sessions)
    clock = Clock()
    notifier = make_notifier(fake_slack, sessions, db_url, clock)
    fake_slack.fail("chat.postMessage", 429, retry_after=30)

    assert notifier.deliver_pending() == 0
    (row,) = rows(sessions)
    assert row.status == NotificationStatus.pending
    assert row.attempts == 1
    assert row.next_attempt_at == clock.now + timedelta(seconds=30)
    assert "429" in (row.last_error or "")

    clock.advance(29)
    assert notifier.deliver_pending() == 0
    assert len(fake_slack.of("chat.postMessage")) == 1
    clock.advance(1)
    assert notifier.deliver_pending() == 1
    (row,) = rows(sessions)
    assert row.status == NotificationStatus.sent
    assert row.attempts == 2
    assert row.last_error is None


def test_server_errors_back_off_exponentially(fake_slack, sessions, db_url):
    add_report(sessions)
    clock = Clock()
    notifier = make_notifier(fake_slack, sessions, db_url, clock)
    fake_slack.fail("chat.postMessage", 500, times=3)

    waits = []
    for _ in range(3):
        assert notifier.deliver_pending() == 0
        (row,) = rows(sessions)
        assert row.next_attempt_at is not None
        waits.append((row.next_attempt_at - clock.now).total_seconds())
        clock.now = row.next_attempt_at
    assert waits == [5, 10, 20]
    assert notifier.deliver_pending() == 1
    assert len(fake_slack.of("chat.postMessage")) == 4


def test_a_timeout_is_retried(fake_slack, sessions, db_url):
    add_report(sessions)
    clock = Clock()
    notifier = make_notifier(fake_slack, sessions, db_url, clock, timeout=1)
    fake_slack.fail("chat.postMessage", 200, delay=2.5)

    assert notifier.deliver_pending() == 0
    (row,) = rows(sessions)
    assert row.status == NotificationStatus.pending
    assert "timed out" in (row.last_error or "").lower()
    clock.advance(5)
    assert notifier.deliver_pending() == 1
    assert rows(sessions)[0].status == NotificationStatus.sent


def test_reports_wait_through_an_outage_and_go_out_in_order(fake_slack, sessions, db_url):
    clock = Clock()
    notifier = make_notifier(fake_slack, sessions, db_url, clock)
    fake_slack.fail("chat.postMessage", 503, times=1000)
    ids = []
    for hour in range(3):
        _, row_id = add_report(sessions, at=clock.now + timedelta(hours=hour))
        ids.append(row_id)
        assert notifier.deliver_pending() == 0
        clock.advance(3600)
    # Each pass tried only the oldest row: the later ones kept their place in the queue.
    assert len(fake_slack.of("chat.postMessage")) == 3
    assert [row.status for row in rows(sessions)] == [NotificationStatus.pending] * 3

    fake_slack._faults.clear()  # Slack is back
    clock.advance(3600)
    assert notifier.deliver_pending() == 3
    found = rows(sessions)
    assert [row.id for row in found] == ids
    assert [row.status for row in found] == [NotificationStatus.sent] * 3
    assert len(fake_slack.of("chat.postMessage")) == 6
    stamps = [float(row.external_id or 0) for row in found]
    assert stamps == sorted(stamps) and len(set(stamps)) == 3


def test_nothing_to_say_is_marked_delivered_without_a_post(fake_slack, sessions, db_url):
    with unit_of_work(sessions) as session:
        session.add(Notification(topic="approval", payload={"approval_id": 999}))
    add_report(sessions)
    assert make_notifier(fake_slack, sessions, db_url).deliver_pending() == 1
    assert len(fake_slack.of("chat.postMessage")) == 1
    first, second = rows(sessions)
    assert first.status == NotificationStatus.sent and first.external_id is None
    assert second.status == NotificationStatus.sent and second.external_id is not None


def test_concurrent_notifiers_post_each_row_once(fake_slack, sessions, db_url):
    ids = [add_report(sessions)[1] for _ in range(12)]
    notifiers = [make_notifier(fake_slack, sessions, db_url) for _ in range(3)]
    barrier = threading.Barrier(len(notifiers))

    def drain(notifier: Notifier) -> None:
        barrier.wait()
        for _ in range(40):
            notifier.deliver_pending()

    threads = [threading.Thread(target=drain, args=(n,)) for n in notifiers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    posts = fake_slack.of("chat.postMessage")
    found = rows(sessions)
    assert [row.id for row in found] == ids
    assert all(row.status == NotificationStatus.sent for row in found)
    assert len(posts) == 12
    assert sorted(float(row.external_id or 0) for row in found) == [
        float(row.external_id or 0) for row in found
    ]


def test_a_row_that_cannot_be_rendered_is_retried_then_let_go(fake_slack, sessions, db_url):
    run_id, broken = add_report(sessions)
    with unit_of_work(sessions) as session:
        run = session.get(CycleRun, run_id)
        assert run is not None
        run.report = {"not": "a report"}
        run.kind = RunKind.send  # so the next report does not compare itself with this one
    add_report(sessions)
    clock = Clock()
    notifier = make_notifier(fake_slack, sessions, db_url, clock)

    for attempt in range(1, MAX_RENDER_ATTEMPTS):
        assert notifier.deliver_pending() == 0
        first, second = rows(sessions)
        assert (first.status, first.attempts) == (NotificationStatus.pending, attempt)
        assert "cannot render" in (first.last_error or "")
        assert second.status == NotificationStatus.pending and second.attempts == 0
        assert first.next_attempt_at is not None
        clock.now = first.next_attempt_at
    assert notifier.deliver_pending() == 1
    first, second = rows(sessions)
    assert first.id == broken and first.status == NotificationStatus.failed
    assert second.status == NotificationStatus.sent
    assert len(fake_slack.of("chat.postMessage")) == 1


def test_a_lapsed_claim_does_not_overwrite_the_new_owner(fake_slack, sessions, db_url):
    add_report(sessions)
    settings = settings_for(fake_slack, db_url)
    clock = Clock()
    claim_ttl = timedelta(minutes=2)
    slow, fast = (
        Notifier(notifier_client(settings), sessions, settings, clock=clock, claim_ttl=claim_ttl)
        for _ in range(2)
    )
    late = threading.Event()
    fake_slack.fail("chat.postMessage", 200, hold=late)  # answers, but late
    first = threading.Thread(target=slow.deliver_pending)
    first.start()
    try:
        fake_slack.wait_for("chat.postMessage", 1)
        clock.advance(claim_ttl.total_seconds() + 1)  # the slow instance's claim has run out
        assert fast.deliver_pending() == 1
    finally:
        late.set()
        first.join()

    (row,) = rows(sessions)
    posts = fake_slack.of("chat.postMessage")
    assert len(posts) == 2  # at least once: a lapsed claim is posted again
    assert (row.status, row.attempts) == (NotificationStatus.sent, 2)
    # The fake numbers its answers in the order it gives them: the fast instance got the first,
    # and that is the one kept; the late answer to the lapsed claim changed nothing.
    assert row.external_id == "1700000001.000100"


def test_one_slow_minute_of_slack_gives_exactly_one_report(sessions, db_url):
    """Slack carries out every call but answers after the client gave up, for a minute."""
    slack = FakeSlack(ts_base=int(time.time())).start()
    try:
        add_report(sessions, errors=1)
        clock = Clock()
        notifier = make_notifier(slack, sessions, db_url, clock, timeout=1)
        for method in ("chat.postMessage", "conversations.history", "conversations.replies"):
            slack.fail(method, 200, delay=1.3, accept=True, times=100)
        end = clock.now + timedelta(minutes=1)
        attempts = 0
        while clock.now < end:
            assert notifier.deliver_pending() == 0
            attempts += 1
            clock.now = max(clock.now, rows(sessions)[0].next_attempt_at or clock.now)
        assert attempts >= 4
        slack.heal()
        clock.advance(15 * 60)
        # The report is found in the history; its thread reply then posts, slowly, once.
        slack.fail("chat.postMessage", 200, delay=1.3, accept=True)
        assert notifier.deliver_pending() == 1
        clock.advance(15 * 60)
        assert notifier.deliver_pending() == 1
        assert notifier.deliver_pending() == 0

        posts = slack.of("chat.postMessage")
        assert len(posts) == 2 and "thread_ts" in posts[1].params
        report, reply = rows(sessions)
        assert report.status == reply.status == NotificationStatus.sent
        assert report.external_id == slack.messages[CHANNEL][0]["ts"]
        assert posts[1].params["thread_ts"] == report.external_id
        assert slack.of("conversations.replies")
    finally:
        slack.stop()


def test_an_install_without_the_history_scope_posts_again_rather_than_never(
    fake_slack, sessions, db_url, caplog
):
    add_report(sessions)
    clock = Clock()
    notifier = make_notifier(fake_slack, sessions, db_url, clock, timeout=1)
    fake_slack.fail("chat.postMessage", 200, delay=1.3, accept=True)
    fake_slack.fail("conversations.history", 200, error="missing_scope")
    assert notifier.deliver_pending() == 0
    clock.advance(5)
    assert notifier.deliver_pending() == 1
    assert rows(sessions)[0].status == NotificationStatus.sent
    assert len(fake_slack.of("chat.postMessage")) == 2
    assert any("channels:history" in r.getMessage() for r in caplog.records)
