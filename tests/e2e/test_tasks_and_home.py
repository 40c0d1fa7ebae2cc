"""LinkedIn tasks worked from Slack, and the App Home with its buttons."""

from __future__ import annotations

from sqlalchemy import select

from bot.ids import ActionId
from bot.payloads import ApprovalRef, TaskRef
from cam.core.db import unit_of_work
from cam.core.models import Approval, ApprovalStatus, Lead, ManualTask, Notification, TaskStatus
from tests.e2e.seed import hot_lead_approval, linkedin_task
from tests.e2e.slack_client import APPROVER, OUTSIDER, REPORT_CHANNEL, blocks_of, shown


def task_ts(bot, task_id: int) -> str:
    with unit_of_work(bot.sessions) as session:
        rows = session.scalars(select(Notification).where(Notification.topic == "task"))
        row = next(r for r in rows if r.payload["task_id"] == task_id)
        assert row.external_id
        return row.external_id


def test_a_task_shows_the_profile_and_the_message_and_done_marks_it(bot):
    task_id = linkedin_task(bot)
    [post] = bot.fake_slack.of("chat.postMessage")
    text = shown(blocks_of(post))
    assert "https://www.linkedin.com/in/grace-example" in text
    assert "Hi Grace, saw your talk on compilers." in text

    value = TaskRef(task_id=task_id).dump()
    ts = task_ts(bot, task_id)
    for _ in range(2):  # a double click
        assert bot.slack.action(ActionId.task_done, value, user=OUTSIDER, ts=ts).status == 200
    bot.settle()
    with unit_of_work(bot.sessions) as session:
        task = session.get_one(ManualTask, task_id)
        assert task.status is TaskStatus.done and task.decided_by == OUTSIDER
        assert session.get_one(Lead, task.lead_id).last_contacted_at is not None
    updates = bot.fake_slack.of("chat.update")
    assert updates and all(u.params["ts"] == ts for u in updates)
    final = shown(blocks_of(updates[-1]))
    assert f"*Done* by <@{OUTSIDER}>" in final and "cam_task_done" not in final
    assert bot.fake_slack.violations == []


def test_skip_records_why(bot):
    task_id = linkedin_task(bot)
    value = TaskRef(task_id=task_id, reason="in_touch").dump()
    reply = bot.slack.action(ActionId.task_skip, value, ts=task_ts(bot, task_id), select=True)
    assert reply.status == 200
    bot.settle()
    with unit_of_work(bot.sessions) as session:
        task = session.get_one(ManualTask, task_id)
        assert task.status is TaskStatus.skipped and task.note == "Already in touch"
    assert "Already in touch" in shown(blocks_of(bot.fake_slack.of("chat.update")[-1]))


def test_opening_the_home_publishes_status_limits_and_approvals(bot):
    hot_lead_approval(bot)
    reply = bot.slack.event({"type": "app_home_opened", "user": OUTSIDER, "tab": "home"})
    assert reply.status == 200
    bot.settle()
    [publish] = bot.fake_slack.of("views.publish")
    assert publish.params["user_id"] == OUTSIDER
    view = publish.params["view"]
    text = shown(view)
    assert view["type"] == "home"
    assert "CAM status" in text and "CAM limits" in text and "Approvals · 1 waiting" in text
    assert "cam_approve" in text
    assert bot.fake_slack.violations == []


def test_the_messages_tab_publishes_nothing(bot):
    reply = bot.slack.event({"type": "app_home_opened", "user": OUTSIDER, "tab": "messages"})
    assert reply.status == 200
    bot.settle()
    assert bot.fake_slack.of("views.publish") == []


def test_approving_from_the_home_updates_the_channel_message_and_the_home(bot):
    approval_id = hot_lead_approval(bot)
    value = ApprovalRef(approval_id=approval_id).dump()
    assert bot.slack.action(ActionId.approve, value, user=APPROVER, ts=None).status == 200
    bot.settle()
    with unit_of_work(bot.sessions) as session:
        assert session.get_one(Approval, approval_id).status is ApprovalStatus.approved
    [update] = bot.fake_slack.of("chat.update")
    assert update.params["channel"] == REPORT_CHANNEL
    [publish] = bot.fake_slack.of("views.publish")
    assert "Nothing is waiting for approval." in shown(publish.params["view"])


def test_a_refusal_from_the_home_is_shown_atop_the_home(bot):
    approval_id = hot_lead_approval(bot)
    value = ApprovalRef(approval_id=approval_id).dump()
    assert bot.slack.action(ActionId.approve, value, user=OUTSIDER, ts=None).status == 200
    bot.settle()
    [publish] = bot.fake_slack.of("views.publish")
    assert publish.params["user_id"] == OUTSIDER
    assert "Not done: only approvers may decide." in shown(publish.params["view"])
    assert bot.fake_slack.of("chat.update") == []
