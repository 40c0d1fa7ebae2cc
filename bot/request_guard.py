"""Refuse what Slack's signature check lets through: replays, and other workspaces.

Bolt checks each request's signature and that its timestamp is under five minutes old, but
keeps no memory of signatures, so a captured request can be sent again within that window
(a replayed `/cam pause` pauses again). Here the signature of every signed request is a nonce
(bot/nonces.py): refused when this instance served it already, or when any instance stored it.
A request that changes something waits for its nonce's insert; one that changes nothing
(`/cam status`, answered from memory) only reads the table, and its nonce is stored just after
the ack, so the ack costs about what a bare Bolt app's does. With `SLACK_TEAM_ID` set, a
request from any other workspace is refused as well. Neither refusal logs the request's body.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from slack_bolt import BoltResponse
from slack_bolt.request import BoltRequest

from bot.middleware import Direct
from bot.nonces import Nonces
from cam.core.db import SessionFactory

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "x-slack-signature"


def request_guard(
    session_factory: SessionFactory,
    *,
    team_id: str | None,
    clock: Callable[[], datetime],
    changes_nothing: Callable[[dict[str, Any]], bool],
) -> Direct:
    """Return the Bolt middleware that refuses replays and, if pinned, other workspaces.

    It runs after Bolt's own signature check, so only genuine signatures become nonces.
    Socket Mode requests carry no signature (the connection is the proof) and skip that part.
    `changes_nothing(body)` tells the requests whose nonce may be stored after the answer.
    """
    nonces = Nonces(session_factory, clock)

    def guard(req: BoltRequest, next: Callable[[], BoltResponse]) -> BoltResponse | None:
        if team_id is not None and req.context.team_id != team_id:
            log.warning(
                "refused a Slack request from workspace %r: SLACK_TEAM_ID pins %s",
                req.context.team_id,
                team_id,
            )
            return BoltResponse(status=403, body="this app serves another workspace")
        signature = req.headers.get(SIGNATURE_HEADER, [""])[0]
        if req.mode == "socket_mode" or not signature:
            return next()
        now = clock()
        if not nonces.first_here(signature, now):
            return _refused()
        if changes_nothing(req.body):
            if nonces.seen_anywhere(signature):
                return _refused()
            nonces.store_later(signature)
        elif not nonces.first_anywhere(signature, now):
            return _refused()
        return next()

    return Direct(guard)


def _refused() -> BoltResponse:
    log.warning("refused a replayed Slack request (signature seen before)")
    return BoltResponse(status=401, body="request already served")
