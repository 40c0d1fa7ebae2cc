"""Who clicked a button, and how to answer only them: shared by every listener of clicks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_bolt import Respond

from bot.deps import Deps
from bot.listeners.home import publish_home
from bot.payloads import BadPayload


@dataclass(frozen=True)
class Clicked:
    """Who clicked, and where: a channel message (channel, ts) or their App Home."""

    user: str
    channel: str | None
    ts: str | None
    respond: Respond | None

    @property
    def in_home(self) -> bool:
        return self.ts is None


def clicked_of(body: dict[str, Any], respond: Respond | None) -> Clicked:
    user = body.get("user")
    if not isinstance(user, dict) or not isinstance(user.get("id"), str):
        raise BadPayload("no user in the action")
    container = body.get("container") or {}
    if container.get("type") == "message":
        return Clicked(
            user=user["id"],
            channel=str(container.get("channel_id") or ""),
            ts=str(container.get("message_ts") or ""),
            respond=respond,
        )
    return Clicked(user=user["id"], channel=None, ts=None, respond=respond)


def tell(deps: Deps, clicked: Clicked, text: str) -> None:
    """Tell only the person who clicked: ephemeral under the message, or atop their Home."""
    if clicked.respond is not None and not clicked.in_home:
        clicked.respond(text=text, response_type="ephemeral", replace_original=False)
    else:
        publish_home(deps, clicked.user, notice=text)
