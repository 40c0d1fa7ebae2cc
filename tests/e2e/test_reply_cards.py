"""Replies reach Slack as cards while cam-bot runs, and the team decides on them over HTTP.

The bot runs as in `cam-bot` (its HTTP app, the fake Slack, the CRM stand-in) with the
scheduler's reply watcher on a real IMAP server: no command and no cycle brings a card.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as day_time
from pathlib import Path
from typing import Any

import pytest
import trustme
from sqlalchemy import select

from bot.app import web_client
from bot.ids import ActionId, BlockId
from bot.notifier import Notifier
from bot.payloads import ApprovalRef
from bot.scheduler import BotScheduler
from cam.core.db import unit_of_work
from cam.core.models import (
    Approval,
    ApprovalStatus,
    Lead,
    LeadStatus,
    Notification,
    NotificationTopic,
    OutreachMessage,
    OutreachStatus,
    Reply,
    ReplyClass,
    ReplyLabel,
    Suppression,
    TriageChoice,
    utcnow,
)
from cam.gateways.factory import build_gateways
from tests.e2e import cards
from tests.e2e.slack_client import (
    APPROVER,
    OUTSIDER,
    REPORT_CHANNEL,
    RunningBot,
    blocks_of,
    shown,
)
from tests.fakes.slack_api import Call
from tests.gateways.imap_server import (
    HOST,
    PASSWORD,
    USERNAME,
    ImapServer,
    imap_ca,
    running_imap_server,
)
from tests.replies.prospects import add_prospect, reply, wait_for

__all__ = ["imap_ca"]


@dataclass
class Watched:
    bot: RunningBot
    imap: ImapServer
    # The value each card's buttons had when first clicked: a second click sends it again.
    clicked: dict[int, tuple[str, str]] = field(default_factory=dict)

    def reply(self, email: str, text: str, n: int = 1) -> Call:
        """Deliver a reply to the mailbox; return the card (or thread reply) Slack got for it."""
        before = len(self.bot.fake_slack.of("chat.postMessage"))
        self.imap.append(reply(email, text, n=n))
        return self.bot.fake_slack.wait_for("chat.postMessage", before + 1, timeout=20)[before]

    def prospect(self, email: str) -> int:
        with unit_of_work(self.bot.sessions) as session:
            return add_prospect(session, email)


@pytest.fixture
def watched(
    request: pytest.FixtureRequest,
    start_bot: Callable[..., RunningBot],
    imap_ca: tuple[trustme.CA, Path],
) -> Iterator[Watched]:
    """The bot with its reply watcher running on an IMAP box of its own; an indirect parameter
    adds settings (`{"CAM_TRIAGERS": ...}`)."""
    extra: dict[str, str] = getattr(request, "param", {})
    with running_imap_server(*imap_ca, implicit_tls=False) as imap:
        bot = start_bot(
            **extra,
            CAM_IMAP_HOST=HOST,
            CAM_IMAP_PORT=str(imap.port),
            CAM_IMAP_USERNAME=USERNAME,
            CAM_IMAP_PASSWORD=PASSWORD,
            CAM_IMAP_SECURITY="starttls",
            CAM_IMAP_CA_FILE=str(imap.ca_file),
            # IDLE brings each reply; the poll behind it catches a notice pymap drops now and
            # then (test_reply_watcher.py proves IDLE alone, with an hour between polls).
            CAM_REPLY_POLL_SECONDS="2",
        )
        notifier = Notifier(web_client(bot.settings), bot.sessions, bot.settings, config=bot.config)
        gateways = build_gateways(bot.settings, bot.config.process.mailboxes)
        scheduler = BotScheduler(bot.settings, bot.sessions, gateways, notifier)
        [watcher] = scheduler.watchers
        watcher.start()
        try:
            yield Watched(bot, imap)
        finally:
            scheduler.shutdown(wait=False)


def _actions(call: Call) -> list[dict[str, Any]]:
    """The card's decisions (its Reply button, always there for a lead, left out)."""
    return [
        e
        for b in blocks_of(call)
        if b["type"] == "actions" and not b.get("block_id", "").startswith(BlockId.answer_actions)
        for e in b["elements"]
    ]


def _reply_id(watched: Watched, email: str) -> int:
    with watched.bot.sessions() as session:
        query = select(Reply.id).where(Reply.from_address == email).order_by(Reply.id)
        return session.scalars(query).first() or 0


def _click(watched: Watched, action: ActionId, reply_id: int, user: str = OUTSIDER) -> None:
    """Click the button the card shows now (the first click's value, if it shows none)."""
    ts = _ts_of(watched, reply_id)
    shown_now = cards.shown_elements(watched.bot, reply_id)
    value, _block = shown_now.get(action, watched.clicked.get(reply_id, ("", "")))
    watched.clicked[reply_id] = (value, _block)
    cards.click(watched.bot, action, value, ts=ts, user=user)


def _ts_of(watched: Watched, reply_id: int) -> str:
    """The ts of the reply's card, once the notifier has stored it."""

    def stored() -> str | None:
        with watched.bot.sessions() as session:
            rows = session.scalars(
                select(Notification).where(Notification.topic == NotificationTopic.reply_card)
            ).all()
            found = [r.external_id for r in rows if r.payload["reply_id"] == reply_id]
            return found[0] if found else None

    return wait_for(stored)


def _url(bot: RunningBot) -> str:
    return bot.fake_slack.response_url("triage")


def _told(bot: RunningBot) -> list[str]:
    return cards.told(bot)


def _lead(watched: Watched, lead_id: int) -> Lead:
    with watched.bot.sessions() as session:
        return session.get_one(Lead, lead_id)


def test_a_reply_arriving_while_the_bot_runs_becomes_a_card_with_its_approval(
    watched: Watched,
) -> None:
    lead_id = watched.prospect("dana@northwind.example")
    # How fast a card comes is measured in bench/reply_latency.py, not asserted here.
    card = watched.reply(
        "dana@northwind.example",
        "<!channel> Yes, can we book a demo next week? <https://evil.example|our site>\n\n"
        "Best regards,\nDana Reyes\nVP Sales, Northwind",
    )
    text = shown(blocks_of(card))
    assert card.params["channel"] == REPORT_CHANNEL
    assert "Dana Prospect" in text and "Northwind" in text and "Score *72*" in text
    assert "title: head of sales" in text and "dana@northwind.example" in text
    assert "&lt;!channel&gt;" in text and "<!channel>" not in text
    assert "&lt;https://evil.example|our site&gt;" in text
    assert "Classified *interested*" in text
    # Signature and quoted history are left out of the excerpt.
    assert "VP Sales, Northwind" not in text and "a quick question" not in text
    assert [e["action_id"] for e in _actions(card)] == [ActionId.approve, ActionId.reject]
    assert ActionId.answer_open in shown(blocks_of(card))
    assert _lead(watched, lead_id).status is LeadStatus.hot
    assert watched.bot.fake_slack.violations == []

    # The card goes out with its batch; the read is noted once the whole read is done.
    idle_line = "*Replies*\\nIDLE (the server pushes new mail); last read"
    wait_for(lambda: idle_line in shown(watched.bot.slack.command("status", user=OUTSIDER).json))

    # Approving confirms the classifier: a label for `cam replies accuracy` and the model.
    bot = watched.bot
    value = ApprovalRef(approval_id=_approval_of(watched, lead_id)).dump()
    ts = _ts_of(watched, _reply_id(watched, "dana@northwind.example"))
    bot.slack.action(ActionId.approve, value, user=APPROVER, ts=ts, response_url=_url(bot))
    bot.settle()
    with bot.sessions() as session:
        label = session.scalars(select(ReplyLabel)).one()
    assert (label.predicted, label.label, label.decided_by) == (
        ReplyClass.interested,
        ReplyClass.interested,
        APPROVER,
    )


def _approval_of(watched: Watched, lead_id: int) -> int:
    with watched.bot.sessions() as session:
        return session.scalars(select(Approval.id).where(Approval.lead_id == lead_id)).one()


def test_not_interested_closes_the_lead_once_for_anyone_in_the_channel(watched: Watched) -> None:
    lead_id = watched.prospect("li@contoso.example")
    card = watched.reply("li@contoso.example", "Where did you get my email address from?")
    reply_id = _reply_id(watched, "li@contoso.example")
    buttons = [e["action_id"] for e in _actions(card)]
    assert buttons == [
        ActionId.triage_interested,
        ActionId.triage_not_interested,
        ActionId.triage_unsubscribe,
        ActionId.triage_snooze,
    ]
    assert "Data request" in shown(blocks_of(card))

    _click(watched, ActionId.triage_not_interested, reply_id)
    _click(watched, ActionId.triage_not_interested, reply_id)

    [update] = watched.bot.fake_slack.of("chat.update")
    assert f"Marked *not interested*: lead closed by <@{OUTSIDER}>" in shown(blocks_of(update))
    # The lead is closed at once; the classifier learns from it once someone else agrees.
    assert [e["action_id"] for e in _actions(update)] == [ActionId.label_agree]
    assert any("Already decided: not interested" in text for text in _told(watched.bot))
    lead = _lead(watched, lead_id)
    assert lead.status is LeadStatus.replied and lead.next_step_at is None
    with watched.bot.sessions() as session:
        [label] = session.scalars(select(ReplyLabel)).all()
        step2 = session.scalars(
            select(OutreachMessage).where(
                OutreachMessage.lead_id == lead_id, OutreachMessage.step == 2
            )
        ).one()
    assert (label.predicted, label.label, label.decided_by) == (
        ReplyClass.question,
        ReplyClass.not_interested,
        OUTSIDER,
    )
    assert step2.status is OutreachStatus.skipped


def test_interested_asks_for_approval_and_only_an_approver_sends_to_the_crm(
    watched: Watched,
) -> None:
    lead_id = watched.prospect("sam@adatum.example")
    watched.reply("sam@adatum.example", "How does the pricing work?")
    reply_id = _reply_id(watched, "sam@adatum.example")

    _click(watched, ActionId.triage_interested, reply_id)
    [update] = watched.bot.fake_slack.of("chat.update")
    assert [e["action_id"] for e in _actions(update)] == [ActionId.approve, ActionId.reject]
    assert _lead(watched, lead_id).status is LeadStatus.hot
    approval_id = _approval_of(watched, lead_id)
    bot = watched.bot
    value = ApprovalRef(approval_id=approval_id).dump()
    ts = str(update.params["ts"])
    for user in (OUTSIDER, APPROVER, APPROVER):
        bot.slack.action(ActionId.approve, value, user=user, ts=ts, response_url=_url(bot))
        bot.settle()

    assert any("only approvers may decide" in text for text in _told(bot))
    assert len(bot.crm.of("POST", "/crm/v3/objects/deals")) == 1
    last = bot.fake_slack.of("chat.update")[-1]
    assert last.params["ts"] == ts and f"Approved* by <@{APPROVER}>" in shown(blocks_of(last))
    assert "Reply from Sam" in shown(blocks_of(last))  # still the reply card
    with bot.sessions() as session:
        assert session.get_one(Approval, approval_id).status is ApprovalStatus.approved
        # The card's Interested was the label; approving does not add a second one.
        assert session.scalars(select(ReplyLabel.decided_by)).all() == [OUTSIDER]
        assert session.get_one(Lead, lead_id).status is LeadStatus.escalated


def test_unsubscribe_suppresses_the_address_for_good(watched: Watched) -> None:
    lead_id = watched.prospect("kim@litware.example")
    watched.reply("kim@litware.example", "Not now, maybe later.")
    reply_id = _reply_id(watched, "kim@litware.example")
    _click(watched, ActionId.triage_unsubscribe, reply_id)
    # The card's button only asks, privately; the question's own button acts.
    assert _lead(watched, lead_id).status is LeadStatus.replied
    [question] = watched.bot.fake_slack.of("response_url")
    assert "Unsubscribe kim@litware.example?" in question.params["text"]
    assert question.params["response_type"] == "ephemeral"
    [confirm] = _actions(question)
    assert confirm["action_id"] == ActionId.triage_unsubscribe_confirm
    bot = watched.bot
    cards.click(bot, ActionId.triage_unsubscribe_confirm, confirm["value"], ts="1700000999.000001")
    assert _lead(watched, lead_id).status is LeadStatus.unsubscribed
    with watched.bot.sessions() as session:
        assert session.scalars(select(Suppression.value)).all() == ["kim@litware.example"]
    [update] = watched.bot.fake_slack.of("chat.update")
    assert "*Unsubscribed* for good" in shown(blocks_of(update))


def test_snooze_resumes_the_sequence_on_the_day_picked(watched: Watched) -> None:
    lead_id = watched.prospect("ola@proseware.example")
    watched.reply("ola@proseware.example", "Ask me again after the holidays.")
    reply_id = _reply_id(watched, "ola@proseware.example")
    until = utcnow().date() + timedelta(days=30)  # after today, even if midnight comes
    block = cards.snooze_block(watched.bot, reply_id)
    cards.pick_date(watched.bot, block, until, ts=_ts_of(watched, reply_id))

    lead = _lead(watched, lead_id)
    assert lead.status is LeadStatus.contacted
    assert f"snoozed until {until.isoformat()}" in str(lead.status_reason)
    with watched.bot.sessions() as session:
        step2 = session.scalars(
            select(OutreachMessage).where(
                OutreachMessage.lead_id == lead_id, OutreachMessage.step == 2
            )
        ).one()
        label = session.scalars(select(ReplyLabel)).one()
    assert step2.status is OutreachStatus.planned
    # The step keeps its time of day (09:15 UTC is 10:15 in the team's UTC zone) on that day.
    assert step2.scheduled_at == datetime.combine(until, day_time(9, 15), UTC)
    assert (label.choice, label.label, label.snooze_until) == (TriageChoice.snooze, None, until)


def test_a_later_reply_of_the_same_lead_goes_in_the_cards_thread(watched: Watched) -> None:
    watched.prospect("eve@wingtip.example")
    first = watched.reply("eve@wingtip.example", "Could you tell me more about the setup?")
    later = watched.reply("eve@wingtip.example", "Also, do you integrate with HubSpot?", n=2)
    assert "thread_ts" not in first.params or not first.params["thread_ts"]
    assert later.params["thread_ts"] == _ts_of(watched, _reply_id(watched, "eve@wingtip.example"))
