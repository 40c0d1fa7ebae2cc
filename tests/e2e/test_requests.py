"""Requests Slack did not sign, signed too long ago, or could not have sent."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

from sqlalchemy import select

from bot.ids import ActionId
from cam.core.db import unit_of_work
from cam.core.models import Approval, ApprovalStatus
from cam.core.state import get_state
from tests.e2e.seed import hot_lead_approval
from tests.e2e.slack_client import APPROVER, SignedSlack


def test_a_bad_signature_gets_401_and_changes_nothing(bot):
    forged = SignedSlack(bot.url, secret="not-the-signing-secret")
    assert forged.command("pause", user=APPROVER).status == 401
    tampered = bot.slack.command("pause", user=APPROVER, signature="v0=" + "0" * 64)
    assert tampered.status == 401
    with unit_of_work(bot.sessions) as session:
        assert get_state(session).paused is False


def test_a_stale_timestamp_gets_401_even_when_signed(bot):
    six_minutes_ago = int(time.time()) - 6 * 60
    reply = bot.slack.command("pause", user=APPROVER, timestamp=six_minutes_ago)
    assert reply.status == 401
    with unit_of_work(bot.sessions) as session:
        assert get_state(session).paused is False


def test_a_replayed_click_from_long_ago_is_refused(bot):
    approval_id = hot_lead_approval(bot)
    value = json.dumps({"approval_id": approval_id})
    reply = bot.slack.action(ActionId.approve, value, timestamp=int(time.time()) - 3600)
    assert reply.status == 401
    bot.settle()
    with unit_of_work(bot.sessions) as session:
        assert session.get_one(Approval, approval_id).status is ApprovalStatus.pending


def test_malformed_bodies_get_4xx(bot):
    for body in ("payload=%7Bnot-json", "payload=%5B1%2C2%5D", "payload=null"):
        assert bot.slack.post(body).status == 400, body
        # Unsigned garbage is refused before anything reads it.
        assert bot.slack.post(body, signature="v0=00").status == 401, body
    assert bot.slack.post("[1, 2]", content_type="application/json").status == 400


def test_forged_or_broken_button_values_get_400_and_decide_nothing(bot):
    approval_id = hot_lead_approval(bot)
    for value in ("", "42", '{"approval_id": "many"}', '{"approval_id": -1}', "{" * 3000):
        reply = bot.slack.action(ActionId.approve, value)
        assert reply.status == 400, value
    no_user = {
        "type": "block_actions",
        "actions": [{"action_id": ActionId.approve, "value": json.dumps({"approval_id": 1})}],
    }
    reply = bot.slack.post(urlencode({"payload": json.dumps(no_user)}))
    assert reply.status == 400
    bot.settle()
    assert bot.crm.requests == []
    with unit_of_work(bot.sessions) as session:
        assert session.scalars(select(Approval.status)).all() == [ApprovalStatus.pending]
        assert session.get_one(Approval, approval_id).decided_by is None


def test_a_click_on_an_approval_that_does_not_exist_is_answered(bot):
    url = bot.fake_slack.response_url("gone")
    reply = bot.slack.action(ActionId.approve, json.dumps({"approval_id": 999}), response_url=url)
    assert reply.status == 200
    bot.settle()
    [answer] = bot.fake_slack.of("response_url")
    assert answer.params["text"] == "That approval no longer exists."


def test_other_paths_are_not_found(bot):
    reply = bot.slack.post("command=%2Fcam", path="/slack/other")
    assert reply.status == 404
