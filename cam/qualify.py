"""Phase 1: validate, enrich, disqualify and score the leads that arrived since last time.

Set-based: one read of the new leads (up to today's allowance), one read of the suppressed
addresses among them, one of the suppressed domains, then one batched UPDATE per 500 leads,
all in a single transaction.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Any, TypeVar, cast

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from cam import events, safety
from cam.context import CycleContext
from cam.db import unit_of_work
from cam.models import CycleRun, Lead, LeadStatus, Suppression, SuppressionKind
from cam.scoring import Scorer, load_rules

log = logging.getLogger(__name__)

PHASE = "qualify"
BATCH_SIZE = 500
QUOTA_SCOPE = "leads:processed"

T = TypeVar("T")
# RFC 5322 dot-atom in ASCII: what almost every business address looks like.
_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*\Z")

_leads = cast(Table, Lead.__table__)
_update_lead = (
    update(_leads)
    .where(_leads.c.id == bindparam("lead_id"))
    .values(
        domain=bindparam("new_domain"),
        status=bindparam("new_status"),
        status_reason=bindparam("new_reason"),
        score=bindparam("new_score"),
        score_reasons=bindparam("new_reasons"),
        updated_at=bindparam("now"),
    )
)


def process_new_leads(ctx: CycleContext) -> None:
    """Validate, enrich, disqualify and score `new` leads, within today's allowance."""
    scorer = Scorer(load_rules(ctx.config.scoring_file))
    now = ctx.clock()
    day = safety.day_window(safety.team_day(now, ctx.config.timezone))
    blocked = ctx.config.safety_settings.blocked_domains
    processed = disqualified = 0
    with unit_of_work(ctx.session_factory) as session:
        ctx.report.leads_created = _leads_created_since_last_cycle(session, ctx)
        allowance = ctx.config.max_new_leads_per_day - safety.quota_used(session, QUOTA_SCOPE, day)
        if allowance <= 0:
            waiting = session.scalar(
                select(func.count(Lead.id)).where(Lead.status == LeadStatus.new)
            )
            if waiting:
                ctx.report.skip("max_new_leads_per_day", int(waiting))
            rows: Sequence[Any] = []
        else:
            rows = session.execute(
                select(Lead.id, Lead.email, Lead.title, Lead.custom_fields)
                .where(Lead.status == LeadStatus.new)
                .order_by(Lead.id)
                .limit(allowance)
            ).all()
        if rows:
            suppressed = _suppressed_lead_emails(session)
            suppressed_domains = safety.suppressed_domains(session)
            for batch in _chunks(rows, BATCH_SIZE):
                params = []
                for lead_id, email, title, custom in batch:
                    try:
                        change = _judge(
                            scorer,
                            email=email,
                            title=title or "",
                            custom=custom or {},
                            blocked=blocked,
                            suppressed_domains=suppressed_domains,
                            suppressed=lead_id in suppressed,
                        )
                    except Exception as exc:  # one bad lead must not stop the others
                        ctx.report.error(PHASE, f"cannot score: {exc}", item=email)
                        continue
                    change.update(lead_id=lead_id, now=now)
                    params.append(change)
                    disqualified += change["new_status"] is LeadStatus.disqualified
                if params:
                    session.execute(_update_lead, params)
                    processed += len(params)
            if len(rows) == allowance:
                left = session.scalar(
                    select(func.count(Lead.id)).where(Lead.status == LeadStatus.new)
                )
                if left:
                    ctx.report.skip("max_new_leads_per_day", int(left))
            safety.reserve_up_to(
                session, QUOTA_SCOPE, day, ctx.config.max_new_leads_per_day, processed
            )
        ctx.report.leads_processed += processed
        ctx.report.leads_disqualified += disqualified
        events.record(
            session,
            events.LEADS_PROCESSED,
            {
                "processed": processed,
                "disqualified": disqualified,
                "scored": processed - disqualified,
            },
            cycle_id=ctx.cycle_id,
        )


def _judge(
    scorer: Scorer,
    *,
    email: str,
    title: str,
    custom: dict[str, Any],
    blocked: frozenset[str],
    suppressed_domains: set[str],
    suppressed: bool,
) -> dict[str, Any]:
    """Decide one lead: the column values its UPDATE sets."""
    address = email.strip().lower()
    domain = safety.domain_of(address)
    problem = email_problem(address)
    if problem is not None:
        return _disqualify(domain, f"invalid email: {problem}")
    block = safety.blocked_by(domain, blocked)
    if block is not None:
        return _disqualify(domain, f"blocked domain {block}")
    if suppressed:
        return _disqualify(domain, "suppressed address")
    for suffix in safety.domain_suffixes(domain):
        if suffix in suppressed_domains:
            return _disqualify(domain, f"suppressed domain {suffix}")
    score = scorer.score(title=title, domain=domain, custom_fields=custom)
    return {
        "new_domain": domain,
        "new_status": LeadStatus.scored,
        "new_reason": None,
        "new_score": score.points,
        "new_reasons": score.reasons,
    }


def email_problem(address: str) -> str | None:
    """Return why an address is not valid, or None; fast for the common plain-ASCII case.

    A plain dot-atom local part needs no more than the pattern; the domain part is where the
    validator spends its time (IDNA), so each domain is checked once.
    """
    local, at, domain = address.rpartition("@")
    if at and len(address) <= 254 and len(local) <= 64 and _DOT_ATOM.match(local):
        return _domain_problem(domain)
    return _validator_problem(address)


@lru_cache(maxsize=100_000)
def _domain_problem(domain: str) -> str | None:
    return _validator_problem(f"a@{domain}")


def _validator_problem(address: str) -> str | None:
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        return str(exc)
    return None


def _disqualify(domain: str, reason: str) -> dict[str, Any]:
    return {
        "new_domain": domain,
        "new_status": LeadStatus.disqualified,
        "new_reason": reason[:500],
        "new_score": 0,
        "new_reasons": [],
    }


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
    previous = select(func.max(CycleRun.started_at)).where(CycleRun.kind == "daily")
    if ctx.cycle_id is not None:
        previous = previous.where(CycleRun.id != ctx.cycle_id)
    query = select(func.count(Lead.id)).where(
        (Lead.created_at > previous.scalar_subquery()) | (previous.scalar_subquery().is_(None))
    )
    return int(session.scalar(query) or 0)


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
