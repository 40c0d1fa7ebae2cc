"""Answer when back: the submission that schedules the answer, and the card's Cancel.

The submission is checked as Reply's is (who submits, from which mailbox, the text, what would
refuse it now) and stored before the ack, so a refusal shows in the modal next to its field and
a double submit, or the same submission at a second instance, finds the row. The card's thread
and the card itself learn of it through the notifier (`scheduled_answer`).

Cancel carries a signed value naming the answer its card showed; it counts only from a card of
that answer's reply, and from the lead's owner, an approver or whoever scheduled it (checked on
the server, a refusal recorded as an event). The answer is withdrawn once however often it is
clicked; a click after it went only says what became of it.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from sqlalchemy.orm import Session

from bot import answer_form, queries
from bot.deps import Deps
from bot.errors import user_message
from bot.ids import ActionId, CallbackId
from bot.listeners import card_messages
from bot.listeners.clicks import Clicked, clicked_of, tell
from bot.payloads import BadPayload, ScheduledRef
from bot.request_session import in_request_session
from bot.signing import signer_of
from cam.core.db import unit_of_work
from cam.core.models import Answer, Lead
from cam.replies import answer_later, triage
from cam.replies.answering import AnswerRefused

CANCEL = "answer_cancel"


def register(app: App) -> None:
    app.view(CallbackId.answer_later)(in_request_session(submit))
    app.action(ActionId.answer_cancel)(cancel)


def submit(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps, db_session: Session
) -> None:
    sent = answer_form.submission(db_session, deps, body, view)
    db_session.commit()  # scheduling is the engine's own transaction: this read ends first
    if sent.problem is not None:
        ack(**sent.errors(*sent.problem))
        return
    try:
        scheduled = answer_later.schedule(
            deps.session_factory,
            sent.config,
            sent.request(deps.settings.instance_name, deps.clock()),
        )
    except AnswerRefused as refused:
        ack(**sent.errors(refused.field, refused.reason))
        return
    ack()
    if scheduled is not None:  # else submitted twice: the first one is stored and told
        deps.worker.submit("answer_later", lambda: _tell_thread(deps))


def _tell_thread(deps: Deps) -> None:
    """Post the news in the card's thread now; the notifier then shows it on the card."""
    deps.deliver_notifications()


def cancel(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, deps: Deps
) -> None:
    clicked = clicked_of(body, respond)
    ack()
    deps.worker.submit(
        CANCEL,
        lambda: _cancel(deps, clicked, action.get("value")),
        on_error=lambda error: tell(deps, clicked, user_message(error)),
    )


def _cancel(deps: Deps, clicked: Clicked, value: object) -> None:
    sessions = deps.session_factory
    try:
        ref = signer_of(deps.settings).read(value, ScheduledRef)
    except BadPayload as exc:
        forged = f"that button is not one CAM made ({exc})"
        raise triage.refused(
            sessions, reply_id=None, by=clicked.user, action=CANCEL, why=forged
        ) from None
    with unit_of_work(sessions) as session:
        answer = session.get(Answer, ref.answer_id)
        if answer is None:
            raise triage.UnknownReply(f"no answer with id {ref.answer_id}")
        why = _refusal(session, deps, clicked, answer)
        reply_id, status = answer.reply_id, answer.status
    if why is not None:
        raise triage.refused(sessions, reply_id=reply_id, by=clicked.user, action=CANCEL, why=why)
    cancelled = answer_later.cancel(
        sessions, answer_id=ref.answer_id, by=clicked.user, now=deps.clock()
    )
    if cancelled is None:
        tell(deps, clicked, f"That answer is no longer scheduled: it is {status.value}.")
        card_messages.show_answer(
            deps.client, sessions, signer_of(deps.settings), deps.owners, ref.answer_id
        )
        return
    deps.deliver_notifications()


def _refusal(session: Session, deps: Deps, clicked: Clicked, answer: Answer) -> str | None:
    """Why this click may not cancel the answer: another card's button, or not theirs."""
    places = card_messages.card_places(session, answer.reply_id)
    if clicked.channel not in {channel for channel, _ts in places}:
        return "scheduled answers are cancelled on their card, in the report channel"
    shown = card_messages.card_at(session, clicked.channel or "", clicked.ts or "")
    if shown is not None and shown != answer.reply_id:
        return "that button belongs to another card"
    lead = session.get(Lead, answer.lead_id) if answer.lead_id is not None else None
    owner = queries.owner_of(lead, deps.owners)
    if answer_later.may_cancel(
        clicked.user,
        owner=owner,
        approvers=deps.settings.approver_ids,
        scheduled_by=answer.answered_by,
    ):
        return None
    whose = f"<@{owner}> (the lead's owner)" if owner else "the lead's owner"
    return f"only {whose}, an approver or <@{answer.answered_by}> may cancel this answer"
