"""The answer modal of a reply: what it shows (read from the database, the mailboxes and the
snippets), and its submission read back and checked on the server."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot import queries
from bot.blocks.answer import AnswerForm
from bot.blocks.answer_later import local_slot
from bot.deps import Deps
from bot.errors import Refused
from bot.ids import ActionId, BlockId
from bot.live_config import LiveConfig
from bot.payloads import AnswerRef, BadPayload
from bot.settings import BotSettings
from cam.core.config import CAMCycleConfig
from cam.core.mailboxes import DEFAULT_KEY
from cam.core.models import Lead, Reply
from cam.core.state import get_state
from cam.outreach.templates import TemplateRenderError
from cam.replies import answer_later, answering
from cam.replies.answer_mail import AnswerRequest, thread_of
from cam.replies.excerpt import clean_excerpt
from cam.replies.snippets import draft, snippet_variables


@dataclass(frozen=True)
class Answerer:
    """Who is answering, and what they may do: answer at all, pick another mailbox."""

    user: str
    owner: str
    may_answer: bool
    may_pick_mailbox: bool


def answerer(settings: BotSettings, user: str, owner: str) -> Answerer:
    approver = user in settings.approver_ids
    allowed = answering.may_answer(
        user, owner=owner, approvers=settings.approver_ids, responders=settings.responder_ids
    )
    return Answerer(user=user, owner=owner, may_answer=allowed, may_pick_mailbox=approver)


def who_answers(session: Session, deps: Deps, reply_id: int, user: str) -> Answerer:
    """What `user` may do about the reply's lead."""
    _reply, lead = reply_and_lead(session, reply_id)
    return answerer(deps.settings, user, queries.owner_of(lead, deps.owners))


def not_yours(who: Answerer) -> str:
    owner = f"<@{who.owner}> (the lead's owner)" if who.owner else "the lead's owner"
    return f"Only {owner}, an approver or a responder (CAM_RESPONDERS) may answer this lead."


def reply_and_lead(session: Session, reply_id: int) -> tuple[Reply, Lead]:
    reply = session.get(Reply, reply_id)
    lead = session.get(Lead, reply.lead_id) if reply and reply.lead_id else None
    if reply is None or lead is None:
        raise Refused("That reply has no lead to answer.")
    return reply, lead


def load_form(
    session: Session,
    files: LiveConfig,
    *,
    reply_id: int,
    who: Answerer,
    snippet: str | None = None,
    mailbox: str | None = None,
    later_from: datetime | None = None,
) -> tuple[AnswerForm, CAMCycleConfig]:
    """The modal's content for this reply, drafted from `snippet` (else the class's first).

    With `later_from` (now), the answer is for the prospect's return: the form says when it
    goes, and opens with a snippet written for then.
    """
    reply, lead = reply_and_lead(session, reply_id)
    config = files.cycle_config(get_state(session))
    own = lead.mailbox or DEFAULT_KEY
    senders = config.senders()
    labels = [(s.key, f"{s.key} ({s.address})" if s.address else s.key) for s in senders]
    labels.sort(key=lambda pair: pair[0] != own)
    chosen = mailbox if who.may_pick_mailbox and mailbox else own
    due = ""
    if later_from is not None:
        if reply.return_date is None:
            raise Refused("This reply names no return date: answer it with Reply.")
        when, zone = answer_later.when_back(config, lead, reply.return_date, chosen, later_from)
        due = (
            f"*{local_slot(when, zone)}* (lead's time, {zone}): the first send-window slot of "
            f"the working day after their return on {answer_later.short_day(reply.return_date)}"
        )
    snippets = files.snippets
    choices = snippets.of_class(reply.classification, when_back=later_from is not None)
    picked = snippets.get(snippet) if snippet else None
    picked = picked or (choices[0] if choices else None)
    text, note = "", ""
    if picked is not None:
        profile = config.sender_profiles().get(chosen)
        if profile is None:
            raise Refused(f"Mailbox {chosen} is no longer in the mailboxes file.")
        try:
            text = draft(picked, snippet_variables(lead, profile, reply.return_date))
        except TemplateRenderError as exc:
            note = f"the snippet {picked.key!r} could not be drafted for {chosen}: {exc}"
    thread = thread_of(reply, lead)
    form = AnswerForm(
        reply_id=reply.id,
        lead=f"{lead.full_name or lead.email} <{lead.email}>",
        last_message=clean_excerpt(reply.body_excerpt),
        subject=thread.subject,
        mailboxes=labels,
        mailbox=chosen,
        may_pick_mailbox=who.may_pick_mailbox,
        snippets=[(s.key, s.title) for s in choices],
        snippet=picked.key if picked is not None else "none",
        draft=text,
        dry_run=config.dry_run,
        note=note,
        due=due,
    )
    return form, config


@dataclass(frozen=True)
class Submission:
    """A submitted answer modal, read and checked: who, what, from which mailbox."""

    reply_id: int
    user: str
    # Slack's view id: one submission, however often it arrives.
    key: str
    text: str
    mailbox: str
    config: CAMCycleConfig
    # The block each kind of refusal ("body", "mailbox") is shown next to.
    fields: dict[str, str]
    # What the server refuses before anything is stored: (field, reason).
    problem: tuple[str, str] | None

    def errors(self, field: str, reason: str) -> dict[str, Any]:
        """The ack that shows `reason` in the modal, next to its field."""
        return {"response_action": "errors", "errors": {self.fields[field]: reason}}

    def request(self, instance: str, now: datetime) -> AnswerRequest:
        """The answer to send (or schedule), as this instance received it at `now`."""
        return AnswerRequest(
            request_key=self.key,
            reply_id=self.reply_id,
            mailbox=self.mailbox,
            body=self.text,
            by=self.user,
            instance=instance,
            now=now,
        )


def submission(
    session: Session, deps: Deps, body: dict[str, Any], view: dict[str, Any]
) -> Submission:
    """Read the modal's submission and check who submits, the mailbox and the text."""
    ref = AnswerRef.parse(view.get("private_metadata"))
    user = str((body.get("user") or {}).get("id") or "")
    view_id = view.get("id")
    if not isinstance(view_id, str) or not view_id:
        raise BadPayload("a modal without its id")
    body_block, text = _body_of(view)
    _reply, lead = reply_and_lead(session, ref.reply_id)
    who = who_answers(session, deps, ref.reply_id, user)
    own = lead.mailbox or DEFAULT_KEY
    config = deps.config.cycle_config(get_state(session))
    mailbox = picked_mailbox(view) or own
    # A refusal is shown next to its field; without a mailbox menu, next to the answer.
    fields = {"body": body_block, "mailbox": body_block}
    if who.may_pick_mailbox:
        fields["mailbox"] = BlockId.answer_mailbox.value
    return Submission(
        reply_id=ref.reply_id,
        user=user,
        key=view_id,
        text=text,
        mailbox=mailbox,
        config=config,
        fields=fields,
        problem=_problem(who, mailbox, own, text),
    )


def picked_mailbox(view: dict[str, Any]) -> str | None:
    """The mailbox picked in the modal's menu (approvers only have one)."""
    values = (view.get("state") or {}).get("values") or {}
    picked = (values.get(BlockId.answer_mailbox.value) or {}).get(ActionId.answer_mailbox.value)
    option = (picked or {}).get("selected_option") or {}
    value = option.get("value")
    return str(value) if value else None


def _problem(who: Answerer, mailbox: str, own: str, text: str) -> tuple[str, str] | None:
    """What the server refuses before claiming: who submits, the mailbox, an empty answer."""
    if not who.may_answer:
        return "body", not_yours(who).replace("<@", "@").replace(">", "")
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
