"""What one Slack call of the notifier came to, and how Slack's refusals read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from slack_sdk.errors import SlackApiError

from cam.core.report import describe

# Slack's answers that say the message itself is wrong: posting it again cannot help.
MALFORMED = frozenset(
    {
        "invalid_arguments",
        "invalid_attachments",
        "invalid_blocks",
        "invalid_blocks_format",
        "markdown_text_conflict",
        "msg_too_long",
        "no_text",
        "too_many_attachments",
        "invalid_metadata_format",
        "invalid_metadata_schema",
        "metadata_too_large",
    }
)


@dataclass(frozen=True)
class PostOutcome:
    """What one post came to: a ts, or an error to retry (after `retry_in`, if Slack said)."""

    channel: str | None = None
    ts: str | None = None
    error: str | None = None
    permanent: bool = False
    retry_in: timedelta | None = None

    @property
    def retry(self) -> bool:
        return self.error is not None and not self.permanent


def error_code(exc: SlackApiError) -> str:
    data = exc.response.data
    return str(data.get("error", "")) if isinstance(data, dict) else ""


def slack_error(exc: SlackApiError) -> str:
    return f"HTTP {exc.response.status_code} {error_code(exc)}".strip()


def retry_after(headers: Any) -> timedelta | None:
    for key in ("Retry-After", "retry-after"):
        value = headers.get(key) if headers else None
        if isinstance(value, list):
            value = value[0] if value else None
        if value is not None:
            try:
                return timedelta(seconds=max(1, int(str(value).strip())))
            except ValueError:
                return None
    return None


def upload_error(exc: Exception) -> str:
    """Slack's error code when it gave one (e.g. missing_scope), else what failed."""
    if isinstance(exc, SlackApiError) and isinstance(exc.response.data, dict):
        return str(exc.response.data.get("error") or f"HTTP {exc.response.status_code}")
    return describe(exc)
