"""Reply from the card: the modal, its snippet menu, and the submission that sends the answer.

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

from bot import queries
from bot.answer_form import Answerer, answerer, load_form, reply_and_lead
from bot.blocks.answer import answer_modal, answered_post, not_sent_post
from bot.blocks.common import SlackPost
from bot.deps import Deps
from bot.ids import ActionId, BlockId, CallbackId
from bot.listeners import card_messages
from bot.listeners.clicks import clicked_of, tell
from bot.payloads import AnswerRef, BadPayload, ReplyRef
from bot.signing import signer_of
from cam.bootstrap import cycle_config
from cam.core.config import CAMCycleConfig
from cam.core.db import unit_of_work
from cam.core.mailboxes import DEFAULT_KEY
from cam.core.models import Answer, NotificationTopic, OutreachStatus, Reply
from cam.core.notices import ThreadReplyPayload, notice
from cam.core.ports import EmailSender
from cam.core.state import get_state
from cam.replies import answering


def register(app: App) -> None:
    app.action(ActionId.answer_open)(open_modal)
    app.action(ActionId.answer_snippet)(switch_snippet)
    app.view(CallbackId.answer)(submit)


def open_modal(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, deps: Deps
) -> None:
    ref = ReplyRef.parse(action.get("value"))
    clicked = clicked_of(body, respond)
    trigger = body.get("trigger_id")
    if not isinstance(trigger, str) or not trigger:
        raise BadPayload("no trigger_id to open the modal with")
    with unit_of_work(deps.session_factory) as session:
        who = _who(session, deps, ref.reply_id, clicked.user)
        if not who.may_answer:
            ack()
            tell(deps, clicked, _not_yours(who))
            return
        form, _config = load_form(session, deps.settings, reply_id=ref.reply_id, who=who)
    ack()
    deps.client.views_open(trigger_id=trigger, view=answer_modal(form))


def switch_snippet(ack: Ack, body: dict[str, Any], action: dict[str, Any], deps: Deps) -> None:
    view = body.get("view") or {}
    ref = AnswerRef.parse(view.get("private_metadata"))
    selected = (action.get("selected_option") or {}).get("value")
    user = str((body.get("user") or {}).get("id") or "")
    ack()
    with unit_of_work(deps.session_factory) as session:
        who = _who(session, deps, ref.reply_id, user)
        if not who.may_answer:
            return
        form, _config = load_form(
            session,
            deps.settings,
            reply_id=ref.reply_id,
            who=who,
            snippet=str(selected or ""),
            mailbox=_picked_mailbox(view),
        )
    deps.client.views_update(view_id=view.get("id"), hash=view.get("hash"), view=answer_modal(form))


def submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps) -> None:
    ref = AnswerRef.parse(view.get("private_metadata"))
    user = str((body.get("user") or {}).get("id") or "")
    view_id = view.get("id")
    if not isinstance(view_id, str) or not view_id:
        raise BadPayload("a modal without its id")
    body_block, text = _body_of(view)
    with unit_of_work(deps.session_factory) as session:
        _reply, lead = reply_and_lead(session, ref.reply_id)
        who = _who(session, deps, ref.reply_id, user)
        own = lead.mailbox or DEFAULT_KEY
        config = cycle_config(deps.settings, get_state(session))
    mailbox = _picked_mailbox(view) or own
    # A refusal is shown next to its field; without a mailbox menu, next to the answer.
    field_of = {"body": body_block, "mailbox": body_block}
    if who.may_pick_mailbox:
        field_of["mailbox"] = BlockId.answer_mailbox.value
    problem = _problem(who, mailbox, own, text)
    if problem is not None:
        ack(response_action="errors", errors={field_of[problem[0]]: problem[1]})
        return
    try:
        claimed = answering.claim(
            deps.session_factory,
            config=config,
            request_key=view_id,
            reply_id=ref.reply_id,
            mailbox=mailbox,
            body=text,
            by=user,
            instance=deps.settings.instance_name,
            now=deps.clock(),
        )
    except answering.AnswerRefused as refused:
        ack(response_action="errors", errors={field_of[refused.field]: refused.reason})
        return
    ack()
    if claimed is None:
        return  # submitted twice, or to a second instance: the first claim sends it
    deps.worker.submit("answer", lambda: _send_and_show(deps, config, claimed, ref.reply_id))


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
    parent = queries.card_thread(session, reply_id)
    if parent is None:
        return
    payload = ThreadReplyPayload(text=post.text, blocks=post.blocks)
    session.add(notice(NotificationTopic.thread_reply, payload, parent_id=parent))


def _who(session: Session, deps: Deps, reply_id: int, user: str) -> Answerer:
    _reply, lead = reply_and_lead(session, reply_id)
    return answerer(deps.settings, user, queries.owner_of(lead, deps.owners))


def _not_yours(who: Answerer) -> str:
    owner = f"<@{who.owner}> (the lead's owner)" if who.owner else "the lead's owner"
    return f"Only {owner}, an approver or a responder (CAM_RESPONDERS) may answer this lead."


def _problem(who: Answerer, mailbox: str, own: str, text: str) -> tuple[str, str] | None:
    """What the server refuses before claiming: who submits, the mailbox, an empty answer."""
    if not who.may_answer:
        return "body", _not_yours(who).replace("<@", "@").replace(">", "")
    if mailbox != own and not who.may_pick_mailbox:
        return "mailbox", f"only approvers may answer from another mailbox than {own}"
    if not text.strip():
        return "body", "write an answer first"
    return None


def _body_of(view: dict[str, Any]) -> tuple[str, str]:
    """The answer's block id (it names the snippet drafted) and its text."""
    values = (view.get("state") or {}).get("values") or {}
    for block_id, actions in values.items():
        if str(block_id).startswith(BlockId.answer_body.value) and isinstance(actions, dict):
            typed = (actions.get(ActionId.answer_body.value) or {}).get("value")
            return str(block_id), str(typed or "")
    raise BadPayload("an answer modal without its text")


def _picked_mailbox(view: dict[str, Any]) -> str | None:
    values = (view.get("state") or {}).get("values") or {}
    picked = (values.get(BlockId.answer_mailbox.value) or {}).get(ActionId.answer_mailbox.value)
    option = (picked or {}).get("selected_option") or {}
    value = option.get("value")
    return str(value) if value else None
