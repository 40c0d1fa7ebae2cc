"""Turn an `OutgoingEmail` into the exact bytes a mail server receives.

What mailbox providers and the law ask of unsolicited B2B mail lives here, in one place: an
RFC 5322 message with our own Message-ID, a footer with the postal address and an opt-out
(CAN-SPAM), the one-click unsubscribe headers (RFC 8058), an optional first-contact notice
(GDPR Art. 14), threading for follow-ups, and an optional DKIM signature over all of it.
"""

from __future__ import annotations

import html
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses
from pathlib import Path

from cam.core.ports import OutgoingEmail
from cam.core.settings import Settings
from cam.core.unsubscribe_tokens import unsubscribe_url

# Long headers (List-Unsubscribe URLs) must not be folded into encoded words; RFC 5322 allows
# 998 characters a line, and CRLF endings are what SMTP carries and DKIM signs.
MAIL_POLICY = policy.SMTP.clone(max_line_length=998)

# Headers the signature covers when present; From and both List-Unsubscribe headers as RFC
# 8058 asks, and the rest so that none of them can be altered or added in transit.
DKIM_HEADERS = (
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Reply-To",
    "In-Reply-To",
    "References",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "MIME-Version",
    "Content-Type",
)

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_MESSAGE_ID = re.compile(r"<[^<>\s@]+@[^<>\s@]+>")


class MailError(ValueError):
    """A message cannot be built from what we were given (a bad address or setting)."""


@dataclass(frozen=True)
class DkimKey:
    selector: str
    domain: str
    private_key: bytes


def parse_address(value: str, *, what: str) -> Address:
    """Return the single mailbox in `value` (`Name <a@b>` or `a@b`); refuse anything else."""
    if _CONTROL.search(value):
        raise MailError(f"{what} contains control characters")
    found = getaddresses([value])
    if len(found) != 1 or not found[0][1]:
        raise MailError(f"{what} is not one mail address")
    name, addr_spec = found[0]
    username, at, domain = addr_spec.rpartition("@")
    if not at or not username or not domain or "." not in domain:
        raise MailError(f"{what} is not a mail address")
    if not username.isascii():
        raise MailError(f"{what} has a non-ASCII local part, which needs SMTPUTF8")
    try:
        # An international domain travels in its ASCII (IDNA) form, in headers and envelope.
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise MailError(f"{what} has an invalid domain") from exc
    try:
        return Address(display_name=name, username=username, domain=domain)
    except (ValueError, IndexError) as exc:
        raise MailError(f"{what} is not a mail address") from exc


def new_message_id(sender: str) -> str:
    """Return a fresh, unguessable Message-ID, angle brackets included.

    `sender` is the From address (`Ana <ana@acme.com>`) or just its domain (`acme.com`).
    """
    if "@" in sender:
        domain = parse_address(sender, what="CAM_FROM").domain
    else:
        domain = parse_address(f"postmaster@{sender.strip()}", what="the sender domain").domain
    return f"<{secrets.token_hex(16)}@{domain}>"


def load_dkim_key(settings: Settings) -> DkimKey | None:
    """Return the signing key the settings name, or None when DKIM is off."""
    # dkimpy loads a DNS resolver with it: only a configured key needs it.
    from dkim.crypto import UnparsableKeyError, parse_pem_private_key

    if not settings.dkim_selector and settings.dkim_private_key_file is None:
        return None
    if not settings.dkim_selector or settings.dkim_private_key_file is None:
        raise MailError("DKIM needs both CAM_DKIM_SELECTOR and CAM_DKIM_PRIVATE_KEY_FILE")
    path = Path(settings.dkim_private_key_file)
    try:
        key = path.read_bytes()
    except OSError as exc:
        raise MailError(f"cannot read the DKIM key file {path}: {exc.strerror}") from exc
    try:
        parse_pem_private_key(key)
    except (UnparsableKeyError, ValueError) as exc:
        raise MailError(f"the DKIM key file {path} holds no PEM RSA private key") from exc
    domain = parse_address(settings.mail_from, what="CAM_FROM").domain
    return DkimKey(selector=settings.dkim_selector, domain=domain, private_key=key)


class Composer:
    """Builds and signs messages for one sender; made once per batch."""

    def __init__(self, settings: Settings, *, dkim_key: DkimKey | None = None) -> None:
        if not settings.postal_address.strip():
            raise MailError("CAM_POSTAL_ADDRESS must be set: every message carries it")
        self.settings = settings
        self.sender = parse_address(settings.mail_from, what="CAM_FROM")
        self.reply_to = (
            parse_address(settings.reply_to, what="CAM_REPLY_TO") if settings.reply_to else None
        )
        self.dkim_key = dkim_key

    @classmethod
    def from_settings(cls, settings: Settings) -> Composer:
        return cls(settings, dkim_key=load_dkim_key(settings))

    @property
    def envelope_from(self) -> str:
        """The address bounces go back to (SMTP MAIL FROM)."""
        return self.sender.addr_spec

    def message(self, email: OutgoingEmail, *, now: datetime | None = None) -> EmailMessage:
        """Return the message with all headers, the footer and the alternative parts."""
        recipient = parse_address(email.to, what="the recipient")
        link = unsubscribe_url(self.settings.public_url, email.unsubscribe_token)
        mailbox = (self.reply_to or self.sender).addr_spec

        msg = EmailMessage(policy=MAIL_POLICY)
        msg["From"] = self.sender
        msg["To"] = Address(username=recipient.username, domain=recipient.domain)
        if self.reply_to is not None:
            msg["Reply-To"] = self.reply_to
        msg["Subject"] = _subject(email)
        msg["Date"] = format_datetime((now or datetime.now(UTC)).astimezone(UTC))
        msg["Message-ID"] = _message_id(email.message_id)
        if email.in_reply_to:
            parent = _message_id(email.in_reply_to)
            msg["In-Reply-To"] = parent
            chain = [_message_id(ref) for ref in email.references] or [parent]
            msg["References"] = " ".join(chain)
        msg["List-Unsubscribe"] = f"<{link}>, <mailto:{mailbox}?subject=unsubscribe>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"

        notice = self.settings.first_contact_notice.strip() if email.step == 1 else ""
        text = _text_body(email.text, notice, self.settings.postal_address, link)
        msg.set_content(text, cte=_transfer_encoding(text))
        if email.html:
            page = _html_body(email.html, notice, self.settings.postal_address, link)
            msg.add_alternative(page, subtype="html", cte=_transfer_encoding(page))
            for part in msg.iter_parts():
                del part["MIME-Version"]  # belongs on the top level only
        return msg

    def render(self, email: OutgoingEmail, *, now: datetime | None = None) -> bytes:
        """Return the bytes to send, DKIM-signed when a key is configured."""
        msg = self.message(email, now=now)
        data = msg.as_bytes(policy=MAIL_POLICY)
        if self.dkim_key is None:
            return data
        import dkim

        include = [name.encode() for name in DKIM_HEADERS if name in msg]
        signature = dkim.sign(
            data,
            self.dkim_key.selector.encode(),
            self.dkim_key.domain.encode(),
            self.dkim_key.private_key,
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=include,
        )
        return bytes(signature) + data


def _subject(email: OutgoingEmail) -> str:
    # A template may hold a line break; in a header it would start a new header.
    subject = " ".join(_CONTROL.sub(" ", email.subject).split())
    if email.in_reply_to and not subject.lower().startswith("re:"):
        subject = f"Re: {subject}"
    return subject


def _transfer_encoding(body: str) -> str | None:
    # Not every relay speaks 8BITMIME: non-ASCII bodies travel as quoted-printable.
    return None if body.isascii() else "quoted-printable"


def _message_id(value: str) -> str:
    text = value.strip()
    if not text.startswith("<"):
        text = f"<{text}>"
    if not _MESSAGE_ID.fullmatch(text):
        raise MailError(f"not a Message-ID: {value!r}")
    return text


def _footer_lines(notice: str, postal_address: str, link: str) -> list[str]:
    lines = [notice] if notice else []
    lines.append(postal_address.strip())
    lines.append(f'To stop hearing from us, open {link} or reply "unsubscribe".')
    return lines


def _text_body(text: str, notice: str, postal_address: str, link: str) -> str:
    # "-- " is the signature separator mail clients recognise and fold away in quotes.
    footer = "\n".join(_footer_lines(notice, postal_address, link))
    return f"{text.rstrip()}\n\n-- \n{footer}\n"


def _html_body(body: str, notice: str, postal_address: str, link: str) -> str:
    parts = []
    if notice:
        parts.append(html.escape(notice))
    parts.append(html.escape(postal_address.strip()).replace("\n", "<br>"))
    parts.append(
        f'<a href="{html.escape(link, quote=True)}">Unsubscribe</a> or reply "unsubscribe".'
    )
    footer = '<hr><p style="font-size:12px;color:#666666">' + "<br>".join(parts) + "</p>"
    match = re.search(r"</body\s*>", body, flags=re.IGNORECASE)
    if match is None:
        return f"{body}\n{footer}\n"
    return f"{body[: match.start()]}{footer}\n{body[match.start() :]}"
