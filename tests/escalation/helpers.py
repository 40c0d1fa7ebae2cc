"""Building blocks for approval tests: hot leads with replies, a cycle context, a CRM recorder."""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from cam.core.config import CAMCycleConfig
from cam.core.context import CycleContext
from cam.core.db import SessionFactory
from cam.core.models import Lead, LeadStatus, Reply, ReplyClass
from cam.core.ports import CrmLead, CrmRefs, CrmSyncError, Gateways
from cam.core.report import CAMCycleReport
from cam.gateways.noop import NoopCrmSyncer, NoopEmailSender, NoopInboxReader, NoopSocialPoster

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
APPROVERS = frozenset({"U_ANA", "U_BOB"})


def cycle_context(sessions: SessionFactory, now: datetime = NOW) -> CycleContext:
    gateways = Gateways(
        email=NoopEmailSender(),
        inbox=NoopInboxReader(),
        social=NoopSocialPoster(),
        crm=NoopCrmSyncer(),
    )
    return CycleContext(
        config=CAMCycleConfig(),
        session_factory=sessions,
        gateways=gateways,
        clock=lambda: now,
        rng=random.Random(7),
        report=CAMCycleReport(start=now),
    )


def add_lead(
    session: Session,
    email: str,
    *,
    status: LeadStatus = LeadStatus.hot,
    replies: tuple[ReplyClass, ...] = (ReplyClass.interested,),
) -> Lead:
    """Add a lead and its replies, oldest first."""
    lead = Lead(
        email=email,
        first_name=email.split("@")[0].title(),
        last_name="Tester",
        company="Example Co",
        title="VP Sales",
        domain=email.split("@")[1],
        score=70,
        score_reasons=["title: vp"],
        status=status,
    )
    session.add(lead)
    session.flush()
    for n, kind in enumerate(replies):
        session.add(
            Reply(
                lead_id=lead.id,
                message_id=f"<r{n}.{email}>",
                from_address=email,
                subject=f"Re: hello ({kind.value})",
                body_excerpt=f"{kind.value} reply from {email}",
                classification=kind,
            )
        )
    session.flush()
    return lead


class RecordingCrm:
    """A CRM at the edge of the system: records each call, can be slow or fail."""

    name = "recording-crm"
    configured = True

    def __init__(self, *, delay: float = 0.0, failures: int = 0) -> None:
        self.calls: list[CrmLead] = []
        self.delay = delay
        self.failures = failures
        self._lock = threading.Lock()

    def sync(self, lead: CrmLead) -> CrmRefs:
        with self._lock:
            self.calls.append(lead)
            fail = self.failures > 0
            self.failures -= 1 if fail else 0
        time.sleep(self.delay)
        contact = lead.contact_id or f"contact-{lead.email}"
        if fail:
            raise CrmSyncError("CRM answered 500 to POST /deals", CrmRefs(contact, lead.deal_id))
        return CrmRefs(contact, lead.deal_id or f"deal-{lead.email}")
