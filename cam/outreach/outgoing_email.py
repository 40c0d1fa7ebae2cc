"""The email a rendered outbox row becomes: what the gateway sends and a preview shows."""

from __future__ import annotations

from cam.core.models import Lead, OutreachMessage
from cam.core.ports import OutgoingEmail
from cam.core.unsubscribe_tokens import make_token
from cam.outreach.outbox import Rendered


def outgoing_email(
    lead: Lead, row: OutreachMessage, rendered: Rendered, *, secret: str, message_id: str
) -> OutgoingEmail:
    """Return the email for `row`: its recipient, text, thread and unsubscribe token."""
    references = (rendered.in_reply_to,) if rendered.in_reply_to else ()
    return OutgoingEmail(
        to=lead.email.strip().lower(),
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        message_id=message_id,
        unsubscribe_token=make_token(secret, lead.email),
        lead_id=lead.id,
        step=row.step,
        in_reply_to=rendered.in_reply_to,
        references=references,
    )
