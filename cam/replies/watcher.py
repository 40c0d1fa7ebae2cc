"""The reply watcher: replies are read as they arrive, not once a day.

With IMAP IDLE (RFC 2177), when the server announces it, the server tells us of new mail and
we read at once (and every `poll_seconds` all the same, in case a notice never came);
otherwise we poll every `poll_seconds`. Either way each read is phase 4's
own `read_mailbox` from the stored cursor (parse, classify, act, cards: one transaction per
batch), so a reconnect, a restarted server or a new UIDVALIDITY is handled as the daily phase
handles it, and the daily phase still reads whatever is left.

One instance watches a mailbox at a time: its watcher holds the mailbox's lease
(`reply_watcher`, or `reply_watcher:<key>` for each of several mailboxes) and renews it while
it runs; another instance takes over when it lapses. A lost connection is retried with
exponential backoff. The watcher ignores the pause switch on purpose: pausing stops sending,
never reading, because an unsubscribe request must be honoured at once.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from cam.core import leases
from cam.core.backoff import Backoff
from cam.core.db import SessionFactory, unit_of_work
from cam.core.mailboxes import DEFAULT_KEY
from cam.core.models import WatchMode, utcnow
from cam.core.ports import GatewayError, InboxIdle, InboxReader
from cam.replies import watch_state
from cam.replies.actions import WORKDAYS
from cam.replies.learning import Classify
from cam.replies.reading import read_mailbox
from cam.replies.storing import MailboxRead

log = logging.getLogger(__name__)

LEASE = "reply_watcher"


class LeaseLost(Exception):
    """Another instance holds the watcher's lease now: this one stops watching."""


class ReplyWatcher:
    """Watch one mailbox in a thread of its own: `start()`, then `stop()` at shutdown."""

    def __init__(
        self,
        *,
        session_factory: SessionFactory,
        reader: InboxReader,
        idle: Callable[[], InboxIdle] | None,
        classifier: Callable[[datetime], Classify],
        zone: ZoneInfo,
        instance: str,
        workdays: frozenset[int] = WORKDAYS,
        poll_seconds: float = 60.0,
        # Runs after each batch of a read that stored replies: their cards can go out.
        on_read: Callable[[MailboxRead], object] = lambda _read: None,
        clock: Callable[[], datetime] = utcnow,
        idle_renew_seconds: float = 300.0,
        backoff_seconds: float = 1.0,
        max_backoff_seconds: float = 300.0,
        lease_ttl: timedelta = timedelta(minutes=2),
        lease: str = LEASE,
        mailbox_key: str = DEFAULT_KEY,
    ) -> None:
        self._sessions = session_factory
        self._reader = reader
        # The sender mailbox this inbox belongs to: its bounces are checked against its sends.
        self._key = mailbox_key
        self._idle = idle
        self._classifier = classifier
        self._zone = zone
        self._workdays = workdays
        self.instance = instance
        self.poll_seconds = poll_seconds
        self._on_read = on_read
        self._clock = clock
        # RFC 2177: re-issue IDLE within 29 minutes; sooner also catches a silently dead link.
        self.idle_renew_seconds = min(idle_renew_seconds, 29 * 60.0)
        self._backoff = Backoff(first=backoff_seconds, cap=max_backoff_seconds)
        self._lease_ttl = lease_ttl
        self._lease = lease
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lease_renewed = 0.0
        # Failed attempts in a row; the backoff doubles with each, a good read resets it.
        self._failures = 0
        self.mode = WatchMode.idle if idle is not None else WatchMode.polling

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name="cam-reply-watcher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        """Stop watching and give the lease back; returns once the thread has ended."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run(self) -> None:
        """Watch until stopped: take the lease, watch, back off after each failure."""
        while not self._stop.is_set():
            try:
                if self._hold_lease(force=True):
                    self._watch()
                    continue
                pause = self._lease_ttl.total_seconds() / 4
            except LeaseLost:
                log.info("reply watcher: the lease went to another instance")
                continue
            except Exception as exc:  # never crash: the watcher thread backs off and tries again
                self._failures += 1
                pause = self._backoff.delay(self._failures)
                log.warning("reply watcher: %s; trying again in %.1f s", exc, pause)
                self._note_error(str(exc) if isinstance(exc, GatewayError) else type(exc).__name__)
            self._stop.wait(pause)
        with contextlib.suppress(Exception):
            leases.release(self._sessions, self._lease, self.instance)

    def _watch(self) -> None:
        if self._idle is not None:
            with self._idle() as connection:
                if connection.supported:
                    self.mode = WatchMode.idle
                    self._idle_loop(connection)
                    return
        self.mode = WatchMode.polling
        self._poll_loop()

    def _idle_loop(self, connection: InboxIdle) -> None:
        self.read()
        last_read = time.monotonic()
        # A notice the server fails to send (it happens) costs one poll interval at most.
        catch_up = min(self.poll_seconds, self.idle_renew_seconds)
        while not self._stop.is_set():
            self._hold_lease()
            news = connection.wait(1.0, self.idle_renew_seconds)
            if news or time.monotonic() - last_read >= catch_up:
                self.read()
                last_read = time.monotonic()

    def _poll_loop(self) -> None:
        while not self._stop.is_set():
            self.read()
            deadline = time.monotonic() + self.poll_seconds
            while not self._stop.is_set() and (left := deadline - time.monotonic()) > 0:
                self._hold_lease()
                self._stop.wait(min(left, self._lease_ttl.total_seconds() / 4))

    def read(self) -> MailboxRead:
        """Read the mailbox once, from the stored cursor; raise `GatewayError` if unreachable."""
        now = self._clock()
        read = read_mailbox(
            self._sessions,
            self._reader,
            self._classifier(now),
            now=now,
            zone=self._zone,
            workdays=self._workdays,
            on_batch=self._on_read,
            key=self._key,
        )
        if read.failed is not None:
            raise GatewayError(read.failed)
        self._failures = 0
        for message, item in read.errors:
            log.error("reply watcher: %s (%s)", message, item)
        with unit_of_work(self._sessions) as session:
            watch_state.record_read(
                session, mailbox=read.mailbox, mode=self.mode, holder=self.instance, now=now
            )
        if read.fetched:
            log.info("reply watcher read %d messages: %d cards", read.fetched, read.outcome.cards)
        return read

    def _hold_lease(self, *, force: bool = False) -> bool:
        """Take or renew the lease (at most every quarter of its lifetime unless `force`)."""
        fresh = time.monotonic() - self._lease_renewed < self._lease_ttl.total_seconds() / 4
        if fresh and not force:
            return True
        ours = leases.acquire(self._sessions, self._lease, self.instance, self._lease_ttl)
        if ours:
            self._lease_renewed = time.monotonic()
        elif not force:
            raise LeaseLost
        return ours

    def _note_error(self, error: str) -> None:
        try:
            with unit_of_work(self._sessions) as session:
                watch_state.record_error(
                    session,
                    mailbox=self._reader.name,
                    mode=self.mode,
                    holder=self.instance,
                    error=error,
                    now=self._clock(),
                )
        except Exception:  # never crash: the state shown in /cam status is best effort
            log.warning("reply watcher: its state could not be stored", exc_info=True)
