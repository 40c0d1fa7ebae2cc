"""Which stored replies reach the team as cards, queued in the transaction that stores them.

Every reply a person wrote becomes a `reply_card` notification; automatic mail (bounces,
out-of-office notices, delivery reports) is only counted. A later reply from a lead that has a
card goes in that card's thread. An interested reply asks for the lead's escalation at once,
and its card carries the approval's buttons, so no second message is posted for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from cam.core.models import (
    Lead,
    LeadStatus,
    Notification,
    NotificationStatus,
    NotificationTopic,
    ReplyClass,
)
from cam.escalation import approvals
from cam.replies.rules import Classification


class ReplyCardPayload(BaseModel):
    """The payload of a `reply_card` notification."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reply_id: int = Field(gt=0)
    lead_id: int | None = None


@dataclass(frozen=True)
class StoredReply:
    reply_id: int
    lead_id: int | None
    verdict: Classification


def written_by_a_person(verdict: Classification) -> bool:
    """Whether a person wrote it: a card, not just a count."""
    return not verdict.automated and verdict.kind is not ReplyClass.bounce


def queue_cards(session: Session, stored: Sequence[StoredReply], now: datetime) -> int:
    """Queue a card for each reply a person wrote, threaded under the lead's first card;
    escalate the leads an interested reply made hot. Return the number of cards."""
    human = [s for s in stored if written_by_a_person(s.verdict)]
    if not human:
        return 0
    parents = _first_cards(session, {s.lead_id for s in human if s.lead_id is not None})
    later: list[dict[str, Any]] = []
    for item in human:
        parent = parents.get(item.lead_id) if item.lead_id is not None else None
        row: dict[str, Any] = {
            "topic": NotificationTopic.reply_card.value,
            "payload": ReplyCardPayload(reply_id=item.reply_id, lead_id=item.lead_id).model_dump(),
            "parent_id": parent,
        }
        if parent is None and item.lead_id is not None:
            # The lead's first card: its id is the parent of the lead's later replies.
            insert_one = insert(Notification).values(**row).returning(Notification.id)
            parents[item.lead_id] = session.execute(insert_one).scalar_one()
        else:
            later.append(row)
    if later:
        session.execute(insert(Notification), later)
    _escalate_interested(session, human, now)
    return len(human)


def _first_cards(session: Session, lead_ids: set[int]) -> dict[int | None, int]:
    """Map each lead to its first card still shown (pending or sent), if it has one."""
    if not lead_ids:
        return {}
    lead = Notification.payload["lead_id"].as_integer()
    rows = session.execute(
        select(lead, func.min(Notification.id))
        .where(
            Notification.topic == NotificationTopic.reply_card.value,
            Notification.parent_id.is_(None),
            Notification.status != NotificationStatus.failed,
            lead.in_(lead_ids),
        )
        .group_by(lead)
    ).all()
    return {lead_id: card_id for lead_id, card_id in rows}


def _escalate_interested(session: Session, human: Sequence[StoredReply], now: datetime) -> None:
    wanted = {
        s.lead_id: s.reply_id
        for s in human
        if s.lead_id is not None and s.verdict.kind is ReplyClass.interested
    }
    if not wanted:
        return
    hot = session.scalars(
        select(Lead.id).where(Lead.id.in_(wanted), Lead.status == LeadStatus.hot)
    ).all()
    approvals.request_escalations(
        session, [(lead_id, wanted[lead_id]) for lead_id in sorted(hot)], now, notify=False
    )
