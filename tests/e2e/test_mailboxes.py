"""A team's mailboxes in Slack: pause and resume one, its limits, over signed HTTP to the bot.

The bot runs with the example mailboxes file (`maya` and `jonas`, their passwords in the
environment); `/cam limits`, App Home and `cam limits` show each mailbox's use, cap of the
day, warm-up day and pause.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import trustme
from sqlalchemy import select
from typer.testing import CliRunner

from bot.event_payloads import CommandRefused
from cam.cli import app as cli_app
from cam.core.db import unit_of_work
from cam.core.models import Event, MailboxState, SendQuota, utcnow
from cam.core.safety import day_window, team_day
from cam.core.settings import DATA_DIR
from cam.core.state import get_state
from cam.outreach import sender_mailboxes
from tests.e2e.slack_client import APPROVER, OUTSIDER, RunningBot, shown
from tests.e2e.test_preview import plan
from tests.gateways.mailbox_team import JONAS, MAYA, running_team
from tests.gateways.smtp_server import POSTAL_ADDRESS

EXAMPLE = DATA_DIR / "mailboxes.example.toml"
PASSWORDS = {
    "MAYA_SMTP_PASSWORD": "maya-smtp-pw",
    "MAYA_IMAP_PASSWORD": "maya-imap-pw",
    "JONAS_SMTP_PASSWORD": "jonas-smtp-pw",
    "JONAS_IMAP_PASSWORD": "jonas-imap-pw",
}


@pytest.fixture
def team_bot(start_bot: Callable[..., RunningBot], monkeypatch: pytest.MonkeyPatch) -> RunningBot:
    for name, value in PASSWORDS.items():
        monkeypatch.setenv(name, value)
    return start_bot(CAM_MAILBOXES_FILE=str(EXAMPLE))


def paused(bot: RunningBot) -> set[str]:
    with unit_of_work(bot.sessions) as session:
        return sender_mailboxes.paused_keys(session)


def test_an_approver_pauses_and_resumes_one_mailbox(team_bot: RunningBot) -> None:
    # The help names the argument escaped: `<mailbox>` would be Slack markup.
    help_text = team_bot.slack.command("help", user=OUTSIDER).json["text"]
    assert "`/cam pause &lt;mailbox&gt;` / `/cam resume &lt;mailbox&gt;`" in help_text
    refused = team_bot.slack.command("pause jonas", user=OUTSIDER)
    assert "Only approvers may pause a mailbox" in refused.json["text"]
    assert paused(team_bot) == set()
    with unit_of_work(team_bot.sessions) as session:
        assert session.scalars(select(Event).where(Event.name == CommandRefused.name)).first()

    unknown = team_bot.slack.command("pause <!channel>", user=APPROVER)
    assert "No mailbox is called `&lt;!channel&gt;`" in unknown.json["text"]
    assert "`maya`, `jonas`" in unknown.json["text"] and paused(team_bot) == set()

    answer = team_bot.slack.command("pause jonas", user=APPROVER)
    assert answer.json["response_type"] == "in_channel"
    assert f"<@{APPROVER}> paused mailbox `jonas`" in answer.json["text"]
    assert "`/cam resume jonas`" in answer.json["text"]
    assert paused(team_bot) == {"jonas"}
    with unit_of_work(team_bot.sessions) as session:
        state = session.get(MailboxState, "jonas")
        assert state is not None and state.paused_by == APPROVER
    again = team_bot.slack.command("pause jonas", user=APPROVER)
    assert "already paused" in again.json["text"]

    limits = shown(team_bot.slack.command("limits", user=OUTSIDER).json)
    assert (
        "*Mailbox jonas* (jonas@acme.example) · <@U0456JONAS> · :double_vertical_bar: *paused*"
        in limits
    )
    assert "*Mailbox maya* (maya@acme.example) · <@U0123MAYA>\\n" in limits

    resumed = team_bot.slack.command("resume jonas", user=APPROVER)
    assert f"<@{APPROVER}> resumed mailbox `jonas`" in resumed.json["text"]
    assert paused(team_bot) == set()


def maya_sent_three_on_her_second_day(bot: RunningBot, today: date) -> None:
    """Maya started her ramp the day before `today` (5, then +5 a day: 10) and sent 3 on it."""
    with unit_of_work(bot.sessions) as session:
        session.merge(
            MailboxState(
                key="maya",
                paused=False,
                started_on=today - timedelta(days=1),
                updated_at=utcnow(),
            )
        )
        session.merge(SendQuota(scope="dry:mailbox:maya", window=day_window(today), used=3))


def test_limits_and_home_show_each_mailboxs_use_cap_and_warm_up_day(
    start_bot: Callable[..., RunningBot], monkeypatch: pytest.MonkeyPatch, db_url: str
) -> None:
    for name, value in PASSWORDS.items():
        monkeypatch.setenv(name, value)
    now = utcnow()
    # Today is the bot's day until the test ends, even past midnight.
    team_bot = start_bot(clock=lambda: now, CAM_MAILBOXES_FILE=str(EXAMPLE))
    maya_sent_three_on_her_second_day(team_bot, team_day(now, "UTC"))
    text = shown(team_bot.slack.command("limits", user=OUTSIDER).json)
    # Email is the team's mailboxes together (CAM_EMAIL_DAILY_CAP does not apply to them).
    assert "*Email*: 3 of 30 used today, *27 left*" in text
    assert "3 of 10 used today, *7 left*" in text
    assert "Warm-up: day 2 of the ramp" in text
    assert "0 of 20 used today, *20 left*" in text

    team_bot.slack.event({"type": "app_home_opened", "user": OUTSIDER, "tab": "home"})
    [home] = team_bot.fake_slack.wait_for("views.publish")
    assert "3 of 10 used today, *7 left*" in shown(home.params)
    assert "*Mailbox jonas* (jonas@acme.example)" in shown(home.params)

    # `cam limits` reads the wall clock's day: Maya's is set for the day it reads, again if
    # midnight came between.
    env = {"DATABASE_URL": db_url, "CAM_MAILBOXES_FILE": str(EXAMPLE), **PASSWORDS}
    while True:
        day = team_day(utcnow(), "UTC")
        maya_sent_three_on_her_second_day(team_bot, day)
        cli = CliRunner().invoke(cli_app, ["limits"], env=env)
        if team_day(utcnow(), "UTC") == day:
            break
    assert cli.exit_code == 0, cli.output
    maya = next(line for line in cli.output.splitlines() if line.strip().startswith("maya"))
    # Used/cap today, left, this hour (used/cap), warm-up day (from 0), state; the address
    # on the line below, so the table fits a narrow terminal.
    assert maya.split()[1:] == ["3/10", "7", "0/8", "1", "active"]


def test_a_team_with_one_mailbox_is_told_to_pause_cam_itself(bot: RunningBot) -> None:
    answer = bot.slack.command("pause maya", user=APPROVER)
    assert "sends from one mailbox" in answer.json["text"]
    assert paused(bot) == set()


def test_preview_shows_the_leads_mailbox_its_from_and_its_window(
    start_bot: Callable[..., RunningBot], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name, value in PASSWORDS.items():
        monkeypatch.setenv(name, value)
    # The example without its DKIM key (a path on the team's server).
    lines = EXAMPLE.read_text().splitlines()
    unsigned = tmp_path / "mailboxes.toml"
    unsigned.write_text("\n".join(line for line in lines if not line.startswith("dkim_")))
    bot = start_bot(CAM_MAILBOXES_FILE=str(unsigned), CAM_POSTAL_ADDRESS=POSTAL_ADDRESS)
    # A Wednesday, 16:45 UTC: inside the team's window (09:00-17:00), after Maya's (to 16:30).
    planned = datetime(2030, 1, 2, 16, 45, tzinfo=UTC)
    plan(bot.sessions, "ada@north.example", at=planned, mailbox="maya")
    plan(bot.sessions, "bo@south.example", at=planned, mailbox="jonas")

    maya = shown(bot.slack.command("preview ada@north.example", user=OUTSIDER).json)
    assert "*From*\\nMaya Lind &lt;maya@acme.example&gt;" in maya
    assert "*Mailbox*\\nmaya (maya@acme.example)" in maya
    thursday_0830 = datetime(2030, 1, 3, 8, 30, tzinfo=UTC)
    assert f"<!date^{int(thursday_0830.timestamp())}^" in maya

    with unit_of_work(bot.sessions) as session:
        config = bot.config.cycle_config(get_state(session))
        sender_mailboxes.set_paused(session, config, "jonas", paused=True, by=APPROVER)
    jonas = shown(bot.slack.command("preview bo@south.example", user=OUTSIDER).json)
    assert "*From*\\nJonas Berg &lt;jonas@acme.example&gt;" in jonas
    assert f"<!date^{int(planned.timestamp())}^" in jonas
    assert "its mailbox jonas is paused" in jonas


def test_cam_check_tries_each_mailbox_on_its_own_row(
    start_bot: Callable[..., RunningBot],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    smtp_ca: tuple[trustme.CA, Path],
    imap_ca: tuple[trustme.CA, Path],
) -> None:
    with running_team(smtp_ca, imap_ca, tmp_path, (MAYA, JONAS)) as team:
        for name, value in team.env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("JONAS_IMAP_PASSWORD", "not-his-password")
        bot = start_bot(CAM_MAILBOXES_FILE=str(team.file))
        url = bot.fake_slack.response_url("check")
        bot.slack.command("check", user=OUTSIDER, response_url=url)
        bot.settle()
    [answer] = bot.fake_slack.of("response_url")
    lines = shown(answer.params["blocks"]).splitlines()
    maya = next(line for line in lines if "Mailbox maya" in line)
    jonas = next(line for line in lines if "Mailbox jonas" in line)
    assert ":white_check_mark:" in maya and "SMTP: logged in to 127.0.0.1" in maya
    assert ":x:" in jonas and "IMAP:" in jonas
    assert not any("CAM_FROM" in line or "CAM_SMTP" in line for line in lines)
