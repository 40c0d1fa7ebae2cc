"""Read new messages from an IMAP mailbox, read-only, since the last UID we saw.

A server may answer a UID FETCH without some of the messages asked for (one being delivered,
a backend hiccup): those come back in `missing`, for the caller to ask again. A server whose
highest UID is below the last one we saw, under the same UIDVALIDITY, was renumbered from 1
(a restore, a reinstalled server: RFC 3501 forbids it, servers do it): the folder is read from
its start and the batch says `reset`. A deleted newest message looks the same, and costs one
read from the start that the caller deduplicates by Message-ID. `fetch_heads` makes the same
choice of UIDs and reads only a few header fields of each: the caller chooses what to fetch
first.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from cam.core.placeholders import example_domain
from cam.core.ports import HEAD_FIELDS, GatewayError, InboxBatch, InboxMessage, mask_secret
from cam.core.settings import Settings
from cam.gateways.imap_idle import ImapIdle

log = logging.getLogger(__name__)

# UIDs fetched per FETCH command, and at most this many per poll: the rest wait for the next.
FETCH_CHUNK = 50
MAX_PER_POLL = 500
# Bytes read of one message: enough for any reply, and a cap on a huge attachment.
MAX_MESSAGE_BYTES = 2_000_000
# Heads: UIDs named per FETCH command (its line stays near 2 KB), at most this many per poll,
# and the bytes read of one head (a crafted References header cannot swell the read).
HEADS_CHUNK = 200
MAX_HEADS_PER_POLL = 2000
MAX_HEAD_BYTES = 16_384
TIMEOUT_SECONDS = 30.0

_UID = re.compile(rb"\bUID (\d+)")
_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")


@dataclass(frozen=True)
class _Part:
    """What a UID FETCH reads of each message, UIDs per command, and UIDs per poll at most."""

    items: str
    chunk: int
    most: int


_WHOLE = _Part(f"(UID INTERNALDATE BODY.PEEK[]<0.{MAX_MESSAGE_BYTES}>)", FETCH_CHUNK, MAX_PER_POLL)
_HEADS = _Part(
    f"(UID BODY.PEEK[HEADER.FIELDS ({' '.join(HEAD_FIELDS).upper()})]<0.{MAX_HEAD_BYTES}>)",
    HEADS_CHUNK,
    MAX_HEADS_PER_POLL,
)


class ImapInboxReader:
    """The `InboxReader` for an IMAP server: TLS (ssl, starttls or none), login, read-only."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        # `.env.example`'s host is no server: a dry run must not try it.
        self.configured = bool(settings.imap_host) and not example_domain(settings.imap_host)
        self.name = (
            f"imap://{settings.imap_username}@{settings.imap_host}:{settings.imap_port}"
            f"/{settings.imap_folder}"
        )[:300]

    def fetch_since(
        self,
        uidvalidity: int,
        last_uid: int,
        *,
        retry: Sequence[int] = (),
        limit: int = MAX_PER_POLL,
    ) -> InboxBatch:
        """Return the first `limit` messages after `last_uid` and those of `retry`, by UID;
        all of them if UIDVALIDITY changed or the folder was renumbered."""
        return self._read(_WHOLE, uidvalidity, last_uid, retry, limit)

    def fetch_heads(
        self,
        uidvalidity: int,
        last_uid: int,
        *,
        retry: Sequence[int] = (),
        limit: int = MAX_HEADS_PER_POLL,
    ) -> InboxBatch:
        """As `fetch_since`, each message only its `HEAD_FIELDS` (one small FETCH a chunk)."""
        return self._read(_HEADS, uidvalidity, last_uid, retry, limit)

    def check(self) -> None:
        """Log in and open the folder read-only, then leave (the go-live preflight)."""
        folder = self._settings.imap_folder
        conn = self._connected()
        try:
            status, data = conn.select(_quote(folder), readonly=True)
            if status != "OK":
                raise GatewayError(self._safe(f"cannot open folder {folder!r}: {data}"))
        except (OSError, imaplib.IMAP4.error, ssl.SSLError) as exc:
            raise GatewayError(self._safe(f"cannot open folder {folder!r}: {exc}")) from None
        finally:
            _logout(conn)

    def idle(self) -> ImapIdle:
        """A second connection, to wait for news with IDLE (enter it to connect)."""
        return ImapIdle(self._settings, self._safe)

    def _read(
        self, part: _Part, uidvalidity: int, last_uid: int, retry: Sequence[int], limit: int
    ) -> InboxBatch:
        conn = self._connected()
        try:
            return self._fetch(conn, part, uidvalidity, last_uid, retry, min(limit, part.most))
        except (OSError, imaplib.IMAP4.error, ssl.SSLError) as exc:
            raise GatewayError(self._safe(f"IMAP read from {self._where} failed: {exc}")) from None
        finally:
            _logout(conn)

    def _connected(self) -> imaplib.IMAP4:
        """Connect and log in; `GatewayError` naming the server if that fails."""
        try:
            return self._connect()
        except (OSError, imaplib.IMAP4.error, ssl.SSLError) as exc:
            raise GatewayError(
                self._safe(f"IMAP connection to {self._where} failed: {exc}")
            ) from None

    @property
    def _where(self) -> str:
        return f"{self._settings.imap_host}:{self._settings.imap_port}"

    def _safe(self, text: str) -> str:
        """Make sure an error text never carries the password, whatever the server echoed."""
        secret = self._settings.imap_password.get_secret_value()
        return mask_secret(text, secret)

    def _connect(self) -> imaplib.IMAP4:
        s = self._settings
        security = s.imap_security.lower()
        context = ssl.create_default_context(cafile=str(s.imap_ca_file) if s.imap_ca_file else None)
        conn: imaplib.IMAP4
        if security == "ssl":
            conn = imaplib.IMAP4_SSL(
                s.imap_host, s.imap_port, ssl_context=context, timeout=TIMEOUT_SECONDS
            )
        elif security in ("starttls", "none"):
            conn = imaplib.IMAP4(s.imap_host, s.imap_port, timeout=TIMEOUT_SECONDS)
            if security == "starttls":
                try:
                    conn.starttls(ssl_context=context)
                except BaseException:
                    _logout(conn)
                    raise
        else:
            raise imaplib.IMAP4.error(f"unknown CAM_IMAP_SECURITY {s.imap_security!r}")
        try:
            conn.login(s.imap_username, s.imap_password.get_secret_value())
        except imaplib.IMAP4.error as exc:
            _logout(conn)
            raise imaplib.IMAP4.error(f"login as {s.imap_username!r} refused: {exc}") from None
        return conn

    def _fetch(
        self,
        conn: imaplib.IMAP4,
        part: _Part,
        uidvalidity: int,
        last_uid: int,
        retry: Sequence[int],
        limit: int,
    ) -> InboxBatch:
        status, data = conn.select(_quote(self._settings.imap_folder), readonly=True)
        if status != "OK":
            raise imaplib.IMAP4.error(f"cannot open folder {self._settings.imap_folder!r}: {data}")
        current = _uidvalidity(conn, self._settings.imap_folder)
        if current != uidvalidity:
            log.info(
                "UIDVALIDITY of %s is %s (was %s): reading all", self.name, current, uidvalidity
            )
            last_uid, retry = 0, ()
        listed = _search(conn, last_uid)
        reset = bool(last_uid and listed and max(listed) < last_uid)
        if reset:
            log.warning(
                "%s: highest UID %s is below %s under the same UIDVALIDITY: reading all",
                self.name,
                max(listed),
                last_uid,
            )
            last_uid, retry = 0, ()
            listed = _search(conn, 0)
        # `n:*` always names the last message, even when it is older than n: keep the new ones.
        wanted = sorted(
            {u for u in retry if 0 < u <= last_uid} | {u for u in listed if u > last_uid}
        )
        asked = wanted[:limit]
        messages: list[InboxMessage] = []
        for start in range(0, len(asked), part.chunk):
            chunk = asked[start : start + part.chunk]
            messages.extend(_fetch_chunk(conn, part, chunk))
        found = {m.uid for m in messages}
        return InboxBatch(
            uidvalidity=current,
            messages=messages,
            missing=[u for u in asked if u not in found],
            reset=reset,
            more=len(wanted) > limit,
        )


def _search(conn: imaplib.IMAP4, last_uid: int) -> list[int]:
    """The UIDs `UID SEARCH` lists after `last_uid` (with the newest one, whatever its UID)."""
    # From the start, ask for ALL: a server may expand `1:*` into every number up to the
    # highest UID, which near IMAP's 2**32 - 1 is billions.
    status, data = conn.uid("SEARCH", f"UID {last_uid + 1}:*" if last_uid else "ALL")
    if status != "OK":
        raise imaplib.IMAP4.error(f"UID SEARCH failed: {data}")
    return [int(u) for u in b" ".join(d for d in data if d).split()]


def _fetch_chunk(conn: imaplib.IMAP4, part: _Part, uids: list[int]) -> list[InboxMessage]:
    status, data = conn.uid("FETCH", ",".join(map(str, uids)), part.items)
    if status != "OK":
        raise imaplib.IMAP4.error(f"UID FETCH failed: {data}")
    found: list[InboxMessage] = []
    for item in data:
        if not isinstance(item, tuple) or len(item) < 2:
            continue
        match = _UID.search(item[0])
        if match and int(match.group(1)) in uids:
            uid, landed = int(match.group(1)), _internal_date(item[0])
            found.append(InboxMessage(uid=uid, raw=bytes(item[1]), received_at=landed))
    return sorted(found, key=lambda m: m.uid)


def _internal_date(response: bytes) -> datetime | None:
    """The INTERNALDATE of a FETCH response line, in UTC; None when the server gave none."""
    stamp = imaplib.Internaldate2tuple(response)
    if stamp is None:
        return None
    return datetime.fromtimestamp(time.mktime(stamp), UTC)


def _uidvalidity(conn: imaplib.IMAP4, folder: str) -> int:
    _typ, data = conn.response("UIDVALIDITY")
    if data and data[0]:
        return int(data[0])
    status, data = conn.status(_quote(folder), "(UIDVALIDITY)")
    match = _UIDVALIDITY.search(b" ".join(d for d in data if isinstance(d, bytes)))
    if status != "OK" or match is None:
        raise imaplib.IMAP4.error(f"no UIDVALIDITY for folder {folder!r}")
    return int(match.group(1))


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _logout(conn: imaplib.IMAP4) -> None:
    with contextlib.suppress(OSError, imaplib.IMAP4.error):
        conn.logout()
