"""Phase 1: validate, enrich, disqualify and score the leads that arrived since last time.

Set-based: one read of the new leads (up to today's allowance), one read of the suppressed
addresses among them, one of the suppressed domains, then the verdicts in one batched UPDATE
per 500 leads (on PostgreSQL one COPY and one joined UPDATE), all in a single transaction.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import (
    JSON,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    func,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from cam.core import events, holds
from cam.core.context import CycleContext
from cam.core.db import unit_of_work
from cam.core.models import CycleRun, Lead, LeadStatus, Suppression, SuppressionKind
from cam.leads.addresses import email_problem
from cam.leads.scoring import Scorer, load_rules
from cam.outreach import safety

log = logging.getLogger(__name__)

PHASE = "qualify"
BATCH_SIZE = 500
QUOTA_SCOPE = "leads:processed"

T = TypeVar("T")

_leads = cast(Table, Lead.__table__)
# Filled by COPY on PostgreSQL, dropped at commit.
_verdicts = Table(
    "lead_verdicts",
    MetaData(),
    Column("lead_id", Integer, primary_key=True),
    Column("domain", String(255)),
    Column("status", String(24)),
    Column("status_reason", String(500)),
    Column("score", Integer),
    Column("score_reasons", JSON),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)
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
    blocked = {d.strip().lower().lstrip("@") for d in ctx.config.safety_settings.blocked_domains}
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
            changes = []
            for lead_id, email, title, custom in rows:
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
                changes.append(change)
                if change["new_status"] is LeadStatus.disqualified:
                    disqualified += 1
                    kind = holds.disqualified_kind(change["new_reason"])
                    why = ctx.report.disqualified_why
                    why[kind] = why.get(kind, 0) + 1
            _write(session, changes, now)
            processed = len(changes)
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


def _write(session: Session, changes: list[dict[str, Any]], now: datetime) -> None:
    """Store the verdicts: batched UPDATEs, or on PostgreSQL one COPY and one joined UPDATE.

    PostgreSQL pays a round of index upkeep per UPDATE statement row either way, but a
    single UPDATE joined to a COPY-filled temporary table does it several times faster.
    """
    if not changes:
        return
    if session.get_bind().dialect.name != "postgresql":
        for batch in _chunks(changes, BATCH_SIZE):
            session.execute(_update_lead, batch)
        return
    connection = session.connection()
    _verdicts.create(connection)
    driver = connection.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor:
        columns = ", ".join(column.name for column in _verdicts.columns)
        with cursor.copy(f"COPY {_verdicts.name} ({columns}) FROM STDIN") as copy:
            for change in changes:
                copy.write_row(
                    (
                        change["lead_id"],
                        change["new_domain"],
                        change["new_status"].value,
                        change["new_reason"],
                        change["new_score"],
                        json.dumps(change["new_reasons"]),
                    )
                )
    session.execute(text(f"ANALYZE {_verdicts.name}"))
    verdict = _verdicts.c
    session.execute(
        update(_leads)
        .where(_leads.c.id == verdict.lead_id)
        .values(
            domain=verdict.domain,
            status=verdict.status,
            status_reason=verdict.status_reason,
            score=verdict.score,
            score_reasons=verdict.score_reasons,
            updated_at=now,
        )
    )


def _judge(
    scorer: Scorer,
    *,
    email: str,
    title: str,
    custom: dict[str, Any],
    blocked: set[str],
    suppressed_domains: set[str],
    suppressed: bool,
) -> dict[str, Any]:
    """Decide one lead: the column values its UPDATE sets."""
    address = email.strip().lower()
    domain = safety.domain_of(address)
    problem = email_problem(address)
    if problem is not None:
        return _disqualify(domain, f"invalid email: {problem}")
    suffixes = safety.domain_suffixes(domain) if blocked or suppressed_domains else []
    for suffix in suffixes:
        if suffix in blocked:
            return _disqualify(domain, f"blocked domain {suffix}")
    if suppressed:
        return _disqualify(domain, "suppressed address")
    for suffix in suffixes:
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
