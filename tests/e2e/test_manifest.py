"""The app manifest is valid, and its scopes are exactly what the bot's calls need."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.ids import ActionId
from bot.payloads import ApprovalRef
from tests.e2e.seed import hot_lead_approval, linkedin_task

MANIFEST = Path(__file__).parents[2] / "manifest.yml"
# The bot scope each Web API method needs (None: no scope).
SCOPE_OF = {
    "auth.test": None,
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "views.publish": None,
}


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
    assert settings["event_subscriptions"]["bot_events"] == ["app_home_opened"]
    assert settings["socket_mode_enabled"] is False


def test_the_scopes_are_the_smallest_set_the_bot_uses(bot):
    hot_lead_approval(bot)
    linkedin_task(bot)
    bot.slack.command("run dry", response_url=bot.fake_slack.response_url())
    bot.slack.event({"type": "app_home_opened", "user": "UOUTSIDER9", "tab": "home"})
    bot.settle()
    approval_id = 1
    bot.slack.action(ActionId.approve, ApprovalRef(approval_id=approval_id).dump())
    bot.settle()

    called = {call.method for call in bot.fake_slack.calls} - {"response_url"}
    assert called <= set(SCOPE_OF), called - set(SCOPE_OF)
    needed = {"commands"} | {scope for m in called if (scope := SCOPE_OF[m]) is not None}
    assert set(manifest()["oauth_config"]["scopes"]["bot"]) == needed
