"""The reply watcher of `cam-bot`: built from the settings, started and stopped by the scheduler."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.settings import BotSettings
from cam.core.db import SessionFactory
from cam.gateways.base import InboxReader
from cam.gateways.imap import ImapInboxReader
from cam.replies.learning import classifier_for
from cam.replies.watcher import ReplyWatcher


def reply_watcher(
    settings: BotSettings,
    session_factory: SessionFactory,
    reader: InboxReader,
    *,
    instance: str,
    clock: Callable[[], datetime],
    on_read: Callable[[], object],
) -> ReplyWatcher | None:
    """The watcher of the configured mailbox (IDLE when it is IMAP), or None without one.

    `on_read` runs after each read that found mail: the bot posts the new cards at once.
    """
    if not reader.configured:
        return None
    zone = ZoneInfo(settings.timezone)
    return ReplyWatcher(
        session_factory=session_factory,
        reader=reader,
        idle=reader.idle if isinstance(reader, ImapInboxReader) else None,
        classifier=classifier_for(session_factory, settings.replies_file, zone),
        zone=zone,
        instance=instance,
        poll_seconds=settings.reply_poll_seconds,
        on_read=lambda _read: on_read(),
        clock=clock,
    )
