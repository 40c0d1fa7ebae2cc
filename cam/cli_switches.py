"""`cam pause [MAILBOX]`, `cam resume [MAILBOX]`, `cam dry`: the kill switches without Slack.

They write the same switches `/cam pause` and `/cam dry` do, which every send pass re-reads
before each message: a pass already sending stops before its next one. Each change is an
event naming the OS user and host, and a notification the bot posts in the report channel
when it runs (or as soon as it is back). Going live is not here: it stays a decision of two
approvers in Slack.
"""

from __future__ import annotations

import getpass
import socket
from typing import Annotated

import typer
from rich.markup import escape
from sqlalchemy.orm import Session

from cam.bootstrap import ProcessConfig, Runtime
from cam.cli_common import CliError, console, load_config
from cam.core import db, state
from cam.core.enums import NotificationTopic, SwitchAction
from cam.core.models import utcnow
from cam.core.notices import SwitchPayload, notice
from cam.outreach import sender_mailboxes

Mailbox = Annotated[
    str | None, typer.Argument(help="Only this sender mailbox (its key in the mailboxes file).")
]


def operator() -> str:
    """Name who is at the terminal: `user@host`."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def pause(mailbox: Mailbox = None) -> None:
    """Stop every cycle and send now (or one mailbox's sends); `cam resume` undoes it."""
    _switch(SwitchAction.pause, mailbox)


def resume(mailbox: Mailbox = None) -> None:
    """Let cycles and sends run on schedule again (or one paused mailbox send again)."""
    _switch(SwitchAction.resume, mailbox)


def dry() -> None:
    """Switch dry run on now: nothing more is sent for real; going live again is asked in Slack."""
    _switch(SwitchAction.dry, None)


def _switch(action: SwitchAction, mailbox: str | None) -> None:
    by = operator()
    with Runtime(load_config()) as runtime, db.unit_of_work(runtime.session_factory) as session:
        changed = _apply(session, runtime.config, action, mailbox, by)
        if changed:
            payload = SwitchPayload(action=action, mailbox=mailbox, by=by)
            session.add(notice(NotificationTopic.switch_changed, payload))
    said = _said(action, mailbox) if changed else _unchanged(action, mailbox)
    if changed:
        said += f" Recorded as done by {by}; cam-bot tells the report channel."
    console.print(escape(said))


def _apply(
    session: Session, process: ProcessConfig, action: SwitchAction, mailbox: str | None, by: str
) -> bool:
    """Change the switch; return whether it changed (its event is recorded with it)."""
    now = utcnow()
    current = state.get_state(session)
    if action is SwitchAction.dry:
        changed = not current.dry_run
        state.set_dry_run(session, dry_run=True, by=by, now=now)
        return changed
    paused = action is SwitchAction.pause
    if mailbox is None:
        changed = current.paused != paused
        state.set_paused(session, paused=paused, by=by, now=now)
        return changed
    config = process.cycle_config(current)
    if not config.mailboxes:
        raise CliError(
            f"this team sends from one mailbox (no CAM_MAILBOXES_FILE): `cam {action}` "
            f"without a mailbox {action}s it"
        )
    try:
        return sender_mailboxes.set_paused(session, config, mailbox, paused=paused, by=by)
    except sender_mailboxes.UnknownMailbox:
        keys = ", ".join(sender.key for sender in config.senders())
        raise CliError(f"no mailbox is called {mailbox!r}; the mailboxes: {keys}") from None


def _said(action: SwitchAction, mailbox: str | None) -> str:
    if action is SwitchAction.dry:
        return (
            "Switched dry run on: nothing is sent for real from now on. Going live again is "
            "asked in Slack (`/cam live`, approved by another approver)."
        )
    if mailbox is not None:
        if action is SwitchAction.pause:
            return (
                f"Paused mailbox {mailbox}: it sends nothing until `cam resume {mailbox}`; "
                "the other mailboxes go on."
            )
        return f"Resumed mailbox {mailbox}: it sends on schedule again."
    if action is SwitchAction.pause:
        return (
            "Paused CAM: no cycle runs and nothing is sent until `cam resume` (or `/cam resume`"
            "); a send in progress stops before its next message."
        )
    return "Resumed CAM: cycles and sends run on schedule again."


def _unchanged(action: SwitchAction, mailbox: str | None) -> str:
    if action is SwitchAction.dry:
        return "CAM is already in dry run: nothing is sent for real."
    what = f"Mailbox {mailbox}" if mailbox is not None else "CAM"
    return f"{what} is already {'paused' if action is SwitchAction.pause else 'running'}."
