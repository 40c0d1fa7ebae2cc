"""Approvals clicked in Slack: approver, refusal, four eyes, double clicks and retries."""

from __future__ import annotations

import json
import threading
from typing import Any

from sqlalchemy import select

from bot.ids import ActionId
from bot.payloads import ApprovalRef
from cam.core.db import unit_of_work
from cam.core.event_payloads import ApprovalDecided
from cam.core.models import Approval, ApprovalStatus, Event, Lead, LeadStatus, Notification
from cam.core.state import get_state
from cam.escalation.event_payloads import ApprovalRefused
from tests.e2e.seed import hot_lead_approval
from tests.e2e.slack_client import (
    APPROVER,
    OUTSIDER,
    REPORT_CHANNEL,
    SECOND_APPROVER,
    blocks_of,
)


def posted_ts(bot, approval_id: int) -> str:
    """The ts of the channel message that announced the approval."""
    with unit_of_work(bot.sessions) as session:
        rows = session.scalars(select(Notification).where(Notification.topic == "approval"))
        row = next(r for r in rows if r.payload["approval_id"] == approval_id)
        assert row.channel == REPORT_CHANNEL and row.external_id
        return row.external_id


def click(bot, approval_id: int, *, action=ActionId.approve, user=APPROVER, name="r1", **kw):
    ts = posted_ts(bot, approval_id)
    value = ApprovalRef(approval_id=approval_id).dump()
    return bot.slack.action(
        action, value, user=user, ts=ts, response_url=bot.fake_slack.response_url(name), **kw
    )


def test_the_approval_message_shows_the_lead_and_asks_with_confirmation(bot):
    hot_lead_approval(bot)
    [post] = bot.fake_slack.of("chat.postMessage")
    assert post.params["channel"] == REPORT_CHANNEL
    text = json.dumps(blocks_of(post))
    assert "Ada Tester" in text and "Score 70" in text and "title: vp" in text
    assert "interested reply from ada@acme.example" in text
    [actions] = [b for b in blocks_of(post) if b["type"] == "actions"]
    assert [e["action_id"] for e in actions["elements"]] == ["cam_approve", "cam_reject"]
    assert all("confirm" in e for e in actions["elements"])
    assert bot.fake_slack.violations == []


def test_an_approver_approves_once_the_crm_is_synced_and_the_message_updated(bot):
    approval_id = hot_lead_approval(bot)
    reply = click(bot, approval_id)
    assert reply.status == 200
    bot.settle()

    assert len(bot.crm.of("POST", "/crm/v3/objects/deals")) == 1
    [update] = bot.fake_slack.of("chat.update")
    assert update.params["ts"] == posted_ts(bot, approval_id)
    blocks = blocks_of(update)
    assert not [b for b in blocks if b["type"] == "actions"]
    shown = json.dumps(blocks)
    assert f"Approved* by <@{APPROVER}>" in shown and "synced to the CRM" in shown
    with unit_of_work(bot.sessions) as session:
        approval = session.get_one(Approval, approval_id)
        assert approval.status is ApprovalStatus.approved and approval.decided_by == APPROVER
        lead = session.get_one(Lead, approval.lead_id)
        assert lead.status is LeadStatus.escalated and lead.crm_deal_id
    assert bot.fake_slack.violations == []


def test_reject_leaves_the_crm_alone(bot):
    approval_id = hot_lead_approval(bot)
    assert click(bot, approval_id, action=ActionId.reject).status == 200
    bot.settle()
    assert bot.crm.requests == []
    [update] = bot.fake_slack.of("chat.update")
    assert "Rejected* by" in json.dumps(blocks_of(update))


def test_a_non_approver_is_refused_privately_and_the_attempt_logged(bot):
    approval_id = hot_lead_approval(bot)
    assert click(bot, approval_id, user=OUTSIDER, name="outsider").status == 200
    bot.settle()

    [answer] = bot.fake_slack.of("response_url")
    assert answer.params["_response_name"] == "outsider"
    assert answer.params["response_type"] == "ephemeral"
    assert answer.params["replace_original"] is False
    assert "only approvers may decide" in answer.params["text"]
    assert bot.fake_slack.of("chat.update") == []
    assert bot.crm.requests == []
    with unit_of_work(bot.sessions) as session:
        assert session.get_one(Approval, approval_id).status is ApprovalStatus.pending
        refused = session.scalars(select(Event).where(Event.name == ApprovalRefused.name))
        assert [e.details["by"] for e in refused] == [OUTSIDER]


def test_a_double_click_and_a_second_approver_at_once_decide_once(bot):
    approval_id = hot_lead_approval(bot)
    replies = []
    users = [APPROVER] * 5 + [SECOND_APPROVER] * 5
    start = threading.Barrier(len(users))

    def one(n: int, user: str) -> None:
        start.wait()
        replies.append(click(bot, approval_id, user=user, name=f"c{n}"))

    threads = [threading.Thread(target=one, args=(n, u)) for n, u in enumerate(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    bot.settle()

    assert [r.status for r in replies] == [200] * len(users)
    assert len(bot.crm.of("POST", "/crm/v3/objects/contacts")) == 1
    assert len(bot.crm.of("POST", "/crm/v3/objects/deals")) == 1
    with unit_of_work(bot.sessions) as session:
        decided = session.scalars(select(Event).where(Event.name == ApprovalDecided.name))
        assert len(list(decided)) == 1
    # The others hear who decided; the final message says approved and synced.
    told = [call.params["text"] for call in bot.fake_slack.of("response_url")]
    assert all(text.startswith("Already approved by") for text in told)
    last = bot.fake_slack.of("chat.update")[-1]
    assert "synced to the CRM" in json.dumps(blocks_of(last))


def test_slack_retries_of_the_same_click_change_nothing_more(bot):
    approval_id = hot_lead_approval(bot)
    assert click(bot, approval_id).status == 200
    bot.settle()
    for retry in (1, 2, 3):
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        assert click(bot, approval_id, headers=headers).status == 200
    bot.settle()
    assert len(bot.crm.of("POST", "/crm/v3/objects/deals")) == 1
    with unit_of_work(bot.sessions) as session:
        decided = session.scalars(select(Event).where(Event.name == ApprovalDecided.name))
        assert len(list(decided)) == 1


def ask_to_go_live(bot, user: str = APPROVER, name: str = "live") -> dict[str, Any]:
    """`/cam live` and what it answered after its preflight (through response_url)."""
    reply = bot.slack.command("live", user=user, response_url=bot.fake_slack.response_url(name))
    assert reply.status == 200
    assert reply.json["response_type"] == "ephemeral" and "Checking" in reply.json["text"]
    bot.settle()
    [answer] = [c for c in bot.fake_slack.of("response_url") if c.params["_response_name"] == name]
    return dict(answer.params)


def test_going_live_needs_a_second_approver(start_bot, ready_to_go_live):
    bot = start_bot(**ready_to_go_live)
    asked = ask_to_go_live(bot)
    assert asked["response_type"] == "in_channel"
    assert "asked to start sending for real: every check passed" in asked["text"]
    [post] = bot.fake_slack.of("chat.postMessage")
    assert "Start sending emails for real?" in json.dumps(blocks_of(post))
    with unit_of_work(bot.sessions) as session:
        approval_id = session.scalars(select(Approval.id)).one()

    # Asking again reuses the request.
    again = ask_to_go_live(bot, user=SECOND_APPROVER, name="again")
    assert "already waiting" in again["text"]

    # The one who asked cannot approve it.
    assert click(bot, approval_id, user=APPROVER, name="self").status == 200
    bot.settle()
    [refusal] = [
        c for c in bot.fake_slack.of("response_url") if c.params["_response_name"] == "self"
    ]
    assert "other than the one who asked" in refusal.params["text"]
    with unit_of_work(bot.sessions) as session:
        assert get_state(session).dry_run is True

    assert click(bot, approval_id, user=SECOND_APPROVER, name="other").status == 200
    bot.settle()
    with unit_of_work(bot.sessions) as session:
        assert get_state(session).dry_run is False
    [update] = bot.fake_slack.of("chat.update")
    assert f"Approved* by <@{SECOND_APPROVER}>" in json.dumps(blocks_of(update))
    assert bot.fake_slack.violations == []

    status = bot.slack.command("status", user=OUTSIDER)
    assert status.json["blocks"][0]["text"]["text"] == "CAM status · LIVE"


def test_a_rate_limited_or_failing_update_is_retried(bot):
    approval_id = hot_lead_approval(bot)
    bot.fake_slack.fail("chat.update", 429, retry_after=1)
    bot.fake_slack.fail("chat.update", 500)
    assert click(bot, approval_id).status == 200
    bot.settle()
    updates = bot.fake_slack.of("chat.update")
    assert len(updates) == 3  # 429, then 500, then accepted
    assert updates[1].at - updates[0].at >= 1.0  # Retry-After was honoured
    assert len(bot.crm.of("POST", "/crm/v3/objects/deals")) == 1


def test_two_bot_instances_clicked_at_once_decide_once(start_bot):
    first, second = start_bot(), start_bot()
    approval_id = hot_lead_approval(first)
    start = threading.Barrier(10)
    replies = []

    def one(n: int) -> None:
        instance, user = (first, APPROVER) if n % 2 else (second, SECOND_APPROVER)
        start.wait()
        replies.append(click(instance, approval_id, user=user, name=f"i{n}"))

    threads = [threading.Thread(target=one, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    first.settle()
    second.settle()
    assert [r.status for r in replies] == [200] * 10
    assert len(first.crm.of("POST", "/crm/v3/objects/deals")) == 1
    with unit_of_work(first.sessions) as session:
        decided = session.scalars(select(Event).where(Event.name == ApprovalDecided.name))
        assert len(list(decided)) == 1


def test_an_expired_go_live_request_is_shown_expired_when_clicked(start_bot, ready_to_go_live):
    bot = start_bot(**ready_to_go_live)
    ask_to_go_live(bot)
    with unit_of_work(bot.sessions) as session:
        approval = session.scalars(select(Approval)).one()
        approval.expires_at = approval.requested_at  # a day went by
        approval_id = approval.id
    assert click(bot, approval_id, user=SECOND_APPROVER).status == 200
    bot.settle()
    with unit_of_work(bot.sessions) as session:
        assert session.get_one(Approval, approval_id).status is ApprovalStatus.expired
        assert get_state(session).dry_run is True
    [update] = bot.fake_slack.of("chat.update")
    assert "*Expired*" in json.dumps(blocks_of(update))
    assert not [b for b in blocks_of(update) if b["type"] == "actions"]
    [told] = [c for c in bot.fake_slack.of("response_url") if c.params["_response_name"] == "r1"]
    assert "expired" in told.params["text"] and "`/cam live`" in told.params["text"]


def test_without_a_crm_the_approval_stands_and_says_the_sync_failed(start_bot):
    bot = start_bot(CAM_HUBSPOT_TOKEN="")
    approval_id = hot_lead_approval(bot)
    assert click(bot, approval_id).status == 200
    bot.settle()
    with unit_of_work(bot.sessions) as session:
        approval = session.get_one(Approval, approval_id)
        assert approval.status is ApprovalStatus.approved
        assert approval.crm_synced_at is None
        assert "no CRM is configured" in (approval.crm_error or "")
    [update] = bot.fake_slack.of("chat.update")
    [retry] = [b for b in blocks_of(update) if b["type"] == "actions"]
    assert [e["text"]["text"] for e in retry["elements"]] == ["Retry CRM sync"]
    assert [e["action_id"] for e in retry["elements"]] == [ActionId.retry_crm_sync]
    [told] = bot.fake_slack.of("response_url")
    assert told.params["text"].startswith("Approved, but the CRM sync failed: no CRM is configured")
    assert bot.crm.requests == []


def test_retry_crm_sync_finishes_a_failed_sync_with_one_deal(bot):
    approval_id = hot_lead_approval(bot)
    bot.crm.fail("POST /crm/v3/objects/deals", 500, times=1000)
    assert click(bot, approval_id, name="first").status == 200
    bot.settle()
    failed = bot.fake_slack.of("chat.update")[-1]
    assert "CRM sync failed" in json.dumps(blocks_of(failed))
    attempts = len(bot.crm.of("POST", "/crm/v3/objects/deals"))
    with bot.crm._lock:
        bot.crm._faults.clear()  # the CRM is back
    assert attempts >= 1

    # Approving again does not retry: the sync has its own button.
    assert click(bot, approval_id, name="again").status == 200
    bot.settle()
    assert len(bot.crm.deals) == 0
    assert click(bot, approval_id, action=ActionId.retry_crm_sync, name="retry").status == 200
    bot.settle()
    final = bot.fake_slack.of("chat.update")[-1]
    assert "synced to the CRM" in json.dumps(blocks_of(final))
    assert not [b for b in blocks_of(final) if b["type"] == "actions"]
    assert len(bot.crm.deals) == 1
    assert len(bot.crm.contacts) == 1
    with unit_of_work(bot.sessions) as session:
        approval = session.get_one(Approval, approval_id)
        assert approval.crm_synced_at is not None and approval.crm_error is None


def test_going_live_is_not_asked_while_the_preflight_fails(bot):
    asked = ask_to_go_live(bot)
    assert asked["response_type"] == "ephemeral"
    assert asked["text"].startswith("Not asking to go live yet:")
    listed = json.dumps(asked["blocks"])
    lines = [
        line
        for block in asked["blocks"]
        for line in (block.get("text") or {}).get("text", "").splitlines()
    ]
    failing = [line for line in lines if line.startswith(":x:")]
    for missing in ("CAM_FROM", "CAM_POSTAL_ADDRESS", "CAM_SMTP_*", "CAM_IMAP_*", "CAM_PUBLIC_URL"):
        assert [line for line in failing if f"({missing})" in line], missing
    assert len(failing) == 5
    assert ":white_check_mark: *Slack (SLACK_BOT_TOKEN)*" in listed
    assert ":white_check_mark: *CRM" in listed  # HubSpot's stand-in answered the read
    assert bot.crm.of("GET", "/crm/v3/objects/contacts")
    with unit_of_work(bot.sessions) as session:
        assert session.scalars(select(Approval)).all() == []
        assert get_state(session).dry_run is True
    assert bot.fake_slack.of("chat.postMessage") == []


def test_cam_check_lists_everything_and_sends_nothing(
    start_bot, ready_to_go_live, plain_smtp_server
):
    bot = start_bot(**ready_to_go_live)
    reply = bot.slack.command("check", user=OUTSIDER, response_url=bot.fake_slack.response_url("c"))
    assert reply.json["response_type"] == "ephemeral"
    bot.settle()
    [answer] = bot.fake_slack.of("response_url")
    assert answer.params["response_type"] == "ephemeral"
    assert answer.params["text"].startswith("Ready to go live.")
    listed = json.dumps(answer.params["blocks"])
    assert ":x:" not in listed
    # That relay takes mail without a login: said so, never "logged in".
    assert "connected to 127.0.0.1" in listed and "no login" in listed
    assert "no mail sent" in listed
    assert "logged in and opened INBOX" in listed
    assert plain_smtp_server.handler.messages == []
    assert bot.crm.of("POST", "/") == [] and bot.crm.of("GET", "/crm/v3/objects/contacts")
