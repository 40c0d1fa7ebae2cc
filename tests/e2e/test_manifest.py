"""The app manifest is valid, and its scopes are exactly what the bot's calls need."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from bot.ids import ActionId
from bot.notifier import Notifier, notifier_client
from bot.payloads import ApprovalRef
from cam.core.db import unit_of_work
from cam.core.models import utcnow
from cam.escalation import escalations
from tests.e2e.seed import hot_lead_approval, linkedin_task
from tests.e2e.slack_client import OUTSIDER, REPORT_CHANNEL
from tests.e2e.test_slack_import import file_shared
from tests.escalation.helpers import add_lead, cycle_context

MANIFEST = Path(__file__).parents[2] / "manifest.yml"
# The bot scopes each Web API method needs (history: of a public and of a private channel).
HISTORY = ("channels:history", "groups:history")
SCOPE_OF: dict[str, tuple[str, ...]] = {
    "auth.test": (),
    "chat.postMessage": ("chat:write",),
    "chat.update": ("chat:write",),
    "chat.postEphemeral": ("chat:write",),
    "chat.getPermalink": (),
    "files.info": ("files:read",),
    "files.list": ("files:read",),
    # A shared file's bytes, fetched with the bot token from url_private_download.
    "download": ("files:read",),
    "files.getUploadURLExternal": ("files:write",),
    "files.completeUploadExternal": ("files:write",),
    # The POST of a file's bytes to the URL Slack handed out: no token, no scope.
    "upload": (),
    "views.publish": (),
    "conversations.history": HISTORY,
    "conversations.replies": HISTORY,
}


def later(**delta: float) -> Callable[[], datetime]:
    return lambda: utcnow() + timedelta(**delta)


def manifest() -> dict[str, Any]:
    loaded = yaml.safe_load(MANIFEST.read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_the_manifest_has_what_slack_requires():
    m = manifest()
    assert m["display_information"]["name"]
    assert len(m["display_information"]["description"]) <= 140
    assert m["features"]["bot_user"]["display_name"] == "cam"
    assert m["features"]["app_home"]["home_tab_enabled"] is True
    [command] = m["features"]["slash_commands"]
    assert command["command"] == "/cam"
    assert command["url"].endswith("/slack/events") and command["url"].startswith("https://")
    assert command["description"] and command["usage_hint"]
    settings = m["settings"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["interactivity"]["request_url"] == command["url"]
    assert settings["event_subscriptions"]["request_url"] == command["url"]
    assert settings["event_subscriptions"]["bot_events"] == ["app_home_opened", "file_shared"]
    assert settings["socket_mode_enabled"] is False


def test_the_scopes_are_the_smallest_set_the_bot_uses(bot):
    # A post whose answer comes too late is looked for in the channel before a retry.
    bot.fake_slack.fail("chat.postMessage", 200, delay=1.3, accept=True)
    with unit_of_work(bot.sessions) as session:
        add_lead(session, "slow@acme.example")
    escalations.escalate_hot_leads(cycle_context(bot.sessions, now=utcnow()))
    timeout = Notifier(notifier_client(bot.settings, timeout=1), bot.sessions, bot.settings)
    assert timeout.deliver_pending() == 0
    retry = Notifier(
        notifier_client(bot.settings), bot.sessions, bot.settings, clock=later(minutes=5)
    )
    assert retry.deliver_pending() == 1
    hot_lead_approval(bot)
    linkedin_task(bot)
    bot.slack.command("run dry", response_url=bot.fake_slack.response_url())
    bot.slack.command("digest", channel=REPORT_CHANNEL, response_url=bot.fake_slack.response_url())
    bot.slack.command("digest", channel=REPORT_CHANNEL, response_url=bot.fake_slack.response_url())
    bot.slack.event({"type": "app_home_opened", "user": "UOUTSIDER9", "tab": "home"})
    shared = bot.fake_slack.share_file(
        "leads.csv",
        b"email\nada@acme.example\nnot-an-email\n",
        user=OUTSIDER,
        channel=REPORT_CHANNEL,
    )
    bot.slack.event(file_shared(shared, OUTSIDER))
    bot.slack.command("import", channel=REPORT_CHANNEL, response_url=bot.fake_slack.response_url())
    bot.settle()
    approval_id = 1
    bot.slack.action(ActionId.approve, ApprovalRef(approval_id=approval_id).dump())
    bot.settle()

    called = {call.method for call in bot.fake_slack.calls} - {"response_url"}
    assert called <= set(SCOPE_OF), called - set(SCOPE_OF)
    needed = {"commands"} | {scope for method in called for scope in SCOPE_OF[method]}
    assert set(manifest()["oauth_config"]["scopes"]["bot"]) == needed
