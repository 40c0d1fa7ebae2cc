"""Every `/cam` subcommand, sent as Slack sends it, and what comes back."""

from __future__ import annotations

import json
from collections.abc import Callable

from sqlalchemy import select

from bot.event_payloads import CommandRefused
from cam.core.db import unit_of_work
from cam.core.enums import SendMode
from cam.core.event_payloads import StateChanged
from cam.core.models import (
    Channel,
    CycleRun,
    Event,
    Lead,
    OutreachMessage,
    OutreachStatus,
    SendQuota,
    Suppression,
    SuppressionKind,
    utcnow,
)
from cam.core.safety import channel_scope, day_window, team_day
from cam.core.state import get_state, set_dry_run, set_paused
from tests.e2e.slack_client import (
    APPROVER,
    OUTSIDER,
    REPORT_CHANNEL,
    RunningBot,
    blocks_of,
    shown,
)


def add_leads(sessions, n: int) -> None:
    with unit_of_work(sessions) as session:
        session.add_all(
            Lead(
                email=f"lead{i}@company{i}.example",
                first_name=f"Lead{i}",
                last_name="Example",
                company=f"Company {i}",
                title="VP Sales",
                domain=f"company{i}.example",
            )
            for i in range(n)
        )


def test_help_and_anything_unknown_get_the_list_of_commands(bot):
    for text in ("help", "", "fly me to the moon"):
        reply = bot.slack.command(text, user=OUTSIDER)
        assert reply.status == 200
        assert reply.json["response_type"] == "ephemeral"
        assert "`/cam run dry`" in reply.json["text"] and "`/cam pause`" in reply.json["text"]
    assert "I do not know `/cam fly me to the moon`" in reply.json["text"]


def test_limits_show_caps_use_and_room(start_bot: Callable[..., RunningBot]) -> None:
    now = utcnow()
    bot = start_bot(clock=lambda: now)  # today is the bot's day until the test ends
    with unit_of_work(bot.sessions) as session:
        day = team_day(now, "UTC")
        session.add(
            SendQuota(
                scope=channel_scope(SendMode.dry, Channel.email), window=day_window(day), used=7
            )
        )
        session.add(Suppression(kind=SuppressionKind.email, value="gone@x.example"))
    reply = bot.slack.command("limits", user=OUTSIDER)
    assert reply.status == 200 and reply.json["response_type"] == "ephemeral"
    text = shown(reply.json)
    assert "*Email*: 7 of 20 used today, *13 left*" in text
    assert "*LinkedIn*: 0 of 10 used today, *10 left*" in text
    assert "*Per domain*\\n3 a day" in text and "*Suppressed*\\n1" in text
    assert "Mon to Fri 09:00 to 17:00" in text


def test_run_dry_acks_at_once_then_posts_the_report_and_answers(bot):
    add_leads(bot.sessions, 5)
    url = bot.fake_slack.response_url("run")
    reply = bot.slack.command("run dry", user=OUTSIDER, response_url=url)
    assert reply.status == 200
    assert reply.json["text"].startswith("Running a dry-run cycle")
    bot.settle()

    [report] = bot.fake_slack.of("chat.postMessage")
    assert report.params["channel"] == REPORT_CHANNEL
    blocks = blocks_of(report)
    assert blocks[0]["type"] == "header" and "DRY RUN" in blocks[0]["text"]["text"]
    assert f"run by <@{OUTSIDER}>" in json.dumps(blocks)
    [answer] = bot.fake_slack.of("response_url")
    assert answer.params["text"].startswith("Dry run cycle done: 5 leads processed")
    with unit_of_work(bot.sessions) as session:
        run = session.scalars(select(CycleRun)).one()
        assert run.dry_run and run.trigger == f"slack:{OUTSIDER}"
    assert bot.fake_slack.violations == []


def test_a_failing_cycle_reports_its_errors_in_the_thread(start_bot, tmp_path):
    bot = start_bot(CAM_CAMPAIGN_FILE=str(tmp_path / "missing.toml"))
    add_leads(bot.sessions, 3)
    bot.slack.command("run dry", response_url=bot.fake_slack.response_url("run"))
    bot.settle()
    report, thread = bot.fake_slack.wait_for("chat.postMessage", 2)
    assert "thread_ts" not in report.params and thread.params["thread_ts"]
    assert "errors: see the thread" in shown(blocks_of(report))
    assert "missing.toml" in shown(blocks_of(thread))
    assert bot.fake_slack.violations == []


def test_run_live_is_refused_until_going_live_was_approved(bot):
    reply = bot.slack.command("run", user=APPROVER)
    assert reply.status == 200
    assert "going live has not been approved" in reply.json["text"]
    assert "`/cam live`" in reply.json["text"]
    bot.settle()
    with unit_of_work(bot.sessions) as session:
        assert session.scalars(select(CycleRun)).all() == []


def test_run_live_once_live_runs_a_live_cycle(bot):
    with unit_of_work(bot.sessions) as session:
        set_dry_run(session, dry_run=False, by=APPROVER)
    reply = bot.slack.command("run", user=APPROVER, response_url=bot.fake_slack.response_url())
    assert reply.json["text"].startswith("Running a live cycle")
    bot.settle()
    [report] = bot.fake_slack.of("chat.postMessage")
    assert "LIVE" in blocks_of(report)[0]["text"]["text"]
    with unit_of_work(bot.sessions) as session:
        assert session.scalars(select(CycleRun.dry_run)).one() is False


def test_nothing_runs_while_paused(bot):
    with unit_of_work(bot.sessions) as session:
        set_paused(session, paused=True, by=APPROVER)
    reply = bot.slack.command("run dry", user=APPROVER)
    assert "paused" in reply.json["text"] and "`/cam resume`" in reply.json["text"]
    bot.settle()
    assert bot.fake_slack.of("chat.postMessage") == []


def test_pause_and_resume_by_an_approver_are_announced_and_logged(bot):
    paused = bot.slack.command("pause", user=APPROVER)
    assert paused.json["response_type"] == "in_channel"
    assert f"<@{APPROVER}> paused CAM" in paused.json["text"]
    with unit_of_work(bot.sessions) as session:
        assert get_state(session).paused is True
    status = bot.slack.command("status", user=OUTSIDER)
    assert status.json["blocks"][0]["text"]["text"] == "CAM status · DRY RUN · PAUSED"

    resumed = bot.slack.command("resume", user=APPROVER)
    assert f"<@{APPROVER}> resumed CAM" in resumed.json["text"]
    with unit_of_work(bot.sessions) as session:
        assert get_state(session).paused is False
        changes = session.scalars(select(Event).where(Event.name == StateChanged.name))
        assert [(e.details["by"], e.details["paused"]) for e in changes] == [
            (APPROVER, True),
            (APPROVER, False),
        ]


def test_only_approvers_flip_switches_and_refusals_are_logged(bot):
    with unit_of_work(bot.sessions) as session:
        set_dry_run(session, dry_run=False, by=APPROVER)
    for verb in ("pause", "resume", "dry"):
        reply = bot.slack.command(verb, user=OUTSIDER)
        assert reply.status == 200 and reply.json["response_type"] == "ephemeral"
        assert reply.json["text"].startswith("Only approvers may")
    with unit_of_work(bot.sessions) as session:
        state = get_state(session)
        assert state.dry_run is False and state.paused is False
        refused = session.scalars(select(Event).where(Event.name == CommandRefused.name))
        assert [e.details["by"] for e in refused] == [OUTSIDER] * 3


def test_dry_switches_back_at_once(bot):
    with unit_of_work(bot.sessions) as session:
        set_dry_run(session, dry_run=False, by=APPROVER)
    reply = bot.slack.command("dry", user=APPROVER)
    assert reply.json["response_type"] == "in_channel"
    assert "switched dry run on" in reply.json["text"]
    with unit_of_work(bot.sessions) as session:
        assert get_state(session).dry_run is True


def test_status_shows_last_run_waiting_approvals_and_unknown_outcomes(start_bot, ready_to_go_live):
    bot = start_bot(**ready_to_go_live)
    add_leads(bot.sessions, 2)
    bot.slack.command("run dry", response_url=bot.fake_slack.response_url())
    bot.settle()
    bot.slack.command("live", user=APPROVER)
    bot.settle()
    with unit_of_work(bot.sessions) as session:
        lead_id = session.scalars(select(Lead.id)).first()
        campaign_id = session.scalars(select(OutreachMessage.campaign_id)).first()
        if campaign_id is not None:
            session.add(
                OutreachMessage(
                    lead_id=lead_id,
                    campaign_id=campaign_id,
                    step=99,
                    channel=Channel.email,
                    scheduled_at=utcnow(),
                    status=OutreachStatus.unknown,
                )
            )
    reply = bot.slack.command("status", user=OUTSIDER)
    text = shown(reply.json)
    assert reply.json["response_type"] == "ephemeral"
    assert "*Last run* (dry run," in text and "2 leads processed" in text
    assert (
        "*Waiting for approval*\\n1" in text
        and f"Start sending emails for real, asked by <@{APPROVER}>" in text
    )
    if campaign_id is not None:
        assert "1 sends with unknown outcome" in text
