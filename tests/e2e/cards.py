"""Reply cards in a test: post one as the engine and notifier do, and click what it shows."""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select

from bot import queries
from bot.blocks.reply_card import reply_card_post
from bot.ids import ActionId, BlockId
from bot.signing import signer_of
from cam.core.db import unit_of_work
from cam.core.models import (
    Lead,
    LeadStatus,
    Notification,
    NotificationTopic,
    Reply,
    ReplyClass,
    utcnow,
)
from cam.replies.cards import StoredReply, queue_cards
from cam.replies.rules import Classification
from tests.e2e.seed import deliver
from tests.e2e.slack_client import OUTSIDER, REPORT_CHANNEL, TEAM, RunningBot
from tests.replies.prospects import add_prospect


def posted_card(
    bot: RunningBot,
    email: str,
    text: str,
    kind: ReplyClass = ReplyClass.question,
    why: str = "model question 81%: a question",
) -> int:
    """Store a reply of a contacted lead as the watcher does, post its card; return its id."""
    with unit_of_work(bot.sessions) as session:
        lead_id = add_prospect(session, email)
        if kind is ReplyClass.interested:
            session.get_one(Lead, lead_id).status = LeadStatus.hot
        reply = Reply(
            lead_id=lead_id,
            from_address=email,
            subject="Re: A quick question",
            body_excerpt=text,
            classification=kind,
            matched_rule=why,
            received_at=utcnow(),
        )
        session.add(reply)
        session.flush()
        verdict = Classification(kind, why)
        queue_cards(session, [StoredReply(reply.id, lead_id, verdict)], utcnow())
        reply_id = reply.id
    deliver(bot)
    return reply_id


def card_ts(bot: RunningBot, reply_id: int) -> str:
    """The ts of the reply's card, as the notifier stored it."""
    with bot.sessions() as session:
        rows = session.scalars(
            select(Notification).where(Notification.topic == NotificationTopic.reply_card)
        ).all()
    [ts] = [r.external_id for r in rows if r.payload["reply_id"] == reply_id and r.external_id]
    return ts


def shown_elements(bot: RunningBot, reply_id: int) -> dict[str, tuple[str, str]]:
    """The card's interactive elements as it is now: action_id -> (value, block_id)."""
    with bot.sessions() as session:
        card = queries.reply_card(session, reply_id)
        assert card is not None
        post = reply_card_post(card, signer_of(bot.settings))
    return {
        element["action_id"]: (str(element.get("value", "")), str(block.get("block_id", "")))
        for block in post.blocks
        if block["type"] == "actions"
        for element in block["elements"]
    }


def click(
    bot: RunningBot,
    action: ActionId,
    value: str,
    *,
    ts: str,
    user: str = OUTSIDER,
    channel: str = REPORT_CHANNEL,
) -> None:
    """Click a button whose value is `value` on the message (channel, ts); wait for the work."""
    url = bot.fake_slack.response_url("triage")
    answer = bot.slack.action(action, value, user=user, channel=channel, ts=ts, response_url=url)
    assert answer.status == 200
    bot.settle()


def pick_date(bot: RunningBot, block_id: str, day: date, *, ts: str, user: str = OUTSIDER) -> None:
    """Pick a day in a card's date picker (its block named `block_id`), as Slack sends it."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": TEAM, "domain": "acme"},
        "user": {"id": user, "username": user.lower(), "team_id": TEAM},
        "api_app_id": "A0CAM",
        "trigger_id": "1.2.3",
        "container": {"type": "message", "message_ts": ts, "channel_id": REPORT_CHANNEL},
        "channel": {"id": REPORT_CHANNEL, "name": "cam-reports"},
        "message": {"ts": ts, "text": "", "blocks": []},
        "response_url": bot.fake_slack.response_url("triage"),
        "actions": [
            {
                "type": "datepicker",
                "action_id": ActionId.triage_snooze.value,
                "block_id": block_id,
                "selected_date": day.isoformat(),
                "action_ts": "1.2",
            }
        ],
    }
    answer = bot.slack.post(urlencode({"payload": json.dumps(payload)}))
    assert answer.status == 200
    bot.settle()


def told(bot: RunningBot) -> list[str]:
    """What the clickers were told privately (response_url posts)."""
    return [str(c.params.get("text", "")) for c in bot.fake_slack.of("response_url")]


def snooze_block(bot: RunningBot, reply_id: int) -> str:
    """The block_id of the card's date picker (it carries the signed value)."""
    _value, block_id = shown_elements(bot, reply_id)[ActionId.triage_snooze]
    assert block_id.startswith(f"{BlockId.triage_actions}:")
    return block_id
