"""Phase 1: validate, enrich, disqualify and score the leads that arrived since last time.

Set-based: one read of the new leads (up to today's allowance), one read of the suppressed
addresses among them, one of the suppressed domains, then the verdicts in one bulk UPDATE
(`core.bulk.update_rows`), all in a single transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from cam.core import bulk, events, safety
from cam.core.config import CAMCycleConfig
from cam.core.context import CycleContext
from cam.core.db import unit_of_work
from cam.core.enums import Disqualification, Limit
from cam.core.models import CycleRun, Lead, LeadStatus, RunKind, Suppression, SuppressionKind
from cam.leads.addresses import email_problem
from cam.leads.event_payloads import LeadsProcessed
from cam.leads.scoring import Scorer, load_rules

log = logging.getLogger(__name__)

PHASE = "qualify"
QUOTA_SCOPE = "leads:processed"

_leads = cast(Table, Lead.__table__)
# What the lead's stored reason says before its particulars (people read it on the lead).
_REASON_TEXT = {
    Disqualification.invalid_email: "invalid email:",
    Disqualification.blocked_domain: "blocked domain",
    Disqualification.suppressed_address: "suppressed address",
    Disqualification.suppressed_domain: "suppressed domain",
}


@dataclass(frozen=True)
class Verdict:
    """What qualification decided about one lead: scored (with points), or turned away (why)."""

    domain: str
    score: int = 0
    score_reasons: list[str] = field(default_factory=list)
    disqualified: Disqualification | None = None
    # The particulars of a disqualification: the address's problem, the domain that matched.
    detail: str = ""

    @property
    def status(self) -> LeadStatus:
        return LeadStatus.scored if self.disqualified is None else LeadStatus.disqualified

    @property
    def status_reason(self) -> str | None:
        """The reason stored on the lead: "blocked domain rival.example"."""
        if self.disqualified is None:
            return None
        return " ".join(filter(None, (_REASON_TEXT[self.disqualified], self.detail)))[:500]

    def values(self, lead_id: int) -> dict[str, object]:
        """The column values of the lead's UPDATE."""
        return {
            "id": lead_id,
            "domain": self.domain,
            "status": self.status,
            "status_reason": self.status_reason,
            "score": self.score,
            "score_reasons": self.score_reasons,
        }


def process_new_leads(ctx: CycleContext) -> None:
    """Validate, enrich, disqualify and score `new` leads, within today's allowance."""
    scorer = Scorer(load_rules(ctx.config.scoring_file))
    now = ctx.clock()
    day = safety.day_window(safety.team_day(now, ctx.config.timezone))
    cap = ctx.config.max_new_leads_per_day
    with unit_of_work(ctx.session_factory) as session:
        ctx.report.leads_created = _leads_created_since_last_cycle(session, ctx)
        allowance = cap - safety.quota_used(session, QUOTA_SCOPE, day)
        rows = _waiting_leads(session, allowance) if allowance > 0 else []
        verdicts = _judge_all(session, ctx, scorer, rows) if rows else {}
        _write(session, verdicts, now)
        if len(rows) == max(allowance, 0):
            left = session.scalar(select(func.count(Lead.id)).where(Lead.status == LeadStatus.new))
            if left:
                ctx.report.skip(Limit.max_new_leads_per_day, int(left))
        if rows:
            safety.reserve_up_to(session, QUOTA_SCOPE, day, cap, len(verdicts))
        disqualified = sum(1 for v in verdicts.values() if v.disqualified is not None)
        ctx.report.leads_processed += len(verdicts)
        ctx.report.leads_disqualified += disqualified
        events.record(
            session,
            LeadsProcessed(
                processed=len(verdicts),
                disqualified=disqualified,
                scored=len(verdicts) - disqualified,
            ),
            cycle_id=ctx.cycle_id,
            at=now,
        )


def _waiting_leads(session: Session, limit: int) -> Sequence[Any]:
    """Read the first `limit` new leads: (id, email, title, custom fields)."""
    return session.execute(
        select(Lead.id, Lead.email, Lead.title, Lead.custom_fields)
        .where(Lead.status == LeadStatus.new)
        .order_by(Lead.id)
        .limit(limit)
    ).all()


def _judge_all(
    session: Session, ctx: CycleContext, scorer: Scorer, rows: Sequence[Any]
) -> dict[int, Verdict]:
    """Decide each lead (by id); one that cannot be scored is reported and left `new`."""
    blocked = _blocked(ctx.config)
    suppressed = _suppressed_lead_emails(session)
    suppressed_domains = safety.suppressed_domains(session)
    verdicts: dict[int, Verdict] = {}
    for lead_id, email, title, custom in rows:
        try:
            verdict = _judge(
                scorer,
                email=email,
                title=title or "",
                custom=custom or {},
                blocked=blocked,
                suppressed_domains=suppressed_domains,
                suppressed=lead_id in suppressed,
            )
        except Exception as exc:  # never crash: one bad lead must not stop the others
            ctx.report.error(PHASE, f"cannot score: {exc}", item=email)
            continue
        verdicts[lead_id] = verdict
        if verdict.disqualified is not None:
            why = ctx.report.disqualified_why
            why[verdict.disqualified] = why.get(verdict.disqualified, 0) + 1
    return verdicts


def judge(
    session: Session,
    config: CAMCycleConfig,
    *,
    email: str,
    title: str = "",
    custom: Mapping[str, object],
) -> Verdict:
    """Decide one lead as the next cycle will, for a lead a person adds between cycles: what
    would disqualify it can be said to them at once."""
    address = email.strip().lower()
    suppressed = session.scalar(
        select(Suppression.id)
        .where(Suppression.kind == SuppressionKind.email, Suppression.value == address)
        .limit(1)
    )
    return _judge(
        Scorer(load_rules(config.scoring_file)),
        email=address,
        title=title,
        custom=custom,
        blocked=_blocked(config),
        suppressed_domains=safety.suppressed_domains(session),
        suppressed=suppressed is not None,
    )


def _blocked(config: CAMCycleConfig) -> set[str]:
    return {d.strip().lower().lstrip("@") for d in config.safety_settings.blocked_domains}


def _write(session: Session, verdicts: dict[int, Verdict], now: datetime) -> None:
    """Store the verdicts in one bulk UPDATE of the leads."""
    rows = [verdict.values(lead_id) for lead_id, verdict in verdicts.items()]
    bulk.update_rows(session, _leads, rows, key="id", also={"updated_at": now})


def _judge(
    scorer: Scorer,
    *,
    email: str,
    title: str,
    custom: Mapping[str, object],
    blocked: set[str],
    suppressed_domains: set[str],
    suppressed: bool,
) -> Verdict:
    """Decide one lead."""
    address = email.strip().lower()
    domain = safety.domain_of(address)
    problem = email_problem(address)
    if problem is not None:
        return Verdict(domain, disqualified=Disqualification.invalid_email, detail=problem)
    suffixes = safety.domain_suffixes(domain) if blocked or suppressed_domains else []
    for suffix in suffixes:
        if suffix in blocked:
            return Verdict(domain, disqualified=Disqualification.blocked_domain, detail=suffix)
    if suppressed:
        return Verdict(domain, disqualified=Disqualification.suppressed_address)
    for suffix in suffixes:
        if suffix in suppressed_domains:
            return Verdict(domain, disqualified=Disqualification.suppressed_domain, detail=suffix)
    score = scorer.score(title=title, domain=domain, custom_fields=custom)
    return Verdict(domain, score=score.points, score_reasons=score.reasons)


def _suppressed_lead_emails(session: Session) -> set[int]:
    """Return ids of new leads whose address is suppressed (values are kept lower case)."""
    return set(
        session.scalars(
            select(Lead.id)
            .join(
                Suppression,
                (Suppression.kind == SuppressionKind.email)
                & (Suppression.value == func.lower(Lead.email)),
            )
            .where(Lead.status == LeadStatus.new)
        )
    )


def _leads_created_since_last_cycle(session: Session, ctx: CycleContext) -> int:
    """Count leads added since the previous daily cycle started (all of them on the first)."""
    previous = select(func.max(CycleRun.started_at)).where(CycleRun.kind == RunKind.daily)
    if ctx.cycle_id is not None:
        previous = previous.where(CycleRun.id != ctx.cycle_id)
    query = select(func.count(Lead.id)).where(
        (Lead.created_at > previous.scalar_subquery()) | (previous.scalar_subquery().is_(None))
    )
    return int(session.scalar(query) or 0)
