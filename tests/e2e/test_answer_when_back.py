"""Answer when back: an out-of-office card in a conversation schedules the answer for the first
send-window slot of the working day after the return, in the lead's time; it goes once when
due, from the owner's mailbox in the prospect's thread, and obeys what holds at that moment.

Signed block_actions and view_submission go over HTTP to the bot; due answers go over SMTP to
aiosmtpd; Slack is the local fake; every clock is the test's. Each test runs on SQLite and
PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from cam.core import safety
from cam.core.db import unit_of_work
from cam.core.models import (
    Event,
    MailboxState,
    OutreachStatus,
    Reply,
    RuntimeState,
    SuppressionKind,
    SuppressionSource,
)
from cam.replies.event_payloads import TriageRefusal
from tests.e2e.answering import MAYA, PROSPECT, post_reply_card, set_dry_run, submit, team_bot
from tests.e2e.answering_later import (
    ABSENCE_ID,
    DUE,
    WRITTEN,
    Away,
    Clock,
    absence_mail,
    answers,
    away_card,
    card_now,
    card_ts,
    click_cancel,
    later,
    open_later,
    read_mail,
    schedulers,
    thread,
    told,
)
from tests.e2e.slack_client import APPROVER, OUTSIDER, RunningBot, blocks_of, shown
from tests.gateways.imap_server import ImapServer
from tests.gateways.smtp_server import SmtpServer
from tests.replies.prospects import add_prospect, first_message_id, reply

StartBot = Callable[..., RunningBot]
WELCOME = "Welcome back, I hope you had a good break."
RUTH = "ruth@elsewhere.example"


@pytest.fixture
def clock() -> Clock:
    return Clock(later(WRITTEN, hours=1))


@pytest.fixture
def team(
    start_bot: StartBot, plain_smtp_server: SmtpServer, tmp_path: Path, clock: Clock
) -> RunningBot:
    return team_bot(start_bot, plain_smtp_server, tmp_path, clock)


def _schedule(team: RunningBot, away: Away, *, text: str | None = None) -> dict[str, Any]:
    view = open_later(team, away, MAYA)
    assert view is not None
    ack = submit(team.slack, view, user=MAYA, text=text, view_id="V0LATER01")
    team.settle()
    return ack


def test_an_absence_in_a_conversation_gets_a_card_offering_answer_when_back(
    team: RunningBot, imap_server: ImapServer, clock: Clock
) -> None:
    card = post_reply_card(team)  # Dana said yes: her card is in the channel
    with unit_of_work(team.sessions) as session:
        add_prospect(session, RUTH)  # Ruth was written to, and never answered
    imap_server.append(absence_mail("Friday 4 December", WRITTEN))
    imap_server.append(absence_mail("Friday 4 December", WRITTEN, sender=RUTH))
    assert read_mail(team, imap_server, clock).errors == []
    with unit_of_work(team.sessions) as session:
        absence = session.scalars(select(Reply).where(Reply.message_id == ABSENCE_ID)).one()
        assert absence.return_date == date(2026, 12, 4)
        reply_id = absence.id
    ts = card_ts(team, reply_id)
    [posted] = [c for c in team.fake_slack.of("chat.postMessage") if c.params.get("thread_ts")]
    assert posted.params["thread_ts"] == card.ts  # in the conversation's thread
    shown_card = shown(blocks_of(posted))
    assert "Answer when back" in shown_card and "cam_answer_later_open" in shown_card
    assert ts != card.ts
    # Ruth's absence is only counted: the team is not talking to her.
    assert RUTH not in shown([c.params for c in team.fake_slack.of("chat.postMessage")])


def test_scheduling_says_when_in_the_leads_time_and_stores_one_answer(
    team: RunningBot, clock: Clock
) -> None:
    away = away_card(team)
    view = open_later(team, away, MAYA)
    assert view is not None
    modal = shown(view)
    assert "Answer when back" in modal and "Schedule" in modal
    assert "*Mon 7 Dec, 09:00* (lead's time, Europe/Berlin)" in modal
    assert "their return on Fri 4 Dec" in modal
    # Drafted from the snippet written for their return, signed by Maya.
    assert WELCOME in modal and "https://cal.example/maya" in modal
    text = "Hi Dana,\n\nWelcome back. <!here> Shall we talk on Tuesday?\n\nMaya"
    assert submit(team.slack, view, user=MAYA, text=text, view_id="V0LATER01") == {}
    assert submit(team.slack, view, user=MAYA, text=text, view_id="V0LATER01") == {}
    team.settle()

    [answer] = answers(team)
    assert (answer.status, answer.due_at, answer.due_zone) == (
        OutreachStatus.scheduled,
        DUE,
        "Europe/Berlin",
    )
    assert (answer.answered_by, answer.mailbox, answer.subject) == (
        MAYA,
        "maya",
        "Re: A quick question",
    )
    [note] = thread(team, away)
    assert f"Answer scheduled by <@{MAYA}> for Mon 7 Dec, 09:00 (lead's time)" in note
    assert "&lt;!here&gt;" in note and "<!here>" not in note
    card = card_now(team, away)
    assert "*Answer scheduled* by" in card and "cam_answer_cancel" in card
    assert "cam_answer_later_open" not in card
    assert team.fake_slack.violations == []


def test_two_instances_given_the_same_submission_store_one_answer(
    start_bot: StartBot, plain_smtp_server: SmtpServer, tmp_path: Path, clock: Clock
) -> None:
    first = team_bot(start_bot, plain_smtp_server, tmp_path, clock)
    second = start_bot(clock, CAM_MAILBOXES_FILE=str(tmp_path / "mailboxes.toml"))
    away = away_card(first)
    view = open_later(first, away, MAYA)
    assert view is not None
    acks: list[dict[str, Any]] = []
    threads = [
        threading.Thread(target=lambda b=bot: acks.append(submit(b.slack, view, user=MAYA)))
        for bot in (first, second, first, second)
    ]
    for each in threads:
        each.start()
    for each in threads:
        each.join(30)
    first.settle()
    second.settle()
    assert acks == [{}] * 4
    assert [a.status for a in answers(first)] == [OutreachStatus.scheduled]
    assert len(thread(first, away)) == 1


def test_the_due_answer_goes_once_from_the_owners_mailbox_in_the_thread(
    team: RunningBot, plain_smtp_server: SmtpServer, clock: Clock
) -> None:
    away = away_card(team)
    assert _schedule(team, away, text="Hi Dana, welcome back.") == {}
    one, two = schedulers(team, clock, "one", "two")
    clock.now = later(DUE, minutes=-1)  # 08:59 in Berlin: not yet
    assert one.send_due_answers() == 0 and plain_smtp_server.handler.messages == []

    clock.now = later(DUE, seconds=30)
    settled: list[int] = []
    racers = [
        threading.Thread(target=lambda s=s: settled.append(s.send_due_answers()))
        for s in (one, two, one, two)
    ]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(30)
    assert sorted(settled) == [0, 0, 0, 1]

    [mail] = plain_smtp_server.handler.messages
    message = mail.message
    assert mail.rcpt_tos == (PROSPECT,) and mail.mail_from == "maya@acme.example"
    assert message["From"] == "Maya Lind <maya@acme.example>"
    assert message["In-Reply-To"] == ABSENCE_ID
    assert message["References"] == f"{first_message_id(PROSPECT)} {ABSENCE_ID}"
    body = message.get_body(preferencelist=("plain",))
    assert body is not None and body.get_content().startswith("Hi Dana, welcome back.")
    [answer] = answers(team)
    assert answer.status is OutreachStatus.sent and answer.message_id == message["Message-ID"]
    assert answer.claimed_at == clock.now and answer.sent_at == clock.now
    assert answer.claimed_by in ("one", "two")
    went = thread(team, away)[-1]
    assert f"The answer <@{MAYA}> scheduled went out Mon 7 Dec, 09:00 (lead's time)" in went
    assert "*Answered* by" in card_now(team, away)
    with unit_of_work(team.sessions) as session:
        assert session.get_one(Reply, away.reply_id).answered_at == clock.now
    # Later passes find nothing more to send.
    clock.now = later(DUE, hours=1)
    assert one.send_due_answers() == 0 and len(plain_smtp_server.handler.messages) == 1


def test_the_time_is_the_leads_across_a_change_of_daylight_saving(
    team: RunningBot, plain_smtp_server: SmtpServer, clock: Clock
) -> None:
    # New York leaves daylight saving on Sunday 1 November 2026: Monday 09:00 is 14:00 UTC,
    # an hour later than the Friday before.
    clock.now = datetime(2026, 10, 28, 15, 0, tzinfo=UTC)
    away = away_card(
        team,
        zone="America/New_York",
        back=date(2026, 10, 30),
        written=datetime(2026, 10, 28, 14, 0, tzinfo=UTC),
    )
    view = open_later(team, away, MAYA)
    assert view is not None
    assert "*Mon 2 Nov, 09:00* (lead's time, America/New_York)" in shown(view)
    assert submit(team.slack, view, user=MAYA, view_id="V0DST0001") == {}
    team.settle()
    [answer] = answers(team)
    assert answer.due_at == datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
    assert "for Mon 2 Nov, 09:00 (lead's time)" in thread(team, away)[-1]
    [one] = schedulers(team, clock)
    clock.now = datetime(2026, 11, 2, 13, 30, tzinfo=UTC)  # 08:30 in New York
    assert one.send_due_answers() == 0
    clock.now = datetime(2026, 11, 2, 14, 0, 5, tzinfo=UTC)
    assert one.send_due_answers() == 1 and len(plain_smtp_server.handler.messages) == 1


@pytest.mark.parametrize("switch", ["cam", "mailbox"])
def test_paused_at_due_time_nothing_is_sent_and_the_thread_says_so(
    team: RunningBot, plain_smtp_server: SmtpServer, clock: Clock, switch: str
) -> None:
    away = away_card(team)
    assert _schedule(team, away) == {}
    with unit_of_work(team.sessions) as session:
        if switch == "cam":
            session.get_one(RuntimeState, 1).paused = True
        else:
            session.add(MailboxState(key="maya", paused=True, paused_by=APPROVER))
    [one] = schedulers(team, clock)
    clock.now = later(DUE, seconds=30)
    assert one.send_due_answers() == 1
    assert plain_smtp_server.handler.messages == []
    [answer] = answers(team)
    assert answer.status is OutreachStatus.skipped
    why = "CAM is paused" if switch == "cam" else "mailbox maya is paused"
    assert answer.reason is not None and why in answer.reason
    note = thread(team, away)[-1]
    assert f"<@{MAYA}>, the answer you scheduled for Mon 7 Dec, 09:00" in note
    assert "*not sent*" in note and why in note
    assert "cam_answer_later_open" in card_now(team, away)  # she may schedule again


def test_an_address_suppressed_since_is_refused_and_said(
    team: RunningBot, plain_smtp_server: SmtpServer, clock: Clock
) -> None:
    away = away_card(team)
    assert _schedule(team, away) == {}
    with unit_of_work(team.sessions) as session:
        grounds = safety.Grounds(SuppressionSource.manual, "asked by phone not to write")
        safety.suppress(session, SuppressionKind.email, PROSPECT, "asked not to write", grounds)
    [one] = schedulers(team, clock)
    clock.now = later(DUE, seconds=30)
    assert one.send_due_answers() == 1
    assert plain_smtp_server.handler.messages == []
    [answer] = answers(team)
    assert answer.status is OutreachStatus.skipped
    assert f"{PROSPECT} is suppressed email" in (answer.reason or "")
    assert f"not sent: {PROSPECT} is suppressed email" in thread(team, away)[-1]


def test_in_dry_run_at_due_time_it_is_kept_as_simulated(
    team: RunningBot, plain_smtp_server: SmtpServer, clock: Clock
) -> None:
    away = away_card(team)
    assert _schedule(team, away) == {}
    set_dry_run(team, True)
    [one] = schedulers(team, clock)
    clock.now = later(DUE, seconds=30)
    assert one.send_due_answers() == 1
    assert plain_smtp_server.handler.messages == []
    [answer] = answers(team)
    assert answer.status is OutreachStatus.simulated and answer.sent_at == clock.now
    note = thread(team, away)[-1]
    assert "would have gone out Mon 7 Dec, 09:00 (lead's time)" in note
    assert "(dry run: nothing was sent)" in note


def test_a_new_reply_from_the_lead_cancels_it_for_a_person_to_look_again(
    team: RunningBot, plain_smtp_server: SmtpServer, imap_server: ImapServer, clock: Clock
) -> None:
    away = away_card(team)
    assert _schedule(team, away) == {}
    # Dana writes again before she is back, on Wednesday 2 December.
    again = reply(PROSPECT, "Actually, could you send the pricing first?", n=2)
    imap_server.append(again.replace(b"Mon, 30 Nov 2026 08:05", b"Wed, 02 Dec 2026 09:40"))
    clock.now = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
    assert read_mail(team, imap_server, clock).errors == []
    [answer] = answers(team)
    assert (answer.status, answer.cancelled_by) == (OutreachStatus.cancelled, None)
    assert answer.cancelled_at == clock.now
    reason = "Dana Prospect wrote again on Wed 2 Dec"
    assert answer.reason == reason
    note = [n for n in thread(team, away) if "cancelled" in n][-1]
    assert f"was *cancelled*: {reason}" in note
    [one] = schedulers(team, clock)
    clock.now = later(DUE, seconds=30)
    assert one.send_due_answers() == 0 and plain_smtp_server.handler.messages == []


def test_cancel_is_refused_to_others_and_withdraws_it_for_the_owner(
    team: RunningBot, plain_smtp_server: SmtpServer, clock: Clock
) -> None:
    away = away_card(team)
    assert _schedule(team, away) == {}
    click_cancel(team, away, OUTSIDER)
    assert any(f"only <@{MAYA}> (the lead's owner), an approver" in t for t in told(team))
    click_cancel(team, away, MAYA, value='{"answer_id":1}.forged')
    assert any("not one CAM made" in t for t in told(team))
    assert [a.status for a in answers(team)] == [OutreachStatus.scheduled]
    with unit_of_work(team.sessions) as session:
        refused = session.scalars(
            select(Event.details).where(Event.name == TriageRefusal.name)
        ).all()
    assert [r["by"] for r in refused] == [OUTSIDER, MAYA]

    click_cancel(team, away, MAYA)
    [answer] = answers(team)
    assert (answer.status, answer.cancelled_by) == (OutreachStatus.cancelled, MAYA)
    assert f"was *cancelled* by <@{MAYA}>" in thread(team, away)[-1]
    card = card_now(team, away)
    assert "cam_answer_cancel" not in card and "cam_answer_later_open" in card
    [one] = schedulers(team, clock)
    clock.now = later(DUE, seconds=30)
    assert one.send_due_answers() == 0 and plain_smtp_server.handler.messages == []


def test_answer_when_back_is_for_those_who_may_answer_and_needs_a_return_date(
    team: RunningBot,
) -> None:
    away = away_card(team)
    assert open_later(team, away, OUTSIDER) is None
    assert any("Only <@U0MAYA001> (the lead's owner), an approver" in t for t in told(team))
    with unit_of_work(team.sessions) as session:
        session.get_one(Reply, away.reply_id).return_date = None
    assert open_later(team, away, MAYA) is None
    assert any("This reply names no return date" in t for t in told(team))
    assert answers(team) == []
