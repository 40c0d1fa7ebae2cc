"""What replies do to their leads, gathered over a batch and written in a few statements.

A person's reply stops the sequence (hot when interested); a verified hard bounce marks the lead
bounced and suppresses it, with its evidence in the ledger, unless its reason leaves the address
alive (a full mailbox, a block: `soft_bounces` counts those, and the third in a row suppresses);
an explicit opt-out (a phrase, a complaint) goes through `cam.replies.unsubscribe`, while an
opt-out only the model read just stops the sequence and waits on the card for a person; an
out-of-office moves the next step to the return date, and a notice that the person is gone for good
(left the company, mailbox no longer read) stops the sequence. Statuses only move forward: a
later question does not cool a hot lead, and nothing revives an unsubscribed or bounced one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cam.core.models import (
    Lead,
    LeadStatus,
    OutreachMessage,
    ReplyClass,
    Suppression,
    SuppressionKind,
    SuppressionSource,
)
from cam.core.safety import Grounds
from cam.leads import status as lead_status
from cam.leads.status import FINAL
from cam.outreach import outbox_status
from cam.replies import soft_bounces, unsubscribe
from cam.replies.rules import Classification


@dataclass
class LeadView:
    """The columns of a lead that replies change, loaded once per batch."""

    id: int
    email: str
    status: LeadStatus
    status_reason: str | None
    replied_at: datetime | None
    next_step_at: datetime | None
    changed: bool = False

    @classmethod
    def columns(cls) -> tuple[Any, ...]:
        return (
            Lead.id,
            Lead.email,
            Lead.status,
            Lead.status_reason,
            Lead.replied_at,
            Lead.next_step_at,
        )

    @classmethod
    def of(cls, row: Sequence[Any]) -> LeadView:
        return cls(row[0], row[1], row[2], row[3], row[4], row[5])


# The sending days when a caller names none: Monday to Friday.
WORKDAYS = frozenset(range(5))


class ReplyActions:
    """Collects the effect of each reply, then writes them all in `finish()`."""

    def __init__(
        self,
        session: Session,
        now: datetime,
        zone: ZoneInfo,
        workdays: frozenset[int] = WORKDAYS,
    ) -> None:
        self.session = session
        self.now = now
        self.zone = zone
        # The team's sending days: an absentee is written to again on the first one after
        # their return date (the day they come back is spent on their inbox).
        self.workdays = workdays or WORKDAYS
        self.stop: dict[int, str] = {}
        self.bounced: dict[str, tuple[LeadView, Grounds]] = {}
        self.postpone: dict[int, date] = {}
        self.leads: dict[int, LeadView] = {}
        self.hot = 0
        self.postponed = 0
        self.unsubscribed = 0

    def apply(
        self,
        verdict: Classification,
        sender: str,
        lead: LeadView | None,
        leads_by_email: dict[str, LeadView],
        *,
        reply_id: int,
        bounce_evidence: dict[str, str] | None = None,
    ) -> None:
        """Record what one classified reply (stored as `reply_id`) does to `lead`, the lead it
        was matched to. A bounce's recipients come with their evidence (`bounce_evidence`)."""
        kind = verdict.kind
        if kind is ReplyClass.bounce:
            reasons = dict(verdict.bounce_reasons)
            for address, proof in (bounce_evidence or {}).items():
                if (bounced := leads_by_email.get(address)) is None:
                    continue
                why = verdict.matched_rule
                if soft_bounces.is_soft(reason := reasons.get(address)) and reason is not None:
                    row = soft_bounces.row_of(self.session, bounced.id, reply_id, reason)
                    if not row.full:
                        continue  # stored with its reason; the address may take mail again
                    why = proof = f"{row.evidence()}; {proof}"
                grounds = Grounds(SuppressionSource.bounce, proof, reply_id=reply_id)
                self._bounce(bounced, why, grounds)
        elif kind is ReplyClass.unsubscribe and verdict.opt_out is not None:
            source = (
                SuppressionSource.complaint
                if verdict.opt_out.rule == "unsubscribe.complaint"
                else SuppressionSource.phrase
            )
            evidence = f"{verdict.opt_out.rule}: {verdict.opt_out.phrase!r}"
            grounds = Grounds(source, evidence, reply_id=reply_id)
            self._unsubscribe(lead.email if lead is not None else sender, lead, grounds)
        elif kind is ReplyClass.out_of_office:
            if lead is not None and verdict.gone:
                self._gone(lead)
            elif lead is not None and verdict.return_date is not None:
                previous = self.postpone.get(lead.id, date.min)
                self.postpone[lead.id] = max(verdict.return_date, previous)
        elif lead is not None and not verdict.automated:
            self._replied(lead, kind)

    def _replied(self, lead: LeadView, kind: ReplyClass) -> None:
        if lead.status in FINAL:
            return
        if lead.replied_at is None:
            lead.replied_at = self.now
        if kind is ReplyClass.interested and lead_status.may_move(lead.status, LeadStatus.hot):
            lead.status = LeadStatus.hot
            lead.status_reason = "replied: interested"
            self.hot += 1
        elif lead_status.may_move(lead.status, LeadStatus.replied):
            lead.status = LeadStatus.replied
            lead.status_reason = (
                "replied: looks like an opt-out, for the team to confirm"
                if kind is ReplyClass.unsubscribe
                else f"replied: {kind.value}"
            )
        lead.next_step_at = None
        self._touch(lead)
        self.stop.setdefault(lead.id, "replied")

    def _gone(self, lead: LeadView) -> None:
        """The address is not read any more: no step goes out to it; the lead stays as it is."""
        if lead.status in FINAL:
            return
        lead.next_step_at = None
        self._touch(lead)
        self.stop.setdefault(lead.id, "gone: the address is no longer read")

    def _bounce(self, lead: LeadView, why: str, grounds: Grounds) -> None:
        if lead_status.may_move(lead.status, LeadStatus.bounced):
            lead.status = LeadStatus.bounced
            lead.status_reason = f"hard bounce: {why}"[:500]
        lead.next_step_at = None
        self._touch(lead)
        self.stop[lead.id] = "bounced"
        self.bounced[lead.email.lower()] = (lead, grounds)

    def _unsubscribe(self, address: str, lead: LeadView | None, grounds: Grounds) -> None:
        if lead is not None:
            # Write this lead's pending changes first: unsubscribe() has the last word on it.
            self._write_leads([lead])
            self.leads.pop(lead.id, None)
            self.stop.pop(lead.id, None)
            lead.status, lead.next_step_at, lead.changed = LeadStatus.unsubscribed, None, False
        if address and unsubscribe.unsubscribe(self.session, address, grounds, now=self.now):
            self.unsubscribed += 1

    def _touch(self, lead: LeadView) -> None:
        lead.changed = True
        self.leads[lead.id] = lead

    def finish(self) -> None:
        """Write the lead changes, skip stopped leads' unsent steps, suppress, postpone."""
        self._write_leads(list(self.leads.values()))
        for reason in sorted(set(self.stop.values())):
            ids = [lead_id for lead_id, r in self.stop.items() if r == reason]
            outbox_status.stop_sequences(self.session, ids, reason, now=self.now)
        self._suppress()
        postpone = {k: v for k, v in self.postpone.items() if k not in self.stop}
        if postpone:
            self._postpone(postpone)

    def _write_leads(self, leads: list[LeadView]) -> None:
        rows = [
            {
                "id": lead.id,
                "status": lead.status,
                "status_reason": lead.status_reason,
                "replied_at": lead.replied_at,
                "next_step_at": lead.next_step_at,
                "updated_at": self.now,
            }
            for lead in leads
            if lead.changed
        ]
        if rows:
            self.session.execute(update(Lead), rows)
        for lead in leads:
            lead.changed = False

    def _suppress(self) -> None:
        if not self.bounced:
            return
        existing = set(
            self.session.scalars(
                select(func.lower(Suppression.value)).where(
                    Suppression.kind == SuppressionKind.email,
                    func.lower(Suppression.value).in_(self.bounced),
                )
            )
        )
        self.session.add_all(
            Suppression(
                kind=SuppressionKind.email,
                value=address,
                reason=(lead.status_reason or "hard bounce")[:500],
                source=grounds.source,
                evidence=grounds.evidence[:1000],
                reply_id=grounds.reply_id,
            )
            for address, (lead, grounds) in self.bounced.items()
            if address not in existing
        )

    def _postpone(self, postpone: dict[int, date]) -> None:
        """Move each absentee's next step, and its unsent messages, to the working day after
        the return date."""
        rows = self.session.execute(
            select(OutreachMessage.id, OutreachMessage.lead_id, OutreachMessage.scheduled_at).where(
                OutreachMessage.lead_id.in_(postpone),
                OutreachMessage.status.in_(outbox_status.NOT_YET_SENT),
            )
        ).all()
        moved = []
        for row_id, lead_id, scheduled_at in rows:
            back = self._back_on(postpone[lead_id])
            if scheduled_at < back:
                # Keep the planned time of day, on the day after: the spacing stays human.
                local = scheduled_at.astimezone(self.zone)
                when = datetime.combine(back.astimezone(self.zone).date(), local.timetz())
                moved.append(
                    {
                        "id": row_id,
                        "scheduled_at": max(when.astimezone(UTC), back),
                        "reason": f"postponed: out of office until {postpone[lead_id]}",
                        "updated_at": self.now,
                    }
                )
        if moved:
            self.session.execute(update(OutreachMessage), moved)
        leads = self.session.execute(
            select(Lead.id, Lead.next_step_at).where(Lead.id.in_(postpone))
        ).all()
        later = [
            {
                "id": lead_id,
                "next_step_at": self._back_on(postpone[lead_id]),
                "updated_at": self.now,
            }
            for lead_id, next_at in leads
            if next_at is not None and next_at < self._back_on(postpone[lead_id])
        ]
        if later:
            self.session.execute(update(Lead), later)
        self.postponed += len(leads)

    def _back_on(self, returning: date) -> datetime:
        """The start (team's zone) of the first working day after `returning`."""
        return datetime.combine(
            working_day_after(returning, self.workdays), time(0, 0), self.zone
        ).astimezone(UTC)


def working_day_after(day: date, workdays: frozenset[int]) -> date:
    """The first day after `day` whose weekday is one of `workdays` (Monday = 0)."""
    after = day + timedelta(days=1)
    while after.weekday() not in workdays:
        after += timedelta(days=1)
    return after
