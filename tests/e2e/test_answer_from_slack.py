"""Reply from the card: Reply opens the modal, the submission sends from the owner's mailbox in
the prospect's thread, once; refusals show in the modal; dry run sends nothing; the reminder.

Signed block_actions and view_submission go over HTTP to the bot; the answer goes over SMTP to
aiosmtpd; Slack is the local fake. Every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select

from bot.scheduler import BotScheduler
from cam.core import safety
from cam.core.db import unit_of_work
from cam.core.enums import SendMode
from cam.core.models import (
    Answer,
    Lead,
    MailboxState,
    OutreachMessage,
    OutreachStatus,
    Reply,
    SendQuota,
    SuppressionKind,
    SuppressionSource,
    utcnow,
)
from cam.gateways.factory import build_gateways
from cam.outreach import sender_mailboxes
from tests.e2e.answering import (
    JONAS,
    MAYA,
    PROSPECT,
    REPLY_MESSAGE_ID,
    Card,
    notifier,
    open_modal,
    pick_snippet,
    post_reply_card,
    set_dry_run,
    submit,
    team_bot,
)
from tests.e2e.slack_client import APPROVER, OUTSIDER, RunningBot, blocks_of, shown
from tests.gateways.smtp_server import POSTAL_ADDRESS, PUBLIC_URL, SmtpServer
from tests.replies.prospects import first_message_id, wait_for

StartBot = Callable[..., RunningBot]


@pytest.fixture
def team(start_bot: StartBot, plain_smtp_server: SmtpServer, tmp_path: Path) -> RunningBot:
    return team_bot(start_bot, plain_smtp_server, tmp_path)


def _answers(bot: RunningBot) -> list[Answer]:
    with unit_of_work(bot.sessions) as session:
        rows = list(session.scalars(select(Answer).order_by(Answer.id)))
        session.expunge_all()
        return rows


def _thread_posts(bot: RunningBot, card: Card) -> list[str]:
    return [
        shown(blocks_of(call))
        for call in bot.fake_slack.of("chat.postMessage")
        if call.params.get("thread_ts") == card.ts
    ]


def _step2(bot: RunningBot, lead_id: int) -> OutreachMessage:
    with unit_of_work(bot.sessions) as session:
        row = session.scalars(
            select(OutreachMessage).where(
                OutreachMessage.lead_id == lead_id, OutreachMessage.step == 2
            )
        ).one()
        session.expunge(row)
        return row


def test_the_owner_answers_from_the_card_in_the_prospects_thread_once(
    team: RunningBot, plain_smtp_server: SmtpServer
) -> None:
    card = post_reply_card(team, text="<!channel> Yes, let's talk next week.")
    [posted] = team.fake_slack.of("chat.postMessage")
    buttons = [
        e["action_id"] for b in blocks_of(posted) if b["type"] == "actions" for e in b["elements"]
    ]
    assert "cam_answer_open" in buttons

    view = open_modal(team, card, MAYA)
    assert view is not None
    modal = shown(view)
    assert "&lt;!channel&gt; Yes, let's talk next week." in modal and "<!channel>" not in modal
    assert "Re: A quick question" in modal and "Dry run" not in modal
    # The owner answers from her mailbox: no menu to pick another.
    assert "From: maya (maya@acme.example)" in modal and "cam_answer_mailbox" not in modal
    # Drafted from the interested snippet, signed by Maya, with her booking link.
    assert "https://cal.example/maya" in modal and "Maya Lind\\nAccount Executive" in modal

    text = "Hi Dana,\n\nTuesday at 3pm works. <b>See you</b>\n\nMaya"
    assert submit(team.slack, view, user=MAYA, text=text) == {}
    assert submit(team.slack, view, user=MAYA, text=text) == {}  # a double submit
    team.settle()

    [mail] = plain_smtp_server.handler.messages
    message = mail.message
    assert mail.rcpt_tos == (PROSPECT,) and mail.mail_from == "maya@acme.example"
    assert message["From"] == "Maya Lind <maya@acme.example>"
    assert message["Subject"] == "Re: A quick question"
    assert message["In-Reply-To"] == REPLY_MESSAGE_ID
    assert message["References"] == f"{first_message_id(PROSPECT)} {REPLY_MESSAGE_ID}"
    body = message.get_body(preferencelist=("plain",))
    assert body is not None and not message.is_multipart()  # text only: no tracking pixel
    content = body.get_content()
    assert content.startswith(text) and POSTAL_ADDRESS in content
    assert f"{PUBLIC_URL}/unsubscribe/" in content and "List-Unsubscribe" in message

    [answer] = _answers(team)
    assert (answer.status, answer.answered_by, answer.mailbox) == (
        OutreachStatus.sent,
        MAYA,
        "maya",
    )
    assert message["Message-ID"] == answer.message_id
    [thread] = wait_for(lambda: _thread_posts(team, card))
    assert f"Answered by <@{MAYA}> 3 min after the reply" in thread
    assert "&lt;b&gt;See you&lt;/b&gt;" in thread and "<b>" not in thread
    update = team.fake_slack.of("chat.update")[-1]
    assert update.params["ts"] == card.ts and "*Answered* by" in shown(blocks_of(update))
    # A human conversation has begun: the sequence stops.
    assert _step2(team, card.lead_id).status is OutreachStatus.skipped
    with unit_of_work(team.sessions) as session:
        reply = session.get_one(Reply, card.reply_id)
        assert reply.answered_at is not None and reply.card_posted_at is not None
        assert session.get_one(Lead, card.lead_id).next_step_at is None
    assert team.fake_slack.violations == []


def test_another_snippet_redrafts_the_answer(team: RunningBot) -> None:
    card = post_reply_card(team)
    view = open_modal(team, card, MAYA)
    assert view is not None and "Tuesday or Thursday afternoon" in shown(view)
    redrafted = pick_snippet(team, view, "send-agenda", user=MAYA)
    text = shown(redrafted)
    assert "here is what I would cover in 20 minutes" in text
    assert "Tuesday or Thursday" not in text and "cam_answer_body:send-agenda" in text


def test_two_instances_given_the_same_submission_send_one_email(
    start_bot: StartBot, plain_smtp_server: SmtpServer, tmp_path: Path
) -> None:
    first = team_bot(start_bot, plain_smtp_server, tmp_path)
    second = start_bot(**_env_of(first))
    card = post_reply_card(first)
    view = open_modal(first, card, APPROVER)
    assert view is not None and "cam_answer_mailbox" in shown(view)  # an approver may pick
    acks: list[dict[str, Any]] = []
    threads = [
        threading.Thread(target=lambda b=bot: acks.append(submit(b.slack, view, user=APPROVER)))
        for bot in (first, second, first, second)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    first.settle()
    second.settle()
    assert acks == [{}] * 4
    assert len(plain_smtp_server.handler.messages) == 1
    assert [a.status for a in _answers(first)] == [OutreachStatus.sent]


def test_an_approver_may_answer_from_another_mailbox(
    team: RunningBot, plain_smtp_server: SmtpServer
) -> None:
    card = post_reply_card(team)
    view = open_modal(team, card, APPROVER)
    assert view is not None
    assert submit(team.slack, view, user=APPROVER, mailbox="jonas") == {}
    team.settle()
    [mail] = plain_smtp_server.handler.messages
    assert mail.mail_from == "jonas@acme.example"
    # The owner may not: her modal has no menu, and a forged choice is refused.
    owners_view = open_modal(team, card, MAYA)
    assert owners_view is not None
    refused = submit(team.slack, view, user=MAYA, mailbox="jonas", view_id="V0FORGED")
    assert refused["response_action"] == "errors"
    assert "only approvers may answer from another mailbox" in shown(refused)


def test_a_suppressed_address_and_a_paused_mailbox_are_refused_in_the_modal(
    team: RunningBot, plain_smtp_server: SmtpServer
) -> None:
    card = post_reply_card(team)
    view = open_modal(team, card, MAYA)
    assert view is not None
    with unit_of_work(team.sessions) as session:
        session.add(MailboxState(key="maya", paused=True, paused_by=APPROVER))
    paused = submit(team.slack, view, user=MAYA)
    assert paused["response_action"] == "errors"
    assert "mailbox maya is paused" in shown(paused["errors"])

    with unit_of_work(team.sessions) as session:
        session.get_one(MailboxState, "maya").paused = False
    # The mailbox's hourly cap (5) counts answers too: a full hour refuses it.
    with unit_of_work(team.sessions) as session:
        now = utcnow()
        for moment in (now, now + timedelta(minutes=2)):  # a run across the hour's end
            window = safety.hour_window(moment, team.settings.timezone)
            scope = sender_mailboxes.hour_scope(SendMode.live, "maya")
            session.merge(SendQuota(scope=scope, window=window, used=5))
    full = submit(team.slack, view, user=MAYA, view_id="V0ANSWER3")
    assert "mailbox maya has sent its 5 emails this hour" in shown(full["errors"])
    with unit_of_work(team.sessions) as session:
        session.execute(delete(SendQuota))

    with unit_of_work(team.sessions) as session:
        grounds = safety.Grounds(SuppressionSource.manual, "asked to unsubscribe by phone")
        safety.suppress(session, SuppressionKind.email, PROSPECT, "asked to unsubscribe", grounds)
    suppressed = submit(team.slack, view, user=MAYA, view_id="V0ANSWER2")
    assert suppressed["response_action"] == "errors"
    assert f"{PROSPECT} is suppressed email" in shown(suppressed["errors"])
    team.settle()
    assert plain_smtp_server.handler.messages == [] and _answers(team) == []


def test_someone_neither_owner_nor_approver_cannot_answer(
    team: RunningBot, plain_smtp_server: SmtpServer
) -> None:
    card = post_reply_card(team)
    assert open_modal(team, card, OUTSIDER) is None
    told = [str(c.params.get("text")) for c in team.fake_slack.of("response_url")]
    assert any("Only <@U0MAYA001> (the lead's owner), an approver" in t for t in told)
    # A submission forged from a modal opened by the owner is checked again on the server.
    view = open_modal(team, card, MAYA)
    assert view is not None
    refused = submit(team.slack, view, user=JONAS)
    assert refused["response_action"] == "errors"
    assert "Only @U0MAYA001 (the lead's owner)" in shown(refused["errors"])
    team.settle()
    assert plain_smtp_server.handler.messages == [] and _answers(team) == []


def test_in_dry_run_nothing_is_sent_and_the_thread_says_so(
    team: RunningBot, plain_smtp_server: SmtpServer
) -> None:
    set_dry_run(team, True)
    card = post_reply_card(team)
    view = open_modal(team, card, MAYA)
    assert view is not None and "*Dry run*: nothing will be sent" in shown(view)
    assert submit(team.slack, view, user=MAYA) == {}
    team.settle()
    assert plain_smtp_server.handler.messages == []
    [answer] = _answers(team)
    assert answer.status is OutreachStatus.simulated and answer.subject == "Re: A quick question"
    [thread] = wait_for(lambda: _thread_posts(team, card))
    assert f"<@{MAYA}> would have answered 3 min after the reply, from maya" in thread
    assert "(dry run: nothing was sent)" in thread
    assert _step2(team, card.lead_id).status is OutreachStatus.skipped


def test_the_owner_is_reminded_once_of_an_interested_reply_left_unanswered(
    team: RunningBot,
) -> None:
    card = post_reply_card(team)
    later = utcnow() + timedelta(days=10)
    schedulers = [
        BotScheduler(
            team.settings,
            team.sessions,
            build_gateways(team.settings, team.config.process.mailboxes),
            notifier(team),
            instance=name,
            clock=lambda: later,
        )
        for name in ("one", "two")
    ]
    assert [s.remind_unanswered() for s in schedulers] == [1, 0]
    assert schedulers[1].remind_unanswered() == 0
    [reminder] = _thread_posts(team, card)
    assert f"<@{MAYA}>, Dana Prospect said they are interested" in reminder
    assert "Reply* on the card" in reminder


def _env_of(bot: RunningBot) -> dict[str, str]:
    settings = bot.settings
    return {
        "CAM_MAILBOXES_FILE": str(settings.mailboxes_file),
        "CAM_POSTAL_ADDRESS": settings.postal_address,
        "CAM_PUBLIC_URL": settings.public_url,
    }
