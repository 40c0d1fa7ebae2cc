"""Posts to the report channel asked from Slack, one per channel and window across instances.

Each `/cam digest` asked in the report channel posts a digest and its chart there: twenty-five
asked in five seconds would fill the channel. The first request takes a lease named after what
it posts and the channel, for `WINDOW`, and lets it lapse rather than giving it back: whoever
asks meanwhile, or within the window, is told it was just posted, with a link once Slack has
it. `/cam run` keeps its own lease (one cycle at a time, however long it runs).
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select
from sqlalchemy.orm import Session

from cam.core import leases
from cam.core.db import SessionFactory, unit_of_work
from cam.core.models import Notification, NotificationStatus, NotificationTopic

log = logging.getLogger(__name__)

WINDOW = timedelta(minutes=1)


def claim(session: Session, *, what: str, channel: str, by: str, now: datetime) -> bool:
    """Take the right to post `what` to `channel` now; False when it was posted just now.

    The right holds for others once the session commits.
    """
    holder = f"{by}:{uuid.uuid4().hex}"
    return leases.take(session, f"post:{what}:{channel}"[:100], holder, WINDOW, now)


def latest_link(
    session_factory: SessionFactory,
    client: WebClient,
    *,
    topic: NotificationTopic,
    since: datetime,
) -> str | None:
    """The permalink of the latest `topic` message delivered since `since`; None if none yet."""
    with unit_of_work(session_factory) as session:
        found = session.execute(
            select(Notification.channel, Notification.external_id)
            .where(
                Notification.topic == topic,
                Notification.status == NotificationStatus.sent,
                Notification.created_at >= since,
            )
            .order_by(Notification.id.desc())
            .limit(1)
        ).first()
    if found is None or not found.channel or not found.external_id:
        return None
    try:
        answer = client.chat_getPermalink(channel=found.channel, message_ts=found.external_id)
    except SlackApiError as exc:
        log.warning("no permalink for the latest %s: %s", topic, exc.response.get("error"))
        return None
    link = str(answer.get("permalink") or "")
    return link if link.startswith("https://") else None
