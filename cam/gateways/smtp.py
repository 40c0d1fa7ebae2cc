"""Send outreach through an SMTP relay: one verified, authenticated connection per batch.

What the server answers decides what the engine does with the message: 2xx accepted, 4xx try
again later, 5xx for the recipient a hard bounce. A refused connection, a failed login or a
link lost before a message was complete raises `GatewayError`: nothing was delivered. A link
lost while awaiting the verdict on a complete message raises `DeliveryUnknownError`: the
server may have taken it, so it must not be sent again blindly. The password never appears
in an error.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

from cam.core.placeholders import example_domain
from cam.core.ports import (
    DeliveryUnknownError,
    GatewayError,
    OutgoingEmail,
    SendOutcome,
    SendResult,
    mask_secret,
)
from cam.core.settings import Settings
from cam.gateways.mail import Composer, MailError, parse_address

log = logging.getLogger(__name__)


class SmtpEmailSender:
    """The `EmailSender` for a real SMTP relay (CAM_SMTP_*)."""

    name = "smtp"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # `.env.example`'s host is no server: it counts as not set up.
        self.configured = bool(settings.smtp_host and settings.mail_from) and not example_domain(
            settings.smtp_host
        )

    @contextmanager
    def connect(self) -> Iterator[SmtpConnection]:
        """Open, secure and log in one connection; close it when the batch is done."""
        settings = self.settings
        if not self.configured:
            raise GatewayError("SMTP is not configured (CAM_SMTP_HOST and CAM_FROM)")
        try:
            composer = Composer.from_settings(settings)
        except MailError as exc:
            raise GatewayError(f"cannot compose mail: {exc}") from exc
        client = self._open()
        try:
            yield SmtpConnection(client, composer, self._redact)
        finally:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()

    def check(self) -> None:
        """Connect, secure and log in, then leave without sending (the go-live preflight)."""
        client = self._open()
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()

    def _open(self) -> smtplib.SMTP:
        settings = self.settings
        where = f"{settings.smtp_host}:{settings.smtp_port}"
        client: smtplib.SMTP | None = None
        try:
            if settings.smtp_security == "ssl":
                client = smtplib.SMTP_SSL(
                    settings.smtp_host,
                    settings.smtp_port,
                    timeout=settings.smtp_timeout,
                    context=self._tls_context(),
                )
            else:
                client = smtplib.SMTP(
                    settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout
                )
            client.ehlo()
            if settings.smtp_security == "starttls":
                if not client.has_extn("starttls"):
                    # Never fall back to plain text: the password and the mail would leak.
                    raise GatewayError(
                        f"SMTP server {where} does not offer STARTTLS: set "
                        "CAM_SMTP_SECURITY=ssl if it is port 465 (TLS from the start), or none "
                        "only for a relay on this machine or a network you trust"
                    )
                client.starttls(context=self._tls_context())
                client.ehlo()
            if settings.smtp_username:
                if not client.has_extn("auth"):
                    raise GatewayError(self._no_auth(where))
                client.login(settings.smtp_username, settings.smtp_password.get_secret_value())
        except GatewayError:
            _close(client)
            raise
        except smtplib.SMTPAuthenticationError as exc:
            _close(client)
            raise GatewayError(
                f"SMTP login to {where} as {settings.smtp_username!r} failed: "
                f"{exc.smtp_code} {self._redact(_text(exc.smtp_error))}: check "
                "CAM_SMTP_USERNAME and CAM_SMTP_PASSWORD"
            ) from None
        except smtplib.SMTPResponseException as exc:
            _close(client)
            raise GatewayError(
                f"SMTP server {where} refused us: "
                f"{exc.smtp_code} {self._redact(_text(exc.smtp_error))}"
            ) from None
        except ssl.SSLError as exc:
            _close(client)
            raise GatewayError(self._tls_failed(where, exc)) from None
        except (smtplib.SMTPException, OSError) as exc:
            _close(client)
            raise GatewayError(
                f"cannot connect to SMTP server {where}: {self._redact(str(exc))}: check "
                "CAM_SMTP_HOST and CAM_SMTP_PORT"
            ) from None
        log.info("smtp connected to %s (%s)", where, settings.smtp_security)
        return client

    def _no_auth(self, where: str) -> str:
        """Say why a server offers no login, and which setting to change."""
        if self.settings.smtp_security == "none":
            return (
                f"connected to {where} but the server offers no AUTH (login) on a plain "
                "connection: set CAM_SMTP_SECURITY=starttls or check CAM_SMTP_PORT"
            )
        return (
            f"connected to {where} over TLS but the server offers no AUTH (login): check "
            "CAM_SMTP_PORT (587 for starttls, 465 for ssl), or leave CAM_SMTP_USERNAME empty "
            "for a relay that takes mail without a login"
        )

    def _tls_failed(self, where: str, exc: ssl.SSLError) -> str:
        """Say why TLS failed: a certificate we do not trust, or the wrong kind of port."""
        reason = self._redact(str(getattr(exc, "reason", None) or exc))
        if isinstance(exc, ssl.SSLCertVerificationError):
            return (
                f"connected to {where} but its certificate is not trusted ({reason}): check "
                "CAM_SMTP_HOST (the name on the certificate) or set CAM_SMTP_CA_FILE"
            )
        return (
            f"connected to {where} but TLS failed ({reason}): port 465 wants "
            "CAM_SMTP_SECURITY=ssl, port 587 starttls: check CAM_SMTP_SECURITY and CAM_SMTP_PORT"
        )

    def _tls_context(self) -> ssl.SSLContext:
        """Verify the server's certificate and name; trust CAM_SMTP_CA_FILE when given."""
        ca_file = self.settings.smtp_ca_file
        try:
            return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
        except OSError as exc:
            raise GatewayError(f"cannot read CAM_SMTP_CA_FILE {ca_file}: {exc.strerror}") from None

    def _redact(self, text: str) -> str:
        return mask_secret(text, self.settings.smtp_password.get_secret_value(), "**********")


class SmtpConnection:
    """One open connection; `send` runs one SMTP transaction and classifies the answers.

    The transaction is run step by step rather than with `smtplib.sendmail`, to know whether
    a lost link came before the message was complete (not delivered: `GatewayError`) or
    while waiting for the server's verdict on it (maybe delivered: `DeliveryUnknownError`).
    """

    def __init__(
        self, client: smtplib.SMTP, composer: Composer, redact: Callable[[str], str]
    ) -> None:
        self.client = client
        self.composer = composer
        self._redact = redact

    def send(self, message: OutgoingEmail) -> SendResult:
        try:
            recipient = parse_address(message.to, what="the recipient").addr_spec
            data = self.composer.render(message)
        except MailError as exc:
            # The address or ids can never be sent: as final as a 5xx for this recipient.
            return SendResult(SendOutcome.rejected, f"not sendable: {exc}")
        try:
            code, reply = self.client.mail(self.composer.envelope_from)
            if code != 250:
                self._reset()
                if 400 <= code < 500:
                    return SendResult(SendOutcome.retry_later, _detail(code, reply))
                # A refusal of our own address is no fault of the recipient's: stop the batch.
                raise GatewayError(
                    f"SMTP server refused our sender address: {self._redact(_detail(code, reply))}"
                )
            code, reply = self.client.rcpt(recipient)
            if code not in (250, 251):
                self._reset()
                return self._answer(code, reply, "recipient refused")
            code, reply = self.client.docmd("DATA")
            if code != 354:
                self._reset()
                return self._answer(code, reply, "message refused")
            self.client.send(_dot_stuffed(data))
        except (smtplib.SMTPException, OSError) as exc:
            raise GatewayError(f"SMTP connection lost: {self._redact(str(exc))}") from None
        try:
            code, reply = self.client.getreply()
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryUnknownError(
                f"SMTP connection lost awaiting the verdict on {message.message_id}: "
                f"{self._redact(str(exc))}"
            ) from None
        if code == 250:
            return SendResult(SendOutcome.accepted, _detail(code, reply))
        return self._answer(code, reply, "message refused")

    def _reset(self) -> None:
        """End a refused transaction so the connection serves the next message."""
        with suppress(smtplib.SMTPServerDisconnected):  # the next command reports it
            self.client.rset()

    def _answer(self, code: int, text: bytes | str, what: str) -> SendResult:
        detail = f"{what}: {_detail(code, text)}"
        if 400 <= code < 500:
            return SendResult(SendOutcome.retry_later, detail)
        if 500 <= code < 600:
            return SendResult(SendOutcome.rejected, detail)
        raise GatewayError(f"SMTP exchange failed: {self._redact(detail)}")


def _dot_stuffed(data: bytes) -> bytes:
    """Return the DATA payload: leading dots doubled, ended by the lone-dot line (RFC 5321)."""
    body = re.sub(rb"(?m)^\.", b"..", data)
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    return body + b".\r\n"


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _detail(code: int, text: bytes | str) -> str:
    return f"{code} {_text(text)}".strip()


def _close(client: smtplib.SMTP | None) -> None:
    if client is not None:
        client.close()
