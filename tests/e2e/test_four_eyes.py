"""Going live takes two different approvers: one asks, another approves."""

from __future__ import annotations

from sqlalchemy import select

from cam.core.db import unit_of_work
from cam.core.models import Approval, ApprovalStatus, utcnow
from cam.core.state import get_state
from cam.escalation.go_live import request_go_live
from tests.e2e.seed import deliver
from tests.e2e.slack_client import APPROVER, OUTSIDER, SECOND_APPROVER, RunningBot
from tests.e2e.test_approvals import click


def dry_run(bot: RunningBot) -> bool:
    with unit_of_work(bot.sessions) as session:
        return get_state(session).dry_run


def test_someone_who_is_not_an_approver_cannot_ask_to_go_live(bot: RunningBot) -> None:
    reply = bot.slack.command("live", user=OUTSIDER)
    assert reply.status == 200
    assert "Only approvers may ask to go live" in reply.json["text"]
    with unit_of_work(bot.sessions) as session:
        assert session.scalars(select(Approval)).all() == []


def test_one_approver_cannot_take_a_non_approvers_request_live(
    start_bot, ready_to_go_live: dict[str, str]
) -> None:
    bot: RunningBot = start_bot(**ready_to_go_live)
    # A request stored by an earlier version, which let anyone ask.
    with unit_of_work(bot.sessions) as session:
        approval_id = request_go_live(session, requested_by=OUTSIDER, now=utcnow()).id
    deliver(bot)

    assert click(bot, approval_id, user=APPROVER, name="approver").status == 200
    bot.settle()
    assert dry_run(bot)
    [refusal] = bot.fake_slack.of("response_url")
    assert "two approvers" in refusal.params["text"]
    with unit_of_work(bot.sessions) as session:
        assert session.get_one(Approval, approval_id).status is ApprovalStatus.rejected

    # Its slot is free: an approver asks, a second one approves.
    bot.slack.command("live", user=APPROVER, response_url=bot.fake_slack.response_url("ask"))
    bot.settle()
    [asked] = [c for c in bot.fake_slack.of("response_url") if c.params["_response_name"] == "ask"]
    assert "asked to start sending for real" in asked.params["text"]
    with unit_of_work(bot.sessions) as session:
        pending = session.scalars(
            select(Approval.id).where(Approval.status == ApprovalStatus.pending)
        ).one()
    assert click(bot, pending, user=SECOND_APPROVER, name="second").status == 200
    bot.settle()
    assert not dry_run(bot)
