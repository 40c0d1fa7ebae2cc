"""`/healthz` (liveness) and `/readyz` (readiness), for the platform's checks.

`/healthz` says whether the process should be restarted: 503 only while the database cannot
serve; Slack being away is no reason (a restart would not bring it back), so it answers 200,
"degraded". `/readyz` says whether the bot can do its work: 503 with every reason while the
database, its schema, Slack or, once live, a sender mailbox is not usable; 200 when all are.
Point a platform's health check at `/healthz` and its alerts (or a load balancer that should
hold traffic back) at `/readyz`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import text

from bot import startup
from bot.responses import reply
from bot.startup import HealthChecks
from cam.core import db, leases, state
from cam.core.db import SessionFactory
from cam.core.mailboxes import DEFAULT_KEY
from cam.core.ports import Gateways

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse

log = logging.getLogger(__name__)

# The lease row the health check writes, proving the database still takes a commit.
HEALTH_PROBE = "healthz"


def answer_health(
    start_response: StartResponse, session_factory: SessionFactory, checks: HealthChecks
) -> Iterable[bytes]:
    """503 when the database cannot serve (unreachable, full, read-only, schema behind);
    degraded without Slack."""
    problem = database_problem(session_factory, checks)
    if problem is not None:
        return reply(start_response, "503 Service Unavailable", f"{problem}\n")
    if checks.slack is not None and checks.slack.problem is not None:
        return reply(start_response, "200 OK", f"degraded: {checks.slack.problem}\n")
    return reply(start_response, "200 OK", "ok\n")


def answer_ready(
    start_response: StartResponse, session_factory: SessionFactory, checks: HealthChecks
) -> Iterable[bytes]:
    """200 "ready", or 503 listing every reason the bot cannot do its work now."""
    reasons = []
    problem = database_problem(session_factory, checks)
    if problem is not None:
        reasons.append(problem)
    if checks.slack is not None and checks.slack.problem is not None:
        reasons.append(checks.slack.problem)
    if problem is None and checks.gateways is not None:
        reasons += _mailbox_problems(session_factory, checks.gateways)
    if reasons:
        listed = "".join(f"- {reason}\n" for reason in reasons)
        return reply(start_response, "503 Service Unavailable", f"not ready:\n{listed}")
    return reply(start_response, "200 OK", "ready\n")


def database_problem(session_factory: SessionFactory, checks: HealthChecks) -> str | None:
    """Say why the database cannot serve (unreachable, full, read-only, schema), or None."""
    try:
        with session_factory() as session:
            session.execute(text("SELECT 1"))
            schema = startup.schema_problem(session.connection(), checks.head)
        if schema is None:
            # A real commit: a full disk or a read-only file lets reads through, not writes.
            leases.acquire(session_factory, HEALTH_PROBE, "healthz", timedelta(0))
    except Exception as exc:
        problem = db.storage_problem(exc)
        log.warning("health check: %s (%s)", problem or "database unreachable", type(exc).__name__)
        return problem or "database unreachable"
    return schema


def _mailbox_problems(session_factory: SessionFactory, gateways: Gateways) -> list[str]:
    """Once live, name each sender mailbox that has no way out (no SMTP server set up)."""
    with db.unit_of_work(session_factory) as session:
        if state.get_state(session).dry_run:
            return []
    senders = {key: mailbox.email for key, mailbox in gateways.mailboxes.items()}
    senders = senders or {DEFAULT_KEY: gateways.email}
    return [
        f"mailbox {key}: live, but its sending mail (SMTP) is not set up"
        for key, sender in senders.items()
        if not sender.configured
    ]
