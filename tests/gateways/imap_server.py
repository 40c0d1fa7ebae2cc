"""A real IMAP server on loopback (pymap's in-memory `dict` backend) for tests.

It runs in a thread with its own event loop, on a socket bound to a free port, with one user.
Fixtures: `imap_ca` (a trustme CA for the session), `imap_server` (plain IMAP with STARTTLS
offered), `imaps_server` (implicit TLS). Each yields an `ImapServer`: `server.settings(...)`
gives `Settings` that reach it, `server.append(raw)` (or `append_many`) drops messages in a
folder over IMAP APPEND, and `server.recreate(folder)` deletes and re-creates a folder, which
gives it a new UIDVALIDITY. `running_imap_server(ca, ca_file, implicit_tls=...)` runs one
outside pytest.

Two faults of real servers, on demand: `server.omitted` holds UIDs that FETCH answers leave
out (the message stays listed by SEARCH), and `server.renumber(folder)` re-creates a folder
under its old UIDVALIDITY, so its UIDs start again from the first (a restored server).

pymap derives a new mailbox's UIDVALIDITY from the clock; here it comes from a fixed sequence
instead (the first mailbox gets `uidvalidity`, 2**32 - 1 unless told, each later one a step
lower), and a mailbox's first UID is `first_uid`, so no test depends on the time of day and
every test runs with IMAP's largest numbers.
"""

from __future__ import annotations

import asyncio
import imaplib
import itertools
import socket
import ssl
import threading
from argparse import Namespace
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import trustme
from proxyprotocol.reader import ProxyProtocolReader
from pymap.backend.dict import Config as DictConfig
from pymap.backend.dict import DictBackend
from pymap.backend.dict.mailbox import MailboxData
from pymap.backend.session import BaseSession
from pymap.config import BackendCapability
from pymap.imap import IMAPServer
from pymap.mailbox import MailboxSnapshot
from pysasl.hashing import BuiltinHash

from cam.core.settings import Settings

HOST = "127.0.0.1"
USERNAME = "replies@acme.example"
PASSWORD = "imap-Test-pa55word!"
MAX_UID = 2**32 - 1  # RFC 3501: UIDs and UIDVALIDITY are unsigned 32-bit (nz-number)


class _MailboxNumbers(threading.local):
    """The UIDVALIDITY sequence, first UID and faults of the server running in this thread."""

    uidvalidities: Iterator[int] = iter(())
    first_uid = 1
    # A UIDVALIDITY to give the next mailbox made, instead of the next in the sequence.
    reused: list[int] = []
    omitted: set[int] = set()


_numbers = _MailboxNumbers()
_pymap_init = MailboxData.__init__
_pymap_fetch = BaseSession.fetch_messages


def _fixed_uid_validity(cls: type[MailboxSnapshot]) -> int:
    return _numbers.reused.pop() if _numbers.reused else next(_numbers.uidvalidities)


async def _fetch_but_omitted(self: BaseSession[Any], *args: Any, **kwargs: Any) -> Any:
    # SEARCH still lists them: only the FETCH answer goes without them.
    found, selected = await _pymap_fetch(self, *args, **kwargs)
    return [(seq, msg) for seq, msg in found if msg.uid not in _numbers.omitted], selected


def _init_with_first_uid(self: MailboxData, *args: Any, **kwargs: Any) -> None:
    _pymap_init(self, *args, **kwargs)
    self._max_uid = _numbers.first_uid - 1


# pymap's servers in this process run in their own threads: each reads its own numbers.
MailboxSnapshot.new_uid_validity = classmethod(_fixed_uid_validity)  # type: ignore[method-assign,assignment]
MailboxData.__init__ = _init_with_first_uid  # type: ignore[method-assign]
BaseSession.fetch_messages = _fetch_but_omitted  # type: ignore[method-assign]


@dataclass
class ImapServer:
    port: int
    security: str
    ca_file: Path | None
    username: str = USERNAME
    password: str = PASSWORD
    # UIDs the server's FETCH answers leave out (shared with its thread).
    omitted: set[int] = field(default_factory=set)
    reused: list[int] = field(default_factory=list)

    def settings(self, **overrides: Any) -> Settings:
        """Return settings whose IMAP gateway reaches this server."""
        values: dict[str, Any] = {
            "CAM_IMAP_HOST": HOST,
            "CAM_IMAP_PORT": self.port,
            "CAM_IMAP_USERNAME": self.username,
            "CAM_IMAP_PASSWORD": self.password,
            "CAM_IMAP_SECURITY": self.security,
            "CAM_IMAP_CA_FILE": self.ca_file,
            "CAM_IMAP_FOLDER": "INBOX",
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)

    def client(self) -> imaplib.IMAP4:
        """Open a logged-in client connection, as a mail system delivering to the box would."""
        if self.security == "ssl":
            context = ssl.create_default_context(cafile=str(self.ca_file))
            conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(HOST, self.port, ssl_context=context)
        else:
            conn = imaplib.IMAP4(HOST, self.port)
        conn.login(self.username, self.password)
        return conn

    def append(self, raw: bytes, folder: str = "INBOX", *, landed: datetime | None = None) -> None:
        """Deliver `raw` into `folder` with IMAP APPEND (its INTERNALDATE `landed`, if given)."""
        self.append_many([raw], folder, landed=landed)

    def append_many(
        self, messages: Iterable[bytes], folder: str = "INBOX", *, landed: datetime | None = None
    ) -> None:
        """Deliver each message into `folder`, in order, over one connection."""
        stamp = imaplib.Time2Internaldate(landed) if landed is not None else None
        conn = self.client()
        try:
            for raw in messages:
                status, data = conn.append(f'"{folder}"', "", stamp, raw)
                assert status == "OK", data
        finally:
            conn.logout()

    def create(self, folder: str) -> None:
        conn = self.client()
        try:
            status, data = conn.create(f'"{folder}"')
            assert status == "OK", data
        finally:
            conn.logout()

    def renumber(self, folder: str) -> None:
        """Re-create `folder` empty under its UIDVALIDITY: its UIDs start again."""
        conn = self.client()
        try:
            status, data = conn.status(f'"{folder}"', "(UIDVALIDITY)")
            assert status == "OK", data
            self.reused.append(int(str(data[0]).split("UIDVALIDITY ")[1].split(")")[0]))
        finally:
            conn.logout()
        self.recreate(folder)

    def recreate(self, folder: str) -> None:
        """Delete and re-create `folder`: it comes back empty with a new UIDVALIDITY."""
        conn = self.client()
        try:
            assert conn.delete(f'"{folder}"')[0] == "OK"
            assert conn.create(f'"{folder}"')[0] == "OK"
        finally:
            conn.logout()


class _ConfigWithoutIdle(DictConfig):
    """The dict backend's settings, with IDLE left out of CAPABILITY (and refused)."""

    @property
    def backend_capability(self) -> BackendCapability:
        return BackendCapability(idle=False, object_id=True, multi_append=True)


class _Runner(threading.Thread):
    """Serve pymap on `sock` in this thread's event loop until stopped."""

    def __init__(
        self,
        sock: socket.socket,
        tls: ssl.SSLContext,
        implicit_tls: bool,
        uidvalidity: int,
        first_uid: int,
        idle: bool = True,
    ) -> None:
        super().__init__(daemon=True, name="pymap-test-server")
        self.omitted: set[int] = set()
        self.reused: list[int] = []
        self._idle = idle
        self._uidvalidity = uidvalidity
        self._first_uid = first_uid
        self._sock = sock
        self._tls = tls
        self._implicit = implicit_tls
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self.ready = threading.Event()
        self.failure: BaseException | None = None

    def run(self) -> None:
        _numbers.uidvalidities = itertools.count(self._uidvalidity, -1)
        _numbers.first_uid = self._first_uid
        _numbers.omitted, _numbers.reused = self.omitted, self.reused
        try:
            asyncio.run(self._serve())
        except BaseException as exc:
            self.failure = exc
            self.ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        args = Namespace(
            host=HOST,
            port=str(self._sock.getsockname()[1]),
            debug=False,
            cert=None,
            key=None,
            tls=not self._implicit,
            passlib_cfg=None,
            proxy_protocol=None,
            inherited_sockets=None,
            demo_data=False,
            demo_user=USERNAME,
            demo_password=PASSWORD,
        )
        backend, config = await DictBackend.init(
            args,
            ssl_context=self._tls,
            invalid_user_sleep=0.0,
            reject_dnsbl=False,
            # A test password need not resist brute force: hash it fast, logins stay quick.
            hash_context=BuiltinHash(rounds=1),
        )
        if not self._idle:
            # pymap takes `disable_idle` but its dict backend announces IDLE regardless.
            config.__class__ = _ConfigWithoutIdle
        config.apply_context()
        handler = ProxyProtocolReader(config.proxy_protocol).get_callback(
            IMAPServer(backend.login, config)
        )
        server = await asyncio.start_server(
            handler, sock=self._sock, ssl=self._tls if self._implicit else None
        )
        async with server:
            self.ready.set()
            await self._stopping.wait()

    def stop(self) -> None:
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        self.join(timeout=10)


@pytest.fixture(scope="session")
def imap_ca(tmp_path_factory: pytest.TempPathFactory) -> tuple[trustme.CA, Path]:
    """A certificate authority the tests trust, and its PEM file."""
    ca = trustme.CA()
    path = tmp_path_factory.mktemp("imap-ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return ca, path


@contextmanager
def running_imap_server(
    ca: trustme.CA,
    ca_file: Path,
    *,
    implicit_tls: bool,
    uidvalidity: int = MAX_UID,
    first_uid: int = 1,
    port: int = 0,
    idle: bool = True,
) -> Iterator[ImapServer]:
    """Run a fresh, empty server until the block ends (for fixtures and benchmarks).

    `port` reuses a port (a restart: same address, empty mailbox); `idle=False` leaves IDLE
    out of CAPABILITY, as some servers do.
    """
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(HOST, "localhost").configure_cert(context)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, port))
    sock.listen(16)
    runner = _Runner(sock, context, implicit_tls, uidvalidity, first_uid, idle)
    runner.start()
    if not runner.ready.wait(timeout=15) or runner.failure is not None:
        raise RuntimeError(f"pymap did not start: {runner.failure!r}")
    try:
        yield ImapServer(
            port=sock.getsockname()[1],
            security="ssl" if implicit_tls else "starttls",
            ca_file=ca_file,
            omitted=runner.omitted,
            reused=runner.reused,
        )
    finally:
        runner.stop()
        sock.close()


@pytest.fixture
def imap_server(imap_ca: tuple[trustme.CA, Path]) -> Iterator[ImapServer]:
    """A fresh, empty IMAP server offering STARTTLS; settings use `starttls`."""
    with running_imap_server(*imap_ca, implicit_tls=False) as server:
        yield server


@pytest.fixture
def imaps_server(imap_ca: tuple[trustme.CA, Path]) -> Iterator[ImapServer]:
    """A fresh, empty IMAP server on implicit TLS; settings use `ssl`."""
    with running_imap_server(*imap_ca, implicit_tls=True) as server:
        yield server
