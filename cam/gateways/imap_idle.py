"""Wait for new mail in an IMAP folder with IDLE (RFC 2177), when the server announces it.

imaplib (Python 3.11) has no IDLE; imapclient's `idle()`, `idle_check()` and `idle_done()` drive
it on a connection of their own. This connection only waits: the messages are still read by
`ImapInboxReader` from the stored cursor, so there is one reading path whether the news came
from IDLE, a poll or a reconnect.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import ssl
import time
from collections.abc import Callable
from typing import Any

import imapclient  # type: ignore[import-untyped]

from cam.core.ports import GatewayError
from cam.core.settings import Settings

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 30.0
# Untagged responses that mean the folder changed.
NEWS = frozenset({b"EXISTS", b"RECENT"})
# An idle_check that comes back empty this much earlier than asked found the socket closed:
# imapclient swallows the EOF and returns nothing.
EARLY = 0.5
_ERRORS = (OSError, imaplib.IMAP4.error, ssl.SSLError, imapclient.exceptions.IMAPClientError)


class ImapIdle:
    """One logged-in connection on the folder; `wait()` blocks until the server says news.

    Use as a context manager. `supported` tells whether the server announced IDLE; when it did
    not, the caller polls instead and closes this connection.
    """

    def __init__(self, settings: Settings, scrub: Callable[[str], str]) -> None:
        self._settings = settings
        self._scrub = scrub
        self._client: Any = None
        self._idling_since: float | None = None
        self.supported = False

    def __enter__(self) -> ImapIdle:
        try:
            self._client = self._connect()
            self.supported = bool(self._client.has_capability("IDLE"))
            if self.supported:
                self._client.select_folder(self._settings.imap_folder, readonly=True)
        except _ERRORS as exc:
            self.close()
            raise GatewayError(self._scrub(f"IMAP connection for IDLE failed: {exc}")) from None
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def wait(self, timeout: float, renew_after: float) -> bool:
        """Wait up to `timeout` seconds in IDLE; True when the folder changed.

        IDLE is ended and issued again once it has lasted `renew_after` seconds: servers may
        drop a connection idle for 30 minutes, and a dead connection shows when it is renewed.
        """
        try:
            return self._wait(timeout, renew_after)
        except _ERRORS as exc:
            raise GatewayError(self._scrub(f"IMAP IDLE connection lost: {exc}")) from None

    def _wait(self, timeout: float, renew_after: float) -> bool:
        now = time.monotonic()
        if self._idling_since is not None and now - self._idling_since >= renew_after:
            self._client.idle_done()
            self._idling_since = None
        if self._idling_since is None:
            self._client.idle()
            self._idling_since = now
        started = time.monotonic()
        responses = self._client.idle_check(timeout=timeout)
        if not responses and time.monotonic() - started < timeout * EARLY:
            raise OSError("the server closed the connection")
        if any(len(r) > 0 and r[0] == b"BYE" for r in responses):
            raise OSError("the server said BYE")
        return any(len(r) > 1 and r[1] in NEWS for r in responses)

    def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        with contextlib.suppress(*_ERRORS):
            if self._idling_since is not None:
                client.idle_done()
        self._idling_since = None
        with contextlib.suppress(*_ERRORS):
            client.logout()
        with contextlib.suppress(*_ERRORS):
            client.shutdown()

    def _connect(self) -> Any:
        s = self._settings
        security = s.imap_security.lower()
        context = ssl.create_default_context(cafile=str(s.imap_ca_file) if s.imap_ca_file else None)
        if security not in ("ssl", "starttls", "none"):
            raise imaplib.IMAP4.error(f"unknown CAM_IMAP_SECURITY {s.imap_security!r}")
        client = imapclient.IMAPClient(
            s.imap_host,
            port=s.imap_port,
            ssl=security == "ssl",
            ssl_context=context,
            timeout=TIMEOUT_SECONDS,
        )
        try:
            if security == "starttls":
                client.starttls(ssl_context=context)
            client.login(s.imap_username, s.imap_password.get_secret_value())
        except BaseException:
            with contextlib.suppress(*_ERRORS):
                client.shutdown()
            raise
        return client
