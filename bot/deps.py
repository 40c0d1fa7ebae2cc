"""What every listener is handed, through the request context, under the name `deps`.

Only what lives as long as the process: settings and what its files say, the Slack client, the
engine's ends (sessions for the worker, gateways, clock), the worker and the caches. A
request's own database work goes through `db_session`, handed beside it
(bot/request_session.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from slack_sdk import WebClient

from bot.command_cache import Answers
from bot.live_config import LiveConfig
from bot.settings import BotSettings
from bot.worker import Worker
from cam.core.db import SessionFactory
from cam.core.ports import Gateways


@dataclass(frozen=True)
class Deps:
    settings: BotSettings
    # The mailboxes and snippets files and the cycle's config, read at start or last reload.
    config: LiveConfig
    client: WebClient
    # For the work after the ack, which outlives the request (a request uses `db_session`).
    # Its commits that write invalidate `answers` (bot/command_cache.py `invalidating`).
    session_factory: SessionFactory
    gateways: Gateways
    worker: Worker
    clock: Callable[[], datetime]
    # When the scheduler (if this process runs one) fires the next daily cycle.
    next_run_time: Callable[[], datetime | None]
    # Post the notifications the engine queued (reports, approvals) now, not at the next pass.
    deliver_notifications: Callable[[], object]
    # `/cam limits` and `/cam status`, served from memory; invalidated by each change.
    answers: Answers

    @property
    def owners(self) -> Mapping[str, str]:
        """Mailbox key -> its owner's Slack user ID, mentioned on the cards of its leads."""
        return self.config.owners
