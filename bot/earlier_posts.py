"""The key each notifier post carries, and the look for it before a row is posted again.

A post whose answer was lost (a timeout after Slack accepted it, a crash before our commit)
is in the channel's history (or the thread's) with its row's key in its message metadata:
finding it there gives one message, not one per retry.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack_outcome import PostOutcome, error_code, slack_error
from cam.core.report import describe

log = logging.getLogger(__name__)

# The message metadata that names the row a message delivers (the key looked for on a retry).
METADATA_EVENT = "cam_notification"
# Slack's answers that say this install may never read the channel (an app installed before it
# asked for the history scopes): the look is skipped, not retried for ever.
CANNOT_LOOK = frozenset({"missing_scope", "not_allowed_token_type", "no_permission"})
# How far before the row's creation to look (clocks of Slack and of the database differ).
LOOKBACK_MARGIN = timedelta(minutes=5)
HISTORY_PAGE = 200
MAX_HISTORY_PAGES = 10


def metadata(deployment: str, row_id: int) -> dict[str, Any]:
    """The message metadata of the post delivering row `row_id` of this deployment."""
    return {"event_type": METADATA_EVENT, "event_payload": _key(deployment, row_id)}


def find(
    client: WebClient,
    channel: str,
    *,
    deployment: str,
    row_id: int,
    thread_ts: str | None,
    created: datetime,
) -> PostOutcome | None:
    """Find the message an earlier attempt posted though its answer was lost; None if
    there is none, an error outcome (retried later) if Slack cannot tell us now."""
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    oldest = f"{(created - LOOKBACK_MARGIN).timestamp():.6f}"
    key = _key(deployment, row_id)
    cursor: str | None = None
    try:
        for _ in range(MAX_HISTORY_PAGES):
            page = _history_page(client, channel, thread_ts, oldest, cursor)
            for message in page.get("messages") or []:
                if _delivers(message, key):
                    log.info("notification %s was posted already (ts %s)", row_id, message["ts"])
                    return PostOutcome(channel=channel, ts=str(message["ts"]))
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None
    except SlackApiError as exc:
        if error_code(exc) in CANNOT_LOOK:
            # This install cannot read the channel: post again, as before the look existed.
            log.warning(
                "notification %s: cannot look for an earlier post (%s: the app needs the "
                "channels:history and groups:history scopes); posting it again",
                row_id,
                error_code(exc),
            )
            return None
        return PostOutcome(error=f"cannot look for an earlier post: {slack_error(exc)}")
    except Exception as exc:  # timeouts, refused connections, unreadable answers
        return PostOutcome(error=f"cannot look for an earlier post: {describe(exc)}")
    return None


def _key(deployment: str, row_id: int) -> dict[str, Any]:
    return {"deployment": deployment, "id": row_id}


def _history_page(
    client: WebClient, channel: str, thread_ts: str | None, oldest: str, cursor: str | None
) -> Any:
    if thread_ts is not None:
        return client.conversations_replies(
            channel=channel,
            ts=thread_ts,
            oldest=oldest,
            limit=HISTORY_PAGE,
            cursor=cursor,
            include_all_metadata=True,
        )
    return client.conversations_history(
        channel=channel,
        oldest=oldest,
        limit=HISTORY_PAGE,
        cursor=cursor,
        include_all_metadata=True,
    )


def _delivers(message: Any, key: dict[str, Any]) -> bool:
    """Whether a message from the history is the post that carries `key`."""
    metadata = message.get("metadata") if isinstance(message, dict) else None
    if not isinstance(metadata, dict) or metadata.get("event_type") != METADATA_EVENT:
        return False
    return metadata.get("event_payload") == key and "ts" in message
