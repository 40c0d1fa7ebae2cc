"""Refuse what Slack's signature check lets through: replays, and other workspaces.

Bolt checks each request's signature and that its timestamp is under five minutes old, but
keeps no memory of signatures, so a captured request can be sent again within that window
(a replayed `/cam pause` pauses again). Here the signature of every signed request is a nonce:
inserted under a unique key into the database all instances share, for as long as Bolt would
accept its timestamp; a second insert finds it and the request is refused, whichever instance
it reaches. Expired nonces are pruned as new ones arrive. With `SLACK_TEAM_ID` set, a request
from any other workspace is refused as well. Neither refusal logs the request's body.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from slack_bolt import BoltContext, BoltResponse
from slack_bolt.request import BoltRequest
from sqlalchemy import delete, text
from sqlalchemy.exc import SQLAlchemyError

from cam.core import bulk
from cam.core.db import SessionFactory, unit_of_work
from cam.core.models import RequestNonce

log = logging.getLogger(__name__)

# Bolt accepts a timestamp this old; a nonce is kept as long, plus a margin for clock skew.
REPLAY_WINDOW = timedelta(minutes=5)
CLOCK_MARGIN = timedelta(minutes=1)
SIGNATURE_HEADER = "x-slack-signature"

Middleware = Callable[[BoltRequest, BoltContext, Callable[[], BoltResponse]], BoltResponse | None]


def first_use(session_factory: SessionFactory, nonce: str, now: datetime) -> bool:
    """Record `nonce`; True the first time, False when any instance recorded it before."""
    with unit_of_work(session_factory) as session:
        if bulk.is_postgresql(session):
            # No wait for the WAL flush on the ack path: a crash may forget the last moment's
            # nonces, never store a wrong one (PostgreSQL's asynchronous commit).
            session.execute(text("SET LOCAL synchronous_commit TO OFF"))
        session.execute(delete(RequestNonce).where(RequestNonce.expires_at < now))
        row = {"nonce": nonce[:100], "expires_at": now + REPLAY_WINDOW + CLOCK_MARGIN}
        stored = bulk.insert_ignoring(session, RequestNonce, [row], returning=[RequestNonce.nonce])
        return bool(stored)


def request_guard(
    session_factory: SessionFactory,
    *,
    team_id: str | None,
    clock: Callable[[], datetime],
) -> Middleware:
    """Return the Bolt middleware that refuses replays and, if pinned, other workspaces.

    It runs after Bolt's own signature check, so only genuine signatures become nonces.
    Socket Mode requests carry no signature (the connection is the proof) and skip that part.
    """

    def guard(
        req: BoltRequest, context: BoltContext, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        if team_id is not None and context.team_id != team_id:
            log.warning(
                "refused a Slack request from workspace %r: SLACK_TEAM_ID pins %s",
                context.team_id,
                team_id,
            )
            return BoltResponse(status=403, body="this app serves another workspace")
        signature = req.headers.get(SIGNATURE_HEADER, [""])[0]
        signed = req.mode != "socket_mode" and bool(signature)
        if signed and not _first_use_or_unknown(session_factory, signature, clock()):
            log.warning("refused a replayed Slack request (signature seen before)")
            return BoltResponse(status=401, body="request already served")
        return next()

    return guard


def _first_use_or_unknown(session_factory: SessionFactory, nonce: str, now: datetime) -> bool:
    """`first_use`, but True when the database cannot record it: whatever a replay could
    change is stored in that same database, so nothing can change; `/cam status` still answers
    from memory meanwhile."""
    try:
        return first_use(session_factory, nonce, now)
    except SQLAlchemyError as exc:
        log.warning("replay check skipped: the database cannot be written (%s)", type(exc).__name__)
        return True
