"""The go-live preflight as the bot runs it: the engine's checks plus Slack's `auth.test`."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.deps import Deps
from cam.preflight import CheckStatus, Preflight, PreflightItem, run_preflight

SLACK_ITEM = "Slack (SLACK_BOT_TOKEN)"


def bot_preflight(deps: Deps) -> Preflight:
    """Run every check going live needs; slow (mail servers are asked), so run it after an ack."""
    mailboxes = deps.config.process.mailboxes
    return run_preflight(deps.settings, mailboxes, extra=[lambda: slack_item(deps.client)])


def slack_item(client: WebClient) -> PreflightItem:
    """Ask Slack who the token belongs to: reports and approvals depend on it."""
    try:
        answer = client.auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error", f"HTTP {exc.response.status_code}")
        return _failed(f"Slack refused the token: {error}")
    except OSError as exc:
        return _failed(f"Slack cannot be reached ({type(exc).__name__})")
    team = answer.get("team") or answer.get("team_id") or "the workspace"
    return PreflightItem(
        name=SLACK_ITEM, status=CheckStatus.ok, detail=f"the bot is signed in to {team}"
    )


def _failed(detail: str) -> PreflightItem:
    return PreflightItem(name=SLACK_ITEM, status=CheckStatus.failed, detail=detail)
