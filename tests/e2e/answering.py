"""A team of two mailboxes on a real SMTP server, a reply card posted, and Slack's modal
requests (block_actions, view_submission) signed and sent over HTTP to the bot."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlencode

from bot.app import web_client
from bot.ids import ActionId
from bot.live_config import LiveConfig
from bot.notifier import Notifier
from bot.payloads import ReplyRef
from bot.settings import BotSettings
from cam.core.db import SessionFactory, unit_of_work
from cam.core.models import Lead, Notification, NotificationTopic, Reply, ReplyClass, utcnow
from cam.core.notices import ReplyCardPayload, notice
from cam.core.state import get_state
from tests.e2e.slack_client import REPORT_CHANNEL, TEAM, RunningBot, SignedSlack
from tests.fakes.slack_api import FakeSlack
from tests.gateways.smtp_server import POSTAL_ADDRESS, PUBLIC_URL, SmtpServer
from tests.replies.prospects import add_prospect, first_message_id

MAYA = "U0MAYA001"
JONAS = "U0JONAS01"
PROSPECT = "dana@northwind.example"
REPLY_MESSAGE_ID = "<r1.dana@northwind.example>"
WAITED = timedelta(minutes=3)


def mailboxes_file(path: Path, smtp: SmtpServer, *, hourly_cap: int = 5) -> Path:
    """Maya's and Jonas's mailboxes, both through the plain SMTP server."""
    entries = []
    for key, name, owner in (("maya", "Maya Lind", MAYA), ("jonas", "Jonas Berg", JONAS)):
        entries.append(
            f'[[mailbox]]\nkey = "{key}"\nfrom = "{name} <{key}@acme.example>"\n'
            f'owner = "{owner}"\ntitle = "Account Executive"\n'
            f'booking_url = "https://cal.example/{key}"\nhourly_cap = {hourly_cap}\n\n'
            f'[mailbox.smtp]\nhost = "{smtp.host}"\nport = {smtp.port}\nsecurity = "none"\n'
        )
    path.write_text("\n".join(entries))
    return path


def team_bot(
    start_bot: Callable[..., RunningBot],
    smtp: SmtpServer,
    tmp_path: Path,
    clock: Callable[[], datetime] = utcnow,
) -> RunningBot:
    """The bot of the team, live (dry run off), reading `clock`."""
    bot = start_bot(
        clock,
        CAM_MAILBOXES_FILE=str(mailboxes_file(tmp_path / "mailboxes.toml", smtp)),
        CAM_POSTAL_ADDRESS=POSTAL_ADDRESS,
        CAM_PUBLIC_URL=PUBLIC_URL,
    )
    set_dry_run(bot, False)
    return bot


def set_dry_run(bot: BotParts, dry_run: bool) -> None:
    with unit_of_work(bot.sessions) as session:
        get_state(session).dry_run = dry_run


class BotParts(Protocol):
    """What these helpers use of a running bot (the tests' `RunningBot`, the bench's own)."""

    slack: SignedSlack
    fake_slack: FakeSlack
    settings: BotSettings
    config: LiveConfig
    sessions: SessionFactory


@dataclass(frozen=True)
class Card:
    reply_id: int
    lead_id: int
    ts: str


def post_reply_card(
    bot: BotParts, *, text: str = "Yes, let's talk next week.", email: str = PROSPECT
) -> Card:
    """An interested reply of Maya's lead, landed three minutes ago, its card posted."""
    landed = utcnow() - WAITED
    with unit_of_work(bot.sessions) as session:
        lead_id = add_prospect(session, email)
        session.get_one(Lead, lead_id).mailbox = "maya"
        reply = Reply(
            lead_id=lead_id,
            message_id=f"<r1.{email}>",
            in_reply_to=first_message_id(email),
            from_address=email,
            subject="Re: A quick question",
            body_excerpt=text,
            classification=ReplyClass.interested,
            matched_rule="phrase: let's talk",
            received_at=landed,
            landed_at=landed,
        )
        session.add(reply)
        session.flush()
        payload = ReplyCardPayload(reply_id=reply.id, lead_id=lead_id)
        row = notice(NotificationTopic.reply_card, payload)
        session.add(row)
        session.flush()
        reply_id, card_id = reply.id, row.id
    notifier(bot).deliver_pending()
    with unit_of_work(bot.sessions) as session:
        posted = session.get_one(Notification, card_id)
        assert posted.channel == REPORT_CHANNEL and posted.external_id
        return Card(reply_id, lead_id, posted.external_id)


def notifier(bot: BotParts) -> Notifier:
    return Notifier(web_client(bot.settings), bot.sessions, bot.settings, config=bot.config)


def open_modal(bot: BotParts, card: Card, user: str) -> dict[str, Any] | None:
    """Click Reply on the card; return the modal Slack was asked to open, if any."""
    before = len(bot.fake_slack.of("views.open"))
    value = ReplyRef(reply_id=card.reply_id).dump()
    url = bot.fake_slack.response_url("answer")
    answer = bot.slack.action(ActionId.answer_open, value, user=user, ts=card.ts, response_url=url)
    assert answer.status == 200, answer.body
    opened = bot.fake_slack.of("views.open")[before:]
    if not opened:
        return None
    view = opened[0].params["view"]
    return json.loads(view) if isinstance(view, str) else dict(view)


def submit(
    slack: SignedSlack,
    view: dict[str, Any],
    *,
    user: str,
    text: str | None = None,
    mailbox: str | None = None,
    view_id: str = "V0ANSWER1",
) -> dict[str, Any]:
    """Submit the modal as Slack does; return the ack's JSON ({} for a plain 200)."""
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        if element["action_id"] == ActionId.answer_body:
            typed = element.get("initial_value", "") if text is None else text
            values[block["block_id"]] = {
                element["action_id"]: {"type": "plain_text_input", "value": typed}
            }
        if element["action_id"] == ActionId.answer_mailbox:
            chosen = mailbox or element["initial_option"]["value"]
            values[block["block_id"]] = {
                element["action_id"]: {
                    "type": "static_select",
                    "selected_option": {
                        "value": chosen,
                        "text": {"type": "plain_text", "text": chosen},
                    },
                }
            }
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "acme"},
        "user": {"id": user, "username": user.lower(), "team_id": TEAM},
        "api_app_id": "A0CAM",
        "trigger_id": f"{time.time_ns()}.1.abc",
        "view": {
            **view,
            "id": view_id,
            "team_id": TEAM,
            "hash": "1.abc",
            "state": {"values": values},
        },
    }
    answer = slack.post(urlencode({"payload": json.dumps(payload)}))
    assert answer.status == 200, answer.body
    return json.loads(answer.body) if answer.body.strip() else {}


def pick_snippet(bot: BotParts, view: dict[str, Any], key: str, *, user: str) -> dict[str, Any]:
    """Pick another snippet in the open modal; return the view Slack was asked to show."""
    before = len(bot.fake_slack.of("views.update"))
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM, "domain": "acme"},
        "user": {"id": user, "username": user.lower(), "team_id": TEAM},
        "api_app_id": "A0CAM",
        "trigger_id": f"{time.time_ns()}.2.abc",
        "container": {"type": "view", "view_id": "V0ANSWER1"},
        "view": {**view, "id": "V0ANSWER1", "hash": "1.abc", "state": {"values": {}}},
        "actions": [
            {
                "type": "static_select",
                "action_id": ActionId.answer_snippet.value,
                "block_id": "cam_answer_snippet",
                "selected_option": {"value": key, "text": {"type": "plain_text", "text": key}},
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    answer = bot.slack.post(urlencode({"payload": json.dumps(payload)}))
    assert answer.status == 200, answer.body
    [update] = bot.fake_slack.of("views.update")[before:]
    assert update.params["view_id"] == "V0ANSWER1" and update.params["hash"] == "1.abc"
    shown = update.params["view"]
    return json.loads(shown) if isinstance(shown, str) else dict(shown)
