"""The team's label on a reply: one per reply, the first decision wins."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from cam.core import bulk
from cam.core.models import Reply, ReplyClass, ReplyLabel, TriageChoice

# The class each decision says the reply is; a snooze says when to write again, not what.
LABEL_OF = {
    TriageChoice.interested: ReplyClass.interested,
    TriageChoice.not_interested: ReplyClass.not_interested,
    TriageChoice.unsubscribe: ReplyClass.unsubscribe,
    TriageChoice.snooze: None,
    TriageChoice.confirm_opt_out: ReplyClass.unsubscribe,
    # The person says what it is not, not what it is: nothing to learn a class from.
    TriageChoice.not_opt_out: None,
}


def record(
    session: Session,
    reply: Reply,
    choice: TriageChoice,
    *,
    by: str,
    now: datetime,
    snooze_until: date | None = None,
) -> bool:
    """Keep `choice` beside the classifier's answer unless the reply has a label; True if
    this call stored it (one INSERT ... ON CONFLICT DO NOTHING: concurrent calls store one)."""
    row = {
        "reply_id": reply.id,
        "choice": choice,
        "predicted": reply.classification,
        "label": LABEL_OF[choice],
        "snooze_until": snooze_until if choice is TriageChoice.snooze else None,
        "decided_by": by,
        "decided_at": now,
    }
    inserted = bulk.insert_ignoring(
        session, ReplyLabel, [row], on=["reply_id"], returning=[ReplyLabel.id]
    )
    return bool(inserted)
