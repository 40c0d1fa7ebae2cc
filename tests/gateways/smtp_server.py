"""A real SMTP server on loopback (aiosmtpd) for tests: STARTTLS or implicit TLS, AUTH, and a
handler that records what arrives and answers as told (4xx, 5xx, a dropped connection).

Fixtures: `smtp_ca` (a trustme CA for the session), `smtp_server` (STARTTLS required, AUTH
required), `smtps_server` (implicit TLS, AUTH required), `plain_smtp_server` (no TLS, no AUTH).
Each yields an `SmtpServer`; `server.settings(**overrides)` gives `Settings` that reach it, and
`server.handler.messages` holds every `ReceivedMail`; `outgoing(to)` makes a message to send.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword, Session
from aiosmtpd.smtp import Envelope as SmtpEnvelope

from cam.core.ports import OutgoingEmail
from cam.core.settings import Settings
from cam.core.unsubscribe_tokens import make_token
from cam.gateways.mail import new_message_id
from cam.gateways.smtp import SmtpEmailSender

HOST = "127.0.0.1"
USERNAME = "cam-sender"
PASSWORD = "Tr0ub4dor&3-smtp-test-password"
SECRET_KEY = "test-secret-key-for-unsubscribe-links"
MAIL_FROM = "Ana Sales <ana@acme.example>"
REPLY_TO = "replies@acme.example"
POSTAL_ADDRESS = "ACME Widgets Ltd, 1 Harbour Street, Springfield 12345, USA"
PUBLIC_URL = "https://cam.acme.example"


@dataclass(frozen=True)
class ReceivedMail:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        # Parsed with local line endings, as a mail client would show it.
        parsed = message_from_bytes(self.data.replace(b"\r\n", b"\n"), policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class RecordingHandler:
    """Keeps every accepted message; answers per recipient as a test tells it to."""

    messages: list[ReceivedMail] = field(default_factory=list)
    # Recipient address (lower case) -> the reply to its RCPT TO, e.g. "550 5.1.1 no such user".
    rcpt_replies: dict[str, str] = field(default_factory=dict)
    # Recipient address (lower case) -> the reply after its DATA, e.g. "451 4.3.0 try later".
    data_replies: dict[str, str] = field(default_factory=dict)
    # Recipients whose RCPT TO drops the connection: their message never arrives.
    drop_at_rcpt: set[str] = field(default_factory=set)
    # Recipients whose message is received and kept, then the connection drops unanswered.
    drop_after_data: set[str] = field(default_factory=set)
    # Seconds between keeping a message and answering it: a slow server, so that a sender
    # killed at a random moment often dies with its message taken but not yet acknowledged.
    delay: float = 0.0
    logins: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: SmtpEnvelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address.lower() in self.drop_at_rcpt:
            assert isinstance(server.transport, asyncio.Transport)
            server.transport.abort()
        reply = self.rcpt_replies.get(address.lower())
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: SmtpEnvelope) -> str:
        recipient = envelope.rcpt_tos[0].lower()
        reply = self.data_replies.get(recipient)
        if reply is not None:
            return reply
        content = envelope.original_content or b""
        mail = ReceivedMail(
            mail_from=str(envelope.mail_from), rcpt_tos=tuple(envelope.rcpt_tos), data=content
        )
        with self.lock:
            self.messages.append(mail)
        if recipient in self.drop_after_data:
            assert isinstance(server.transport, asyncio.Transport)
            server.transport.abort()
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 2.0.0 Message accepted"

    def received_by(self, address: str) -> list[ReceivedMail]:
        with self.lock:
            return [m for m in self.messages if address.lower() in (r.lower() for r in m.rcpt_tos)]


@dataclass
class SmtpServer:
    host: str
    port: int
    security: str
    handler: RecordingHandler
    ca_file: Path | None
    username: str
    password: str

    def settings(self, **overrides: Any) -> Settings:
        """Return settings that send through this server (field names as keywords)."""
        values: dict[str, Any] = {
            "smtp_host": self.host,
            "smtp_port": self.port,
            "smtp_security": self.security,
            "smtp_username": self.username,
            "smtp_password": self.password,
            "smtp_ca_file": self.ca_file,
            "smtp_timeout": 5.0,
        }
        return sender_settings(**(values | overrides))


def sender_settings(**overrides: Any) -> Settings:
    """Return settings of our test sender: From, Reply-To, postal address, links, secret."""
    values: dict[str, Any] = {
        "mail_from": MAIL_FROM,
        "reply_to": REPLY_TO,
        "postal_address": POSTAL_ADDRESS,
        "public_url": PUBLIC_URL,
        "secret_key": SECRET_KEY,
    }
    return Settings(**(values | overrides))


def outgoing(to: str, *, step: int = 1, **changes: object) -> OutgoingEmail:
    """Return a message from our test sender, with a genuine unsubscribe token."""
    values: dict[str, object] = {
        "to": to,
        "subject": "Quick question about your widgets",
        "text": "Hi Joe,\n\nWould a 15-minute call next week help?\n\nAna",
        "html": None,
        "message_id": new_message_id(MAIL_FROM),
        "unsubscribe_token": make_token(SECRET_KEY, to),
        "lead_id": 7,
        "step": step,
    }
    values.update(changes)
    return OutgoingEmail(**values)  # type: ignore[arg-type]


def connect_once(settings: Settings) -> None:
    """Open and close one connection (to see it fail)."""
    with SmtpEmailSender(settings).connect():
        pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _authenticator(
    handler: RecordingHandler,
) -> Any:
    def authenticate(
        server: SMTP, session: Session, envelope: SmtpEnvelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == USERNAME.encode()
            and auth_data.password == PASSWORD.encode()
        )
        if ok:
            handler.logins.append(mechanism)
        # handled=False: aiosmtpd answers 535 itself when the credentials are wrong.
        return AuthResult(success=ok, handled=False)

    return authenticate


@contextmanager
def running_smtp_server(
    ca: trustme.CA | None, ca_file: Path | None, *, security: str, auth: bool
) -> Iterator[SmtpServer]:
    """Start a server of the given kind on a free loopback port; stop it afterwards."""
    handler = RecordingHandler()
    server_ctx: ssl.SSLContext | None = None
    if ca is not None:
        server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert(HOST, "localhost").configure_cert(server_ctx)
    kwargs: dict[str, Any] = {"server_hostname": "mx.test"}
    if auth:
        kwargs.update(authenticator=_authenticator(handler), auth_required=True)
    if security == "starttls":
        kwargs.update(tls_context=server_ctx, require_starttls=True)
    elif security == "ssl":
        # aiosmtpd only knows of STARTTLS; this connection is TLS from its first byte.
        kwargs.update(ssl_context=server_ctx, auth_require_tls=False)
    else:
        # Tests of the plain mode only: AUTH over plain text is refused by default.
        kwargs.update(auth_require_tls=False)
    port = free_port()
    controller = Controller(handler, hostname=HOST, port=port, **kwargs)
    controller.start()
    try:
        yield SmtpServer(
            host=HOST,
            port=port,
            security=security,
            handler=handler,
            ca_file=ca_file,
            username=USERNAME if auth else "",
            password=PASSWORD if auth else "",
        )
    finally:
        controller.stop()


@pytest.fixture(scope="session")
def smtp_ca(tmp_path_factory: pytest.TempPathFactory) -> tuple[trustme.CA, Path]:
    """A CA made for this test run, and its certificate file for CAM_SMTP_CA_FILE."""
    ca = trustme.CA()
    path = tmp_path_factory.mktemp("smtp-ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return ca, path


@pytest.fixture
def smtp_server(smtp_ca: tuple[trustme.CA, Path]) -> Iterator[SmtpServer]:
    """STARTTLS required, AUTH (PLAIN/LOGIN) required."""
    ca, ca_file = smtp_ca
    with running_smtp_server(ca, ca_file, security="starttls", auth=True) as server:
        yield server


@pytest.fixture
def smtps_server(smtp_ca: tuple[trustme.CA, Path]) -> Iterator[SmtpServer]:
    """Implicit TLS from the first byte, AUTH required."""
    ca, ca_file = smtp_ca
    with running_smtp_server(ca, ca_file, security="ssl", auth=True) as server:
        yield server


@pytest.fixture
def plain_smtp_server() -> Iterator[SmtpServer]:
    """No TLS and no AUTH, as a relay on a trusted local network."""
    with running_smtp_server(None, None, security="none", auth=False) as server:
        yield server
