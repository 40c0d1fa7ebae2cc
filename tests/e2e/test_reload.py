"""`/cam reload` over signed HTTP: the bot reads its mailboxes and snippets files at start and
again only when an approver asks; a file it cannot use is named and the one in use kept."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.event_payloads import CommandRefused, ConfigReloaded
from cam.core.db import unit_of_work
from cam.core.models import Event
from cam.core.settings import DATA_DIR
from tests.e2e.slack_client import APPROVER, OUTSIDER, RunningBot, shown

TEAM = """\
[[mailbox]]
key = "maya"
from = "Maya Lind <maya@acme.example>"
owner = "U0123MAYA"
daily_cap = 30

[[mailbox]]
key = "jonas"
from = "Jonas Berg <jonas@acme.example>"
owner = "U0456JONAS"
daily_cap = 20
"""
KEPT = "Not reloaded, the files in use are kept: "


@pytest.fixture
def team(start_bot: Callable[..., RunningBot], tmp_path: Path) -> tuple[RunningBot, Path]:
    """The bot with a mailboxes file (and a snippets file) of its own to edit; the file's path."""
    mailboxes, snippets = tmp_path / "mailboxes.toml", tmp_path / "snippets.toml"
    mailboxes.write_text(TEAM)
    snippets.write_text((DATA_DIR / "snippets.toml").read_text())
    bot = start_bot(CAM_MAILBOXES_FILE=str(mailboxes), CAM_SNIPPETS_FILE=str(snippets))
    return bot, mailboxes


def limits(bot: RunningBot) -> str:
    return shown(bot.slack.command("limits", user=OUTSIDER).json)


def reload(bot: RunningBot, user: str = APPROVER) -> dict[str, Any]:
    answer = bot.slack.command("reload", user=user)
    assert answer.status == 200
    reply: dict[str, Any] = answer.json
    assert reply["response_type"] == "ephemeral"
    return reply


def recorded(bot: RunningBot) -> list[dict[str, Any]]:
    with unit_of_work(bot.sessions) as session:
        rows = session.scalars(select(Event.details).where(Event.name == ConfigReloaded.name))
        return list(rows)


def test_only_an_approver_reloads(team: tuple[RunningBot, Path]) -> None:
    bot, path = team
    path.write_text(TEAM.replace("U0456JONAS", "U0789LENA"))
    assert reload(bot, OUTSIDER)["text"] == "Only approvers may reload the files."
    assert "<@U0456JONAS>" in limits(bot)
    with unit_of_work(bot.sessions) as session:
        refusal = session.scalars(select(Event.details).where(Event.name == CommandRefused.name))
        assert list(refusal) == [{"by": OUTSIDER, "action": "reload the files"}]
    assert recorded(bot) == []


def test_requests_read_no_file_and_a_reload_takes_the_new_one(
    team: tuple[RunningBot, Path],
) -> None:
    bot, path = team
    assert "<@U0456JONAS>" in limits(bot)
    # A request reads what the bot read at start, not the file: the Home is built even with
    # the file gone bad under it (a Home is computed afresh each time, never from memory).
    path.write_text("[[mailbox]\nkey = ")
    opened = bot.slack.event({"type": "app_home_opened", "user": OUTSIDER, "tab": "home"})
    assert opened.status == 200
    bot.settle()
    [home] = bot.fake_slack.of("views.publish")
    assert "Mailbox jonas" in shown(home.params["view"])

    path.write_text(TEAM.replace("U0456JONAS", "U0789LENA").replace("= 20", "= 12"))
    assert "<@U0456JONAS>" in limits(bot)
    said = reload(bot)["text"]
    assert said == "Reloaded the mailboxes file (2 mailboxes) and the snippets file."
    # The quick answer from memory follows the reload at once.
    now = limits(bot)
    assert "<@U0789LENA>" in now and "<@U0456JONAS>" not in now
    assert recorded(bot) == [{"by": APPROVER, "mailboxes": 2}]


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (
            ("daily_cap = 20", "daly_cap = 20"),
            "line 11: mailbox.1.daly_cap: unknown key 'daly_cap': did you mean 'daily_cap'?",
        ),
        (
            ('key = "jonas"', 'key = "lena"'),
            "mailboxes added or removed (jonas, lena) take a restart of cam-bot",
        ),
        (
            ("jonas@acme.example", "jonas@other.example"),
            "mailbox 'jonas' has a new From, Reply-To, SMTP, IMAP or DKIM setting, which takes "
            "a restart of cam-bot",
        ),
    ],
    ids=["misspelt key", "mailbox renamed", "new From"],
)
def test_a_mailboxes_file_that_cannot_be_used_is_named_and_the_old_one_kept(
    team: tuple[RunningBot, Path], change: tuple[str, str], why: str
) -> None:
    bot, path = team
    old, new = change
    path.write_text(TEAM.replace("U0456JONAS", "U0789LENA").replace(old, new))
    said = reload(bot)["text"]
    assert said.startswith(KEPT) and said.endswith(why), said
    assert "\n" not in said
    assert "<@U0456JONAS>" in limits(bot)
    [event] = recorded(bot)
    assert event["by"] == APPROVER and event["error"] == said.removeprefix(KEPT)


def test_a_snippets_file_that_cannot_be_used_keeps_both_files(
    team: tuple[RunningBot, Path], tmp_path: Path
) -> None:
    bot, path = team
    path.write_text(TEAM.replace("U0456JONAS", "U0789LENA"))
    (tmp_path / "snippets.toml").write_text('[[snippet]]\nclass = "keen"\n')
    said = reload(bot)["text"]
    assert said.startswith(f"{KEPT}invalid snippets file") and "line 2: " in said, said
    assert "<@U0456JONAS>" in limits(bot)
