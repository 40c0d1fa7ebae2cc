"""`/cam reload`: an approver has the bot read its mailboxes and snippets files again."""

from __future__ import annotations

from slack_bolt import Ack
from sqlalchemy.orm import Session

from bot.blocks.common import escape
from bot.deps import Deps
from bot.listeners.invocation import EPHEMERAL, Invocation, require_approver
from bot.live_config import reload_files


def reload(invocation: Invocation, ack: Ack, deps: Deps, session: Session) -> None:
    """Read the files again; one that cannot be used is named in one line, the old ones kept."""
    require_approver(invocation, deps, session, "reload the files")
    said = reload_files(deps.config, session, by=invocation.user)
    ack(text=escape(said), response_type=EPHEMERAL)
