"""Reply from the card: the modal, its snippet menu, and the submission that sends the answer;
Answer when back opens the same modal (its submission: `bot.listeners.answer_later`).

The modal opens in the click's ack path (a `trigger_id` lives 3 seconds). The submission is
checked again on the server (who submits, from which mailbox, the address and the mailbox
still allowed) and claimed before the ack, so a refusal shows in the modal next to its field
and a double submit finds the claim; the SMTP conversation, the thread post and the card's
update run on the worker after the ack.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from sqlalchemy.orm import Session

from bot import answer_form
from bot.blocks.answer import answer_modal, answered_post, not_sent_post
from bot.blocks.common import SlackPost
from bot.deps import Deps
from bot.ids import ActionId, CallbackId
from bot.listeners import card_messages
from bot.listeners.clicks import clicked_of, tell
from bot.payloads import AnswerRef, BadPayload, ReplyRef
from bot.request_session import in_request_session
from bot.signing import signer_of
from cam.core.config import CAMCycleConfig
from cam.core.db import unit_of_work
from cam.core.mailboxes import DEFAULT_KEY
from cam.core.models import Answer, NotificationTopic, OutreachStatus, Reply
from cam.core.notices import ThreadReplyPayload, notice
from cam.core.ports import EmailSender
from cam.replies import answering, cards


def register(app: App) -> None:
    app.action(ActionId.answer_open)(in_request_session(open_modal))
    app.action(ActionId.answer_later_open)(in_request_session(open_later_modal))
    app.action(ActionId.answer_snippet)(in_request_session(switch_snippet))
    app.view(CallbackId.answer)(in_request_session(submit))


def open_modal(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    deps: Deps,
    db_session: Session,
) -> None:
    """Reply: the answer modal, for whoever may answer the lead."""
    _open(ack, body, action, respond, deps, db_session, later=False)


def open_later_modal(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    deps: Deps,
    db_session: Session,
) -> None:
    """Answer when back: the same modal, saying when the answer will go."""
    _open(ack, body, action, respond, deps, db_session, later=True)


def _open(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    deps: Deps,
    session: Session,
    *,
    later: bool,
) -> None:
    ref = ReplyRef.parse(action.get("value"))
    clicked = clicked_of(body, respond)
    trigger = body.get("trigger_id")
    if not isinstance(trigger, str) or not trigger:
        raise BadPayload("no trigger_id to open the modal with")
    who = answer_form.who_answers(session, deps, ref.reply_id, clicked.user)
    form = None
    if who.may_answer:
        form, _config = answer_form.load_form(
            session,
            deps.config,
            reply_id=ref.reply_id,
            who=who,
            later_from=deps.clock() if later else None,
        )
    session.commit()  # the read ends before Slack is called: on SQLite it holds the write lock
    ack()
    if form is None:
        tell(deps, clicked, answer_form.not_yours(who))
        return
    deps.client.views_open(trigger_id=trigger, view=answer_modal(form))


def switch_snippet(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], deps: Deps, db_session: Session
) -> None:
    view = body.get("view") or {}
    ref = AnswerRef.parse(view.get("private_metadata"))
    selected = (action.get("selected_option") or {}).get("value")
    user = str((body.get("user") or {}).get("id") or "")
    ack()
    who = answer_form.who_answers(db_session, deps, ref.reply_id, user)
    if not who.may_answer:
        return
    later = view.get("callback_id") == CallbackId.answer_later
    form, _config = answer_form.load_form(
        db_session,
        deps.config,
        reply_id=ref.reply_id,
        who=who,
        snippet=str(selected or ""),
        mailbox=answer_form.picked_mailbox(view),
        later_from=deps.clock() if later else None,
    )
    db_session.commit()  # the read ends before Slack is called
    deps.client.views_update(view_id=view.get("id"), hash=view.get("hash"), view=answer_modal(form))


def submit(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps, db_session: Session
) -> None:
    sent = answer_form.submission(db_session, deps, body, view)
    # The claim is the engine's own transaction, all or nothing: this read ends first, or
    # SQLite would make the claim wait for this session's lock.
    db_session.commit()
    if sent.problem is not None:
        ack(**sent.errors(*sent.problem))
        return
    try:
        claimed = answering.claim(
            deps.session_factory,
            sent.config,
            sent.request(deps.settings.instance_name, deps.clock()),
        )
    except answering.AnswerRefused as refused:
        ack(**sent.errors(refused.field, refused.reason))
        return
    ack()
    if claimed is None:
        return  # submitted twice, or to a second instance: the first claim sends it
    config, reply_id = sent.config, sent.reply_id
    deps.worker.submit("answer", lambda: _send_and_show(deps, config, claimed, reply_id))


def _send_and_show(
    deps: Deps, config: CAMCycleConfig, claimed: answering.Claimed, reply_id: int
) -> None:
    """Send the claimed answer, then tell the card's thread and show the card answered."""
    answer = answering.deliver(
        deps.session_factory,
        config=config,
        gateway=_gateway(deps, claimed),
        claimed=claimed,
        now=deps.clock(),
    )
    with unit_of_work(deps.session_factory) as session:
        reply = session.get(Reply, reply_id)
        landed = reply.landed_at or reply.received_at if reply is not None else None
        went = answer.status in (OutreachStatus.sent, OutreachStatus.simulated)
        post = answered_post(answer, landed) if went else not_sent_post(answer)
        _queue_in_thread(session, reply_id, post)
        updates = card_messages.card_updates(
            session, signer=signer_of(deps.settings), reply_id=reply_id, owners=deps.owners
        )
    deps.deliver_notifications()
    for (channel, ts), card in sorted(updates.items()):
        deps.client.chat_update(channel=channel, ts=ts, text=card.text, blocks=card.blocks)


def _gateway(deps: Deps, claimed: answering.Claimed) -> EmailSender | None:
    if claimed.email is None:
        return None
    with unit_of_work(deps.session_factory) as session:
        answer = session.get(Answer, claimed.answer_id)
        key = answer.mailbox if answer is not None else DEFAULT_KEY
    return deps.gateways.sender(key)


def _queue_in_thread(session: Session, reply_id: int, post: SlackPost) -> None:
    """Queue the post in the card's thread: the notifier posts it once, in order."""
    parent = cards.card_thread(session, reply_id)
    if parent is None:
        return
    payload = ThreadReplyPayload(text=post.text, blocks=post.blocks)
    session.add(notice(NotificationTopic.thread_reply, payload, parent_id=parent))
