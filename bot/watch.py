"""The reply watchers of `cam-bot`, one per mailbox: built from the settings, started and
stopped by the scheduler."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.settings import BotSettings
from cam.core.db import SessionFactory
from cam.core.mailboxes import DEFAULT_KEY
from cam.core.ports import Gateways
from cam.gateways.imap import ImapInboxReader
from cam.replies.learning import classifier_for
from cam.replies.watcher import LEASE, ReplyWatcher


def reply_watchers(
    settings: BotSettings,
    session_factory: SessionFactory,
    gateways: Gateways,
    *,
    instance: str,
    clock: Callable[[], datetime],
    on_read: Callable[[], object],
) -> list[ReplyWatcher]:
    """One watcher per mailbox that has an inbox (IDLE when it is IMAP), each on its own lease.

    `on_read` runs after each read that found mail: the bot posts the new cards at once.
    """
    zone = ZoneInfo(settings.timezone)
    inboxes = {key: mailbox.inbox for key, mailbox in gateways.mailboxes.items()}
    lease_of = {key: f"{LEASE}:{key}" for key in inboxes}
    if not inboxes:
        inboxes, lease_of = {DEFAULT_KEY: gateways.inbox}, {DEFAULT_KEY: LEASE}
    return [
        ReplyWatcher(
            session_factory=session_factory,
            reader=reader,
            idle=reader.idle if isinstance(reader, ImapInboxReader) else None,
            classifier=classifier_for(session_factory, settings.replies_file, zone),
            zone=zone,
            instance=instance,
            workdays=settings.send_weekdays,
            poll_seconds=settings.reply_poll_seconds,
            on_read=lambda _read: on_read(),
            clock=clock,
            lease=lease_of[key],
            mailbox_key=key,
        )
        for key, reader in inboxes.items()
        if reader.configured
    ]
