"""`/healthz`: 503 when the database cannot serve, degraded while Slack is away."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import text

from bot import startup
from bot.responses import reply
from bot.startup import HealthChecks
from cam.core import db, leases
from cam.core.db import SessionFactory

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
        return reply(
            start_response, "503 Service Unavailable", f"{problem or 'database unreachable'}\n"
        )
    if schema is not None:
        return reply(start_response, "503 Service Unavailable", f"{schema}\n")
    if checks.slack is not None and checks.slack.problem is not None:
        return reply(start_response, "200 OK", f"degraded: {checks.slack.problem}\n")
    return reply(start_response, "200 OK", "ok\n")
