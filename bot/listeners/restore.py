"""`/cam restore <email> <reason>`: lift a machine's or the team's suppression, approvers only.

The command only shows, to the approver alone, what the suppression rests on and asks to
confirm; the click is a second signed request, checked again on the server (an approver, a
restorable source), so Slack's client-side dialog is never the only guard. Restoring records
who and why as an event; the sequence resumes only with "Restore and resume sequence".
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from sqlalchemy.orm import Session

from bot.blocks.common import SlackPost, escape
from bot.blocks.restore import restore_confirm_post
from bot.deps import Deps
from bot.errors import Refused, user_message
from bot.event_payloads import CommandRefused
from bot.ids import ActionId
from bot.listeners.clicks import Clicked, clicked_of
from bot.payloads import RestoreRef
from cam.core import events
from cam.core.db import unit_of_work
from cam.replies import suppressions

USAGE = (
    "`/cam restore &lt;email&gt; &lt;why&gt;`: say which address, and why it may be contacted "
    "again."
)


def register(app: App) -> None:
    app.action(ActionId.restore_confirm)(confirm)
    app.action(ActionId.restore_resume)(confirm)
    app.action(ActionId.restore_cancel)(cancel)


def confirm_step(session: Session, text: str) -> SlackPost:
    """The ephemeral confirm step for `<email> <reason>`, or a message saying what is wrong."""
    email, _, reason = text.strip().partition(" ")
    # Slack may send an address as a link: <mailto:ada@acme.com|ada@acme.com>.
    email = email.strip("<>").split("|")[-1].removeprefix("mailto:")
    if not email or not reason.strip():
        return SlackPost(text=USAGE, blocks=[])
    rows = [r for r in suppressions.ledger(session, email=email) if r.value == email.lower()]
    if not rows:
        return SlackPost(text=f"{escape(email)} is not suppressed: nothing to restore.", blocks=[])
    return restore_confirm_post(rows[0], reason.strip()[:500])


def confirm(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, deps: Deps
) -> None:
    ref = RestoreRef.parse(action.get("value"))
    clicked = clicked_of(body, respond)
    resume = action.get("action_id") == ActionId.restore_resume
    ack()
    deps.worker.submit(
        "restore",
        lambda: _restore(deps, clicked, ref, resume=resume),
        on_error=lambda error: _answer(clicked, user_message(error)),
    )


def cancel(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
    ack()
    _answer(clicked_of(body, respond), "Cancelled: nothing restored.")


def _restore(deps: Deps, clicked: Clicked, ref: RestoreRef, *, resume: bool) -> None:
    if clicked.user not in deps.settings.approver_ids:
        with unit_of_work(deps.session_factory) as session:
            events.record(session, CommandRefused(by=clicked.user, action=f"restore {ref.email}"))
        raise Refused("Only approvers may restore a suppressed address.")
    with unit_of_work(deps.session_factory) as session:
        done = suppressions.restore(
            session,
            email=ref.email,
            reason=ref.reason,
            by=clicked.user,
            now=deps.clock(),
            resume=resume,
        )
    what = "its sequence resumes" if done.resumed else "its sequence stays stopped"
    _answer(clicked, f"Restored {escape(done.email)} ({done.source.value}): {what}.")


def _answer(clicked: Clicked, text: str) -> None:
    """Replace the ephemeral confirm step with the outcome."""
    if clicked.respond is not None:
        clicked.respond(text=text, response_type="ephemeral", replace_original=True)
