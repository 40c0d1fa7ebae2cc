"""Each Slack event is handled once, whichever instance its redelivery reaches.

Slack delivers an event again (with `X-Slack-Retry-Num`) when the first delivery was not
acknowledged in time; each delivery is signed afresh, so the replay guard cannot tell them
apart, but the `event_id` stays the same. It is noted in the nonce table all instances share,
for longer than Slack goes on retrying (about five minutes); a second delivery finds it there
and does nothing. The check runs where the event's work is done, never on the ack path.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from cam.core import bulk
from cam.core.db import SessionFactory, unit_of_work
from cam.core.models import RequestNonce

EVENT_MEMORY = timedelta(hours=1)
_PREFIX = "event:"


def first_delivery(session_factory: SessionFactory, event_id: str, now: datetime) -> bool:
    """Record `event_id`; True the first time, False for any redelivery of it."""
    if not event_id:
        return True
    row = {"nonce": (_PREFIX + event_id)[:100], "expires_at": now + EVENT_MEMORY}
    with unit_of_work(session_factory) as session:
        stored = bulk.insert_ignoring(session, RequestNonce, [row], returning=[RequestNonce.nonce])
        return bool(stored)
