"""Which stored replies reach the team as cards, queued in the transaction that stores them.

Every reply a person wrote becomes a `reply_card` notification; automatic mail (bounces,
out-of-office notices, delivery reports) is only counted. But a notice that the person left for
good and names whom to write to instead gets a card as a reply would: the stand-in is a lead
to add, and the team adds them from the card. A later reply from a lead that has a card goes in
that card's thread; so does an absence notice with a return date or a stand-in from a lead the
team is talking to (it has a card), since its rep may answer for when they are back or write
to the colleague. An interested reply asks for the lead's escalation at once, and its card
carries the approval's buttons, so no second message is posted for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from cam.core import notices
from cam.core.models import (
    Lead,
    LeadStatus,
    Notification,
    NotificationStatus,
    NotificationTopic,
    ReplyClass,
)
from cam.core.notices import ReplyCardPayload
from cam.replies import escalation_requests as escalations
from cam.replies.rules import Classification


@dataclass(frozen=True)
class StoredReply:
    reply_id: int
    lead_id: int | None
    verdict: Classification


@dataclass(frozen=True)
class Queued:
    """What a batch of stored replies asked of the team: cards, and approvals of hot leads."""

    cards: int = 0
    approvals: int = 0


def written_by_a_person(verdict: Classification) -> bool:
    """Whether a person wrote it: a card, not just a count."""
    return not verdict.automated and verdict.kind is not ReplyClass.bounce


def names_a_successor(verdict: Classification) -> bool:
    """Gone for good, and whom to write to instead: a card, to add them as a lead."""
    return verdict.gone and verdict.referral is not None


def joins_a_conversation(verdict: Classification) -> bool:
    """An absence that says when the person is back, or whom to write to meanwhile."""
    return verdict.kind is ReplyClass.out_of_office and (
        verdict.return_date is not None or verdict.referral is not None
    )


def queue_cards(session: Session, stored: Sequence[StoredReply], now: datetime) -> Queued:
    """Queue a card for each reply a person wrote and each successor named, threaded under the
    lead's first card, and for each return date or stand-in of a lead with a card; escalate
    the leads an interested reply made hot. Return how many cards and approvals."""
    human = [s for s in stored if _carded(s.verdict)]
    absent = [
        s
        for s in stored
        if not _carded(s.verdict) and joins_a_conversation(s.verdict) and s.lead_id is not None
    ]
    if not human and not absent:
        return Queued()
    parents = _first_cards(session, {s.lead_id for s in human + absent if s.lead_id is not None})
    # Absences only join a conversation there is: their lead's card was posted before.
    human += [s for s in absent if s.lead_id in parents]
    if not human:
        return Queued()
    firsts: list[StoredReply] = []
    later: list[StoredReply] = []
    for item in human:
        if item.lead_id is not None and item.lead_id not in parents:
            parents[item.lead_id] = None  # its first card is in this batch
            firsts.append(item)
        else:
            later.append(item)
    if firsts:
        # Each lead's first card: its id is the parent of the lead's later replies.
        # RETURNING without a row order keeps it one statement (SQLite gives no order).
        inserted = session.execute(
            insert(Notification).returning(Notification.id, Notification.payload),
            [_row(item, None) for item in firsts],
        )
        for card_id, payload in inserted:
            lead_id = ReplyCardPayload.model_validate(payload).lead_id
            parents[lead_id] = card_id
    if later:
        session.execute(
            insert(Notification),
            [_row(item, parents.get(item.lead_id) if item.lead_id else None) for item in later],
        )
    return Queued(cards=len(human), approvals=_escalate_interested(session, human, now))


def _carded(verdict: Classification) -> bool:
    return written_by_a_person(verdict) or names_a_successor(verdict)


def card_thread(session: Session, reply_id: int) -> int | None:
    """The notification whose thread a reply's card lives in: its own card, or the first card
    of its lead when the reply came later and was posted in that thread."""
    reply_key = notices.id_field(NotificationTopic.reply_card, "reply_id")
    card = session.scalars(
        select(Notification)
        .where(Notification.topic == NotificationTopic.reply_card.value, reply_key == reply_id)
        .order_by(Notification.id)
        .limit(1)
    ).first()
    if card is None:
        return None
    return card.parent_id or card.id


def _row(item: StoredReply, parent: int | None) -> notices.NoticeRow:
    payload = ReplyCardPayload(reply_id=item.reply_id, lead_id=item.lead_id)
    return notices.row(NotificationTopic.reply_card, payload, parent_id=parent)


def _first_cards(session: Session, lead_ids: set[int]) -> dict[int | None, int | None]:
    """Map each lead to its first card still shown (pending or sent), if it has one."""
    if not lead_ids:
        return {}
    lead = notices.id_field(NotificationTopic.reply_card, "lead_id")
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


def _escalate_interested(session: Session, human: Sequence[StoredReply], now: datetime) -> int:
    """Ask for approval of each lead an interested reply made hot; return how many were new."""
    wanted = {
        s.lead_id: s.reply_id
        for s in human
        if s.lead_id is not None and s.verdict.kind is ReplyClass.interested
    }
    if not wanted:
        return 0
    hot = session.scalars(
        select(Lead.id).where(Lead.id.in_(wanted), Lead.status == LeadStatus.hot)
    ).all()
    created = escalations.request_escalations(
        session,
        [escalations.Candidate(lead_id, wanted[lead_id]) for lead_id in sorted(hot)],
        now,
        shown_on=escalations.ShownOn.reply_card,
    )
    return len(created)
