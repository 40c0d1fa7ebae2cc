"""The team's label on a reply: one per reply, the first decision wins; who, when, which card.

A label acts on its lead at once (`triage`), but the classifier learns from it only once it
is trusted: given or agreed by an approver, agreed by a second person, or saying what a
deterministic rule said too. So one person's clicks, however many, teach the model nothing on
their own; an opt-out taught by mistake would otherwise suppress real prospects by itself. An
approver can undo a label: it stays as a record, and teaches nothing from then on.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, and_, func, or_, select, true, update
from sqlalchemy.orm import Session

from cam.core import bulk
from cam.core.models import LabelTrust, Reply, ReplyClass, ReplyLabel, TriageChoice
from cam.replies.rules import by_rule

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
# Labels (and agreements) one person may give per hour: a slip or a script stops there.
PER_HOUR = 30
HOUR = timedelta(hours=1)


class LabelRefused(ValueError):
    """The label cannot be given, agreed with or undone as asked; the text says why."""


def learnable() -> ColumnElement[bool]:
    """The labels the classifier and its memory learn from: classed, trusted, not undone."""
    return and_(
        ReplyLabel.label.is_not(None),
        ReplyLabel.trusted_at.is_not(None),
        ReplyLabel.undone_at.is_(None),
    )


def record(
    session: Session,
    reply: Reply,
    choice: TriageChoice,
    *,
    by: str,
    now: datetime,
    approver: bool = False,
    snooze_until: date | None = None,
    card: tuple[str, str] | None = None,
) -> bool:
    """Keep `choice` beside the classifier's answer unless the reply has a label; True if
    this call stored it (one INSERT ... ON CONFLICT DO NOTHING: concurrent calls store one)."""
    label = LABEL_OF[choice]
    trust = _trust_of(reply, label, approver=approver)
    row = {
        "reply_id": reply.id,
        "choice": choice,
        "predicted": reply.classification,
        "label": label,
        "snooze_until": snooze_until if choice is TriageChoice.snooze else None,
        "decided_by": by,
        "decided_at": now,
        "card_channel": card[0] if card else None,
        "card_ts": card[1] if card else None,
        "trust": trust,
        "trusted_by": by if trust else None,
        "trusted_at": now if trust else None,
    }
    inserted = bulk.insert_ignoring(
        session, ReplyLabel, [row], on=["reply_id"], returning=[ReplyLabel.id]
    )
    return bool(inserted)


def vouch(
    session: Session,
    reply_id: int,
    label: ReplyClass | None,
    *,
    by: str,
    approver: bool,
    now: datetime,
) -> bool:
    """Trust the reply's label if it is `label` and `by` may vouch for it (an approver, or
    anyone but its author); True if this call did (one conditional UPDATE)."""
    if label is None:
        return False
    someone_else = true() if approver else ReplyLabel.decided_by != by
    result = cast(
        CursorResult[Any],
        session.execute(
            update(ReplyLabel)
            .where(
                ReplyLabel.reply_id == reply_id,
                ReplyLabel.label == label,
                ReplyLabel.trusted_at.is_(None),
                ReplyLabel.undone_at.is_(None),
                someone_else,
            )
            .values(
                trust=LabelTrust.approver if approver else LabelTrust.agreed,
                trusted_by=by,
                trusted_at=now,
            )
            .execution_options(synchronize_session=False)
        ),
    )
    return result.rowcount == 1


def given_within_hour(session: Session, by: str, now: datetime) -> int:
    """How many labels `by` gave or vouched for in the hour before `now`."""
    since = now - HOUR
    count = session.scalar(
        select(func.count(ReplyLabel.id)).where(
            or_(
                and_(ReplyLabel.decided_by == by, ReplyLabel.decided_at > since),
                and_(ReplyLabel.trusted_by == by, ReplyLabel.trusted_at > since),
            )
        )
    )
    return count or 0


def undo(session: Session, label_id: int, *, by: str, now: datetime) -> ReplyLabel:
    """Take a label out of what the classifier learns; the record of it stays."""
    label = session.get(ReplyLabel, label_id)
    if label is None:
        raise LabelRefused(f"no label with id {label_id}")
    if label.undone_at is not None:
        raise LabelRefused(f"label {label_id} was undone already, by {label.undone_by}")
    label.undone_by, label.undone_at = by, now
    return label


def listed(
    session: Session, *, by: str | None = None, since: datetime | None = None
) -> list[tuple[ReplyLabel, Reply]]:
    """The labels (newest first) with their replies: of one person, since a moment."""
    query = select(ReplyLabel, Reply).join(Reply, Reply.id == ReplyLabel.reply_id)
    if by is not None:
        query = query.where(ReplyLabel.decided_by == by)
    if since is not None:
        query = query.where(ReplyLabel.decided_at >= since)
    rows = session.execute(query.order_by(ReplyLabel.id.desc())).tuples().all()
    return [(label, reply) for label, reply in rows]


def state_of(label: ReplyLabel) -> str:
    """What a label does for the classifier now, in words."""
    if label.undone_at is not None:
        return "undone"
    if label.label is None:
        return "no class (snooze)"
    if label.trust is None:
        return "waits for an approver or a second person"
    return f"teaches ({label.trust.value})"


def _trust_of(reply: Reply, label: ReplyClass | None, *, approver: bool) -> LabelTrust | None:
    if label is None:
        return None
    if approver:
        return LabelTrust.approver
    if label is reply.classification and by_rule(reply.matched_rule):
        return LabelTrust.rule
    return None
