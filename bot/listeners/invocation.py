"""What every `/cam` subcommand is handed, and the checks and answers they share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from slack_bolt import Ack, Respond

from bot.blocks.common import SlackPost
from bot.deps import Deps
from bot.errors import Refused
from bot.event_payloads import CommandRefused
from cam.core import events
from cam.core.db import unit_of_work

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


Subcommand = Callable[[Invocation, Ack, Deps], None]


def show(invocation: Invocation, post: SlackPost) -> None:
    """Show `post` after the ack, only to the one who asked."""
    if invocation.respond is not None:
        invocation.respond(
            text=post.text, blocks=post.blocks, response_type=EPHEMERAL, replace_original=False
        )


def require_approver(invocation: Invocation, deps: Deps, what: str) -> None:
    """Refuse (and log the attempt) unless the user is one of the approvers."""
    if invocation.user in deps.settings.approver_ids:
        return
    with unit_of_work(deps.session_factory) as session:
        events.record(session, CommandRefused(by=invocation.user, action=what))
    raise Refused(f"Only approvers may {what}.")
