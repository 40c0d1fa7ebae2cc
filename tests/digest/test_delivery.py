"""The digest reaches Slack through the outbox: its chart in the thread, or a note saying why
not; once per slot however many instances; within Slack's limits however much waits."""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime, timedelta

from PIL import Image
from sqlalchemy import select

from bot.blocks.digest import digest_post
from bot.notifier import Notifier, notifier_client
from bot.scheduler import BotScheduler
from cam.core.config import CAMCycleConfig
from cam.core.db import unit_of_work
from cam.core.models import (
    Approval,
    ApprovalKind,
    Campaign,
    Channel,
    DigestRun,
    Lead,
    ManualTask,
    Notification,
    NotificationStatus,
    NotificationTopic,
    OutreachMessage,
)
from cam.digest import runs
from cam.digest.build import build_digest
from cam.digest.chart import HEIGHT_PX, WIDTH_PX
from cam.digest.model import DigestKind, WaitingKind
from cam.gateways.factory import build_gateways
from tests.digest.seed import LAST_DAY, TEAM_ZONE, local, seed
from tests.e2e.slack_client import REPORT_CHANNEL, settings_for

CONFIG = CAMCycleConfig(timezone=TEAM_ZONE, dry_run=False)
MONDAY_1730 = local(LAST_DAY, 17, 30)


def notifier(fake_slack, sessions, db_url) -> Notifier:
    settings = settings_for(fake_slack, db_url)
    return Notifier(notifier_client(settings), sessions, settings, clock=lambda: MONDAY_1730)


def queue(sessions, kind=DigestKind.daily) -> int:
    with unit_of_work(sessions) as session:
        digest = build_digest(session, config=CONFIG, now=MONDAY_1730, day=LAST_DAY, kind=kind)
    digest_id = runs.queue_digest(sessions, digest, slot=None, trigger="test")
    assert digest_id is not None
    return digest_id


def chart_rows(sessions) -> list[Notification]:
    with sessions() as session:
        return list(
            session.scalars(
                select(Notification).where(Notification.topic == NotificationTopic.digest_chart)
            )
        )


def test_the_digest_is_posted_and_its_chart_uploaded_into_its_thread(fake_slack, sessions, db_url):
    seeded = seed(sessions)
    queue(sessions)
    assert notifier(fake_slack, sessions, db_url).deliver_pending() == 2

    (post,) = fake_slack.of("chat.postMessage")
    assert post.params["channel"] == REPORT_CHANNEL
    assert "CAM digest · Mon 02 Nov 2026" in post.params["text"]
    expected = seeded.expected(LAST_DAY)
    assert f"{expected.sent} emails sent" in post.params["text"]
    (complete,) = fake_slack.of("files.completeUploadExternal")
    assert complete.params["channel_id"] == REPORT_CHANNEL
    assert complete.params["thread_ts"] == digest_ts(sessions)
    (png,) = fake_slack.uploads.values()
    assert Image.open(io.BytesIO(png)).size == (WIDTH_PX, HEIGHT_PX)
    (row,) = chart_rows(sessions)
    assert row.status is NotificationStatus.sent and row.external_id in fake_slack.uploads
    assert fake_slack.violations == []


def digest_ts(sessions) -> str:
    with sessions() as session:
        query = select(Notification.external_id).where(
            Notification.topic == NotificationTopic.digest
        )
        return str(session.scalars(query).one())


def test_an_upload_that_fails_leaves_the_digest_posted_and_says_so(fake_slack, sessions, db_url):
    seed(sessions)
    fake_slack.fail_uploads = True
    queue(sessions)
    notifier(fake_slack, sessions, db_url).deliver_pending()

    digest, note = fake_slack.of("chat.postMessage")
    assert "CAM digest" in digest.params["text"]
    assert "The chart is missing" in note.params["text"]
    assert note.params["thread_ts"]
    assert fake_slack.of("files.completeUploadExternal") == []
    (row,) = chart_rows(sessions)
    assert row.status is NotificationStatus.failed and "chart missing" in (row.last_error or "")
    # Nothing is held up behind it: the next digest goes out.
    fake_slack.fail_uploads = False
    queue(sessions)
    assert notifier(fake_slack, sessions, db_url).deliver_pending() == 2
    assert len(fake_slack.uploads) == 1


def add_waiting(sessions, count: int) -> None:
    """`count` pending approvals and open tasks, each posted; names try to ping the channel."""
    with unit_of_work(sessions) as session:
        campaign = Campaign(key="c", name="C")
        session.add(campaign)
        session.flush()
        for n in range(count):
            lead = Lead(email=f"w{n}@example.com", first_name="<!channel>", last_name=f"N{n}")
            session.add(lead)
            session.flush()
            since = MONDAY_1730 - timedelta(hours=count - n)
            approval = Approval(
                kind=ApprovalKind.escalate_lead, lead_id=lead.id, requested_at=since
            )
            step = OutreachMessage(
                lead_id=lead.id,
                campaign_id=campaign.id,
                step=2,
                channel=Channel.linkedin,
                scheduled_at=since,
            )
            session.add_all([approval, step])
            session.flush()
            task = ManualTask(outreach_id=step.id, lead_id=lead.id, created_at=since)
            session.add(task)
            session.flush()
            for topic, key, ident in (
                ("approval", "approval_id", approval.id),
                ("task", "task_id", task.id),
            ):
                session.add(
                    Notification(
                        topic=topic,
                        payload={key: ident},
                        status=NotificationStatus.sent,
                        channel=REPORT_CHANNEL,
                        external_id=f"1700000{n:03d}.000100",
                    )
                )


def test_500_waiting_items_are_summed_up_within_slack_limits(fake_slack, sessions, db_url):
    add_waiting(sessions, 500)
    with unit_of_work(sessions) as session:
        digest = build_digest(session, config=CONFIG, now=MONDAY_1730, day=LAST_DAY)
    assert digest.waiting.totals == {WaitingKind.approval: 500, WaitingKind.task: 500}
    assert digest.waiting.oldest[WaitingKind.approval] == MONDAY_1730 - timedelta(hours=500)
    post = digest_post(digest, workspace_url="https://acme.slack.com/")
    assert len(post.blocks) <= 50
    texts = [b.get("text", {}).get("text", "") for b in post.blocks]
    assert all(len(text) <= 3000 for text in texts)
    body = "\n".join(texts)
    assert "*Approvals pending: 500* · oldest 20 d" in body
    assert "_and 490 more_" in body
    assert "<https://acme.slack.com/archives/C0REPORTS/p1700000000000100|" in body
    assert "<!channel>" not in body and "&lt;!channel&gt;" in body

    queue(sessions)
    notifier(fake_slack, sessions, db_url).deliver_pending()
    assert fake_slack.of("chat.postMessage") and fake_slack.violations == []


def scheduler(fake_slack, sessions, db_url, clock, instance, **extra) -> BotScheduler:
    settings = settings_for(fake_slack, db_url, CAM_TIMEZONE=TEAM_ZONE, **extra)
    client = notifier_client(settings)
    return BotScheduler(
        settings,
        sessions,
        build_gateways(settings, []),
        Notifier(client, sessions, settings, clock=clock),
        instance=instance,
        clock=clock,
    )


def test_two_instances_post_one_digest_per_slot(fake_slack, sessions, db_url):
    seed(sessions)
    clock = lambda: MONDAY_1730 + timedelta(seconds=2)  # noqa: E731 - a fixed fake clock
    first, second = (
        scheduler(fake_slack, sessions, db_url, clock, name) for name in ("one", "two")
    )
    slot = first.digest_slot_at(clock())
    assert slot == "2026-11-02T16:30:00+00:00" == second.digest_slot_at(clock())
    barrier = threading.Barrier(2)

    def fire(instance: BotScheduler) -> None:
        barrier.wait()
        instance._digest_job()

    threads = [threading.Thread(target=fire, args=(s,)) for s in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    first._digest_job()

    with sessions() as session:
        (run,) = session.scalars(select(DigestRun)).all()
    assert (run.slot, run.kind, run.trigger) == (slot, DigestKind.weekly.value, "schedule")
    assert len(fake_slack.of("chat.postMessage")) == 1
    assert "CAM week in review" in fake_slack.of("chat.postMessage")[0].params["text"]
    assert len(fake_slack.of("files.completeUploadExternal")) == 1


def test_the_digest_follows_its_schedule_in_the_team_zone(fake_slack, sessions, db_url):
    now = {"at": datetime(2026, 10, 27, 16, 30, tzinfo=UTC)}  # Tuesday 17:30 CET
    s = scheduler(fake_slack, sessions, db_url, lambda: now["at"], "one")
    assert s.digest_slot_at(now["at"]) == "2026-10-27T16:30:00+00:00"
    assert s.digest_slot_at(now["at"] - timedelta(seconds=1)) is None
    assert s.digest_slot_at(now["at"] + timedelta(hours=2)) is None
    now["at"] = datetime(2026, 10, 31, 16, 30, tzinfo=UTC)  # Saturday: not in mon-fri
    assert s.digest_slot_at(now["at"]) is None
    # The Friday before summer time ended: 17:30 CEST is 15:30 UTC.
    assert s.digest_slot_at(datetime(2026, 10, 23, 15, 31, tzinfo=UTC)) == (
        "2026-10-23T15:30:00+00:00"
    )
    off = scheduler(fake_slack, sessions, db_url, lambda: now["at"], "two", CAM_DIGEST_SCHEDULE="")
    assert off.digest_trigger is None and off.digest_slot_at(now["at"]) is None
