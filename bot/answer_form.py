"""What the answer modal of a reply shows, read from the database, the mailboxes and snippets."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from bot.blocks.answer import AnswerForm
from bot.errors import Refused
from bot.settings import BotSettings
from cam.bootstrap import cycle_config
from cam.core.config import CAMCycleConfig
from cam.core.mailboxes import DEFAULT_KEY
from cam.core.models import Lead, Reply
from cam.core.state import get_state
from cam.outreach.templates import TemplateRenderError
from cam.replies import answering
from cam.replies.excerpt import clean_excerpt
from cam.replies.snippets import draft, load_snippets, snippet_variables


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


def reply_and_lead(session: Session, reply_id: int) -> tuple[Reply, Lead]:
    reply = session.get(Reply, reply_id)
    lead = session.get(Lead, reply.lead_id) if reply and reply.lead_id else None
    if reply is None or lead is None:
        raise Refused("That reply has no lead to answer.")
    return reply, lead


def load_form(
    session: Session,
    settings: BotSettings,
    *,
    reply_id: int,
    who: Answerer,
    snippet: str | None = None,
    mailbox: str | None = None,
) -> tuple[AnswerForm, CAMCycleConfig]:
    """The modal's content for this reply, drafted from `snippet` (else the class's first)."""
    reply, lead = reply_and_lead(session, reply_id)
    config = cycle_config(settings, get_state(session))
    own = lead.mailbox or DEFAULT_KEY
    senders = config.senders()
    labels = [(s.key, f"{s.key} ({s.address})" if s.address else s.key) for s in senders]
    labels.sort(key=lambda pair: pair[0] != own)
    chosen = mailbox if who.may_pick_mailbox and mailbox else own
    snippets = load_snippets(settings.snippets_file)
    choices = snippets.of_class(reply.classification)
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
    thread = answering.thread_of(reply, lead)
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
    )
    return form, config
