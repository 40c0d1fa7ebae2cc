"""An absent prospect in a conversation with the team: her out-of-office card in the thread of
her first card, the Answer when back modal and the card's Cancel over HTTP, the schedulers
that send what is due, and the clock they all read."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.ids import ActionId
from bot.payloads import ReplyRef
from bot.scheduler import BotScheduler
from cam.core.context import CycleContext
from cam.core.db import unit_of_work
from cam.core.models import Answer, Lead, Notification, NotificationTopic, Reply, ReplyClass
from cam.core.ports import Gateways
from cam.core.report import CAMCycleReport
from cam.core.state import get_state
from cam.gateways.factory import build_gateways
from cam.gateways.imap import ImapInboxReader
from cam.gateways.noop import NoopCrmSyncer, NoopEmailSender, NoopSocialPoster
from cam.replies.cards import StoredReply, queue_cards
from cam.replies.reading import detect_replies
from cam.replies.rules import Classification
from tests.e2e.answering import PROSPECT, BotParts, notifier, post_reply_card
from tests.e2e.cards import shown_elements
from tests.e2e.slack_client import RunningBot, blocks_of, shown
from tests.gateways.imap_server import ImapServer
from tests.replies.prospects import first_message_id

BERLIN = "Europe/Berlin"
ABSENCE_ID = "<ooo.dana@northwind.example>"
# Dana's absence notice comes on Tuesday 1 December 2026: back on Friday the 4th, so the answer
# goes on Monday the 7th at 09:00 in Berlin (08:00 UTC).
WRITTEN = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
BACK = date(2026, 12, 4)
DUE = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


class Clock:
    """The clock the bot, the schedulers and the reply phase read: set by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass(frozen=True)
class Away:
    """Dana's out-of-office reply, its card (`ts`) and the thread it is in (`thread_ts`)."""

    reply_id: int
    lead_id: int
    ts: str
    thread_ts: str


def absence_mail(until: str, written: datetime, *, sender: str = PROSPECT) -> bytes:
    """An out-of-office notice (Dana's, unless `sender`), as it arrives in Maya's inbox."""
    message_id = ABSENCE_ID if sender == PROSPECT else f"<ooo.{sender}>"
    return (
        f"From: {sender}\r\nTo: maya@acme.example\r\n"
        "Subject: Automatic reply: Re: A quick question\r\n"
        f"Message-ID: {message_id}\r\nIn-Reply-To: {first_message_id(sender)}\r\n"
        "Auto-Submitted: auto-replied\r\n"
        f"Date: {written:%a, %d %b %Y %H:%M:%S} +0000\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"Thank you for your message. I am out of the office until {until} with limited "
        "access to email.\r\n"
    ).encode()


def read_mail(bot: BotParts, imap: ImapServer, clock: Clock) -> CAMCycleReport:
    """Read Maya's inbox as the reply phase does, at the clock's time."""
    with unit_of_work(bot.sessions) as session:
        config = bot.config.cycle_config(get_state(session))
    inbox = ImapInboxReader(imap.settings())
    ctx = CycleContext(
        config=config,
        session_factory=bot.sessions,
        gateways=Gateways(
            email=NoopEmailSender(), inbox=inbox, social=NoopSocialPoster(), crm=NoopCrmSyncer()
        ),
        clock=clock,
        rng=random.Random(1),
        report=CAMCycleReport(start=clock()),
    )
    detect_replies(ctx)
    notifier(bot).deliver_pending()
    return ctx.report


def away_card(
    bot: BotParts, *, zone: str = BERLIN, back: date = BACK, written: datetime = WRITTEN
) -> Away:
    """Dana said yes (her card is posted), then her out-of-office came back, stored as the
    watcher stores it: its card goes in her thread."""
    first = post_reply_card(bot, text="<!channel> Yes, let's talk.")
    verdict = Classification(
        ReplyClass.out_of_office,
        f"header Auto-Submitted: auto-replied; back {back.isoformat()}",
        return_date=back,
        automated=True,
    )
    with unit_of_work(bot.sessions) as session:
        session.get_one(Lead, first.lead_id).timezone = zone
        reply = Reply(
            lead_id=first.lead_id,
            message_id=ABSENCE_ID,
            in_reply_to=first_message_id(PROSPECT),
            from_address=PROSPECT,
            subject="Automatic reply: Re: A quick question",
            body_excerpt=f"I am out of the office until {back:%A %d %B}.",
            classification=ReplyClass.out_of_office,
            matched_rule=verdict.matched_rule,
            return_date=back,
            received_at=written,
            landed_at=written,
        )
        session.add(reply)
        session.flush()
        queue_cards(session, [StoredReply(reply.id, first.lead_id, verdict)], written)
        reply_id = reply.id
    notifier(bot).deliver_pending()
    return Away(reply_id, first.lead_id, card_ts(bot, reply_id), first.ts)


def card_ts(bot: BotParts, reply_id: int) -> str:
    with unit_of_work(bot.sessions) as session:
        rows = session.scalars(
            select(Notification).where(Notification.topic == NotificationTopic.reply_card)
        ).all()
        [ts] = [r.external_id for r in rows if r.payload["reply_id"] == reply_id]
    assert ts is not None
    return ts


def open_later(bot: BotParts, away: Away, user: str) -> dict[str, Any] | None:
    """Click Answer when back on the card; return the modal Slack was asked to open, if any."""
    before = len(bot.fake_slack.of("views.open"))
    value = ReplyRef(reply_id=away.reply_id).dump()
    url = bot.fake_slack.response_url("later")
    answer = bot.slack.action(
        ActionId.answer_later_open, value, user=user, ts=away.ts, response_url=url
    )
    assert answer.status == 200, answer.body
    opened = bot.fake_slack.of("views.open")[before:]
    if not opened:
        return None
    view = opened[0].params["view"]
    return json.loads(view) if isinstance(view, str) else dict(view)


def click_cancel(bot: RunningBot, away: Away, user: str, value: str | None = None) -> None:
    """Click the card's Cancel (its value as the card shows it now, unless given)."""
    if value is None:
        value = shown_elements(bot, away.reply_id)[ActionId.answer_cancel][0]
    url = bot.fake_slack.response_url("cancel")
    answer = bot.slack.action(
        ActionId.answer_cancel, value, user=user, ts=away.ts, response_url=url
    )
    assert answer.status == 200, answer.body
    bot.settle()


def told(bot: BotParts) -> list[str]:
    """What the people who clicked were told, privately."""
    return [str(call.params.get("text")) for call in bot.fake_slack.of("response_url")]


def thread(bot: BotParts, away: Away) -> list[str]:
    """Everything posted in the conversation's thread but the cards."""
    return [
        shown(blocks_of(call))
        for call in bot.fake_slack.of("chat.postMessage")
        if call.params.get("thread_ts") == away.thread_ts
        and "cam_answer_actions" not in shown(blocks_of(call))
    ]


def card_now(bot: BotParts, away: Away) -> str:
    """The card as its last update shows it."""
    updates = [c for c in bot.fake_slack.of("chat.update") if c.params.get("ts") == away.ts]
    assert updates, "the card was never updated"
    return shown(blocks_of(updates[-1]))


def answers(bot: BotParts) -> list[Answer]:
    with unit_of_work(bot.sessions) as session:
        rows = list(session.scalars(select(Answer).order_by(Answer.id)))
        session.expunge_all()
        return rows


def schedulers(bot: RunningBot, clock: Clock, *names: str) -> list[BotScheduler]:
    """The schedulers of instances sharing the bot's database (not started: a test runs
    their jobs when its clock says)."""
    return [
        BotScheduler(
            bot.settings,
            bot.sessions,
            build_gateways(bot.settings, bot.config.process.mailboxes),
            notifier(bot),
            instance=name,
            clock=clock,
        )
        for name in names or ("one",)
    ]


def later(moment: datetime, **delta: float) -> datetime:
    return moment + timedelta(**delta)
