"""What every `/cam` subcommand is handed, and the checks and answers they share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from slack_bolt import Ack, Respond
from sqlalchemy.orm import Session

from bot.blocks.common import SlackPost
from bot.deps import Deps
from bot.errors import refused
from bot.event_payloads import CommandRefused

EPHEMERAL = "ephemeral"


@dataclass(frozen=True)
class Invocation:
    """One `/cam` call: who asked, where, and the words after the verb."""

    user: str
    channel: str
    args: list[str]
    # None only when Slack sent no response_url.
    respond: Respond | None
    # The words after the verb as typed (args are lower case).
    text: str = ""

    def answer_later(self, text: str) -> None:
        """Answer after the ack, through `response_url`, to the one who asked."""
        if self.respond is not None:
            self.respond(text=text, response_type=EPHEMERAL, replace_original=False)


# The last argument is the request's session (bot/request_session.py): never hand it to the worker.
Subcommand = Callable[[Invocation, Ack, Deps, Session], None]


def show(invocation: Invocation, post: SlackPost) -> None:
    """Show `post` after the ack, only to the one who asked."""
    if invocation.respond is not None:
        invocation.respond(
            text=post.text, blocks=post.blocks, response_type=EPHEMERAL, replace_original=False
        )


def require_approver(invocation: Invocation, deps: Deps, session: Session, what: str) -> None:
    """Refuse (and record the attempt) unless the user is one of the approvers."""
    if invocation.user in deps.settings.approver_ids:
        return
    event = CommandRefused(by=invocation.user, action=what)
    raise refused(session, event, f"Only approvers may {what}.")
