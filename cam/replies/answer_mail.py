"""An answer as mail: the thread it continues, the columns of its outbox row, its email.

The same whether the answer goes at once or when an absent prospect is back: `Re:` the
prospect's subject, `In-Reply-To` their message and `References` the thread before it, a
Message-ID of the answering mailbox's domain, the unsubscribe link every email carries.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict

from cam.core.models import Lead, Reply, ReplyClass
from cam.core.ports import OutgoingEmail
from cam.core.unsubscribe_tokens import make_token

# The label a mail program puts before the subject it answers: "Automatic reply: Re: ...".
_AUTOMATIC_LABEL = re.compile(r"^[^:]{1,40}:\s*(?=re:)", re.IGNORECASE)


@dataclass(frozen=True)
class Thread:
    """Where an answer to a reply goes: the prospect, the subject and the thread's ids."""

    to: str
    subject: str
    in_reply_to: str | None
    references: tuple[str, ...]


def thread_of(reply: Reply, lead: Lead) -> Thread:
    """The thread an answer continues: `Re:` the prospect's subject, after their message.

    An absence notice's label goes ("Automatic reply: Re: Pricing" is answered "Re: Pricing"):
    the answer continues the conversation, not the notice.
    """
    subject = " ".join(reply.subject.split()) or "your note"
    if reply.classification is ReplyClass.out_of_office:
        subject = _AUTOMATIC_LABEL.sub("", subject, count=1)
    if not subject.lower().startswith("re:"):
        subject = f"Re: {subject}"
    earlier = tuple((reply.in_reply_to or "").split())
    own = (reply.message_id,) if reply.message_id else ()
    return Thread(
        to=(reply.from_address or lead.email).strip().lower(),
        subject=subject,
        in_reply_to=reply.message_id,
        references=(*earlier, *own)[-20:],
    )


@dataclass(frozen=True)
class AnswerRequest:
    """One person's answer as submitted: its submission's key (unique: a second submit or a
    second instance finds it), the reply it answers, from which mailbox, by whom, when."""

    request_key: str
    reply_id: int
    mailbox: str
    body: str
    by: str
    instance: str
    now: datetime


class AnswerColumns(TypedDict):
    """The columns every answer's row has, whenever it goes (its caller adds its status)."""

    request_key: str
    reply_id: int
    lead_id: int
    mailbox: str
    to_address: str
    message_id: str
    in_reply_to: str | None
    subject: str
    body: str
    answered_by: str
    claimed_by: str
    created_at: datetime


def outbox_row(request: AnswerRequest, reply: Reply, lead: Lead, domain: str) -> AnswerColumns:
    """The columns every answer's row has, whenever it goes: its thread and its Message-ID."""
    thread = thread_of(reply, lead)
    return {
        "request_key": request.request_key[:100],
        "reply_id": reply.id,
        "lead_id": lead.id,
        "mailbox": request.mailbox,
        "to_address": thread.to,
        "message_id": f"<{uuid.uuid4().hex}@{domain}>",
        "in_reply_to": " ".join(thread.references)[:1000] or None,
        "subject": thread.subject,
        "body": request.body,
        "answered_by": request.by,
        "claimed_by": request.instance[:100],
        "created_at": request.now,
    }


def outgoing(thread: Thread, body: str, message_id: str, secret: str, lead: Lead) -> OutgoingEmail:
    """The email of an answer, in the prospect's thread, with its unsubscribe link."""
    return OutgoingEmail(
        to=thread.to,
        subject=thread.subject,
        text=body,
        html=None,
        message_id=message_id,
        unsubscribe_token=make_token(secret, lead.email),
        lead_id=lead.id,
        step=0,
        in_reply_to=thread.in_reply_to,
        references=thread.references,
    )
