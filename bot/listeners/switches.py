"""`/cam` subcommands that switch what CAM may do: check, live, dry, pause, resume, restore.

Each but `check` is for approvers; going live also waits for a second approver's click.
"""

from __future__ import annotations

from slack_bolt import Ack
from sqlalchemy.orm import Session

from bot.blocks.common import escape
from bot.blocks.preflight import preflight_post
from bot.deps import Deps
from bot.errors import Refused, user_message
from bot.listeners import restore as restore_step
from bot.listeners.invocation import EPHEMERAL, Invocation, require_approver, show
from bot.preflight import bot_preflight
from cam.core import state
from cam.core.db import unit_of_work
from cam.escalation import go_live as go_live_requests
from cam.outreach import sender_mailboxes

CHECKING = "Checking what sending for real needs (mail servers, CRM, Slack)… the list follows."


def check(invocation: Invocation, ack: Ack, deps: Deps, session: Session) -> None:
    """List privately what sending for real needs and what is missing (after the ack)."""
    ack(text=CHECKING, response_type=EPHEMERAL)
    deps.worker.submit(
        "check",
        lambda: show(invocation, preflight_post(bot_preflight(deps))),
        on_error=lambda error: invocation.answer_later(user_message(error)),
    )


def go_live(invocation: Invocation, ack: Ack, deps: Deps, session: Session) -> None:
    """Ask to switch dry run off once the preflight passes; another approver decides."""
    require_approver(invocation, deps, session, "ask to go live")
    live = not state.get_state(session).dry_run
    session.commit()  # before the worker's job, which asks in its own transaction
    if live:
        ack(
            text="Emails are already going out for real. `/cam dry` stops that.",
            response_type=EPHEMERAL,
        )
        return
    ack(text=CHECKING, response_type=EPHEMERAL)
    deps.worker.submit(
        "go-live",
        lambda: _ask_to_go_live(invocation, deps),
        on_error=lambda error: invocation.answer_later(user_message(error)),
    )


def _ask_to_go_live(invocation: Invocation, deps: Deps) -> None:
    preflight = bot_preflight(deps)
    if not preflight.ready:
        show(invocation, preflight_post(preflight, asked_to_go_live=True))
        return
    now = deps.clock()
    with unit_of_work(deps.session_factory) as session:
        approval = go_live_requests.request_go_live(session, requested_by=invocation.user, now=now)
        asked_now = approval.requested_at == now
    channel = f"<#{deps.settings.report_channel}>"
    if not asked_now:
        invocation.answer_later(f"Going live is already waiting for an approver in {channel}.")
        return
    if invocation.respond is not None:
        invocation.respond(
            text=f"<@{invocation.user}> asked to start sending for real: every check passed. "
            f"Another approver can approve it in {channel} within 24 hours.",
            response_type="in_channel",
            replace_original=False,
        )
    deps.deliver_notifications()


def go_dry(invocation: Invocation, ack: Ack, deps: Deps, session: Session) -> None:
    require_approver(invocation, deps, session, "switch dry run on")
    state.set_dry_run(session, dry_run=True, by=invocation.user, now=deps.clock())
    ack(
        text=f"<@{invocation.user}> switched dry run on: nothing is sent from now on.",
        response_type="in_channel",
    )


def pause(invocation: Invocation, ack: Ack, deps: Deps, session: Session) -> None:
    _set_paused(invocation, ack, deps, session, paused=True)


def resume(invocation: Invocation, ack: Ack, deps: Deps, session: Session) -> None:
    _set_paused(invocation, ack, deps, session, paused=False)


def _set_paused(
    invocation: Invocation, ack: Ack, deps: Deps, session: Session, *, paused: bool
) -> None:
    if invocation.args:
        _set_mailbox_paused(invocation, ack, deps, session, paused=paused)
        return
    require_approver(invocation, deps, session, "pause CAM" if paused else "resume CAM")
    state.set_paused(session, paused=paused, by=invocation.user, now=deps.clock())
    text = (
        "paused CAM: no cycle runs and nothing is sent until `/cam resume`."
        if paused
        else "resumed CAM: cycles and sends run on schedule again."
    )
    ack(text=f"<@{invocation.user}> {text}", response_type="in_channel")


def _set_mailbox_paused(
    invocation: Invocation, ack: Ack, deps: Deps, session: Session, *, paused: bool
) -> None:
    """Pause or resume one sender mailbox; the others go on sending."""
    key = invocation.args[0]
    verb = "pause" if paused else "resume"
    require_approver(invocation, deps, session, f"{verb} a mailbox")
    config = deps.config.cycle_config(state.get_state(session))
    keys = [sender.key for sender in config.senders()]
    if not config.mailboxes:
        raise Refused(f"This team sends from one mailbox: `/cam {verb}` alone {verb}s it.")
    try:
        changed = sender_mailboxes.set_paused(
            session, config, key, paused=paused, by=invocation.user
        )
    except sender_mailboxes.UnknownMailbox:
        named = ", ".join(f"`{known}`" for known in keys)
        unknown = f"No mailbox is called `{escape(key[:40])}`. The mailboxes: {named}."
        raise Refused(unknown) from None
    if not changed:
        already = "paused" if paused else "sending"
        ack(text=f"Mailbox `{key}` is already {already}.", response_type=EPHEMERAL)
        return
    text = (
        f"paused mailbox `{key}`: it sends nothing until `/cam resume {key}`; "
        "the other mailboxes go on."
        if paused
        else f"resumed mailbox `{key}`: it sends on schedule again."
    )
    ack(text=f"<@{invocation.user}> {text}", response_type="in_channel")


def restore(invocation: Invocation, ack: Ack, deps: Deps, session: Session) -> None:
    """Show an approver, alone, what restoring an address lifts; its buttons do it."""
    require_approver(invocation, deps, session, "restore a suppressed address")
    post = restore_step.confirm_step(session, invocation.text)
    ack(text=post.text, blocks=post.blocks or None, response_type=EPHEMERAL)
