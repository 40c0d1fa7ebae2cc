"""Turn the raw bytes of any incoming message into a `ParsedReply`, never raising.

Mail in the wild is often malformed: broken MIME boundaries, unknown or lying charsets, huge
parts, missing headers. Every step here degrades to something usable and says what it could
not do in `parse_note`, so that one odd message is stored and explained rather than crashing
the phase that reads the inbox.
"""

from __future__ import annotations

import codecs
import email
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from email import policy
from email.errors import MessageError
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from functools import lru_cache

from cam.replies.mail_text import MAX_TEXT_CHARS, clean_text, html_to_text, strip_quoted

# Read at most this much of a message: replies are short, anything bigger is an attachment.
MAX_RAW_BYTES = 2_000_000
# Walk at most this many MIME parts.
MAX_PARTS = 200

AUTO_REPLY_HEADERS = (
    "auto-submitted",
    "x-autoreply",
    "x-autorespond",
    "precedence",
    "x-auto-response-suppress",
)

_MSGID = re.compile(r"<[^<>\s]+>")
# The Date most mail systems write ("Wed, 04 Nov 2026 09:30:00 +0100"), read without the email
# package's slow general parser; anything else goes to that parser.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_CANONICAL_DATE = re.compile(
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?(\d{1,2}) (" + "|".join(_MONTHS) + r") (\d{4}) "
    r"(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})\Z"
)
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")


@dataclass(frozen=True)
class DsnRecipient:
    """One per-recipient block of an RFC 3464 delivery-status report.

    The recipient fields are kept as written (`type; address`): an X.400 or garbage address
    must stay recognisable as one (`cam.replies.bounces` decides which address is usable).
    """

    final_recipient: str
    action: str
    status: str
    diagnostic: str = ""
    original_recipient: str = ""


@dataclass
class ParsedReply:
    message_id: str
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    from_address: str = ""
    # The From header as written: a mail system may sign with no domain or a null address.
    from_header: str = ""
    subject: str = ""
    date: datetime | None = None
    text: str = ""
    # The text without the quoted earlier message: what the person actually wrote.
    new_text: str = ""
    auto_headers: dict[str, str] = field(default_factory=dict)
    content_type: str = ""
    is_delivery_report: bool = False
    dsn: tuple[DsnRecipient, ...] = ()
    # Message-ID of our message as a bounce quotes it back, and that message's In-Reply-To
    # (a follow-up step answers our first message) and To: (the address we sent it to).
    original_message_id: str | None = None
    returned_in_reply_to: tuple[str, ...] = ()
    returned_to: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)
    # The parsed tree, for detectors that read the message themselves (flufl.bounce).
    message: Message | None = None

    @property
    def parse_note(self) -> str | None:
        """Say, in one line, what could not be read as it should; None when all went well."""
        return "; ".join(self.notes)[:1000] if self.notes else None

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """Message-IDs this message refers to: the ones our outbox may hold."""
        ids = [*self.in_reply_to, *reversed(self.references)]
        if self.original_message_id:
            ids.append(self.original_message_id)
        ids.extend(self.returned_in_reply_to)
        return tuple(dict.fromkeys(ids))


def parse_reply(raw: bytes) -> ParsedReply:
    """Parse `raw` as well as it allows; at worst return an empty reply with a parse note."""
    try:
        return _parse(raw)
    except Exception as exc:  # a parser bug or a pathological message must not stop the phase
        return ParsedReply(
            message_id=synthetic_message_id(raw),
            notes=[f"unparseable message: {type(exc).__name__}"],
        )


def synthetic_message_id(raw: bytes) -> str:
    """Return a stable id for a message without a Message-ID, so it is stored only once."""
    return f"<{hashlib.sha256(raw).hexdigest()[:40]}@no-message-id.invalid>"


def _parse(raw: bytes) -> ParsedReply:
    notes: list[str] = []
    msg = email.message_from_bytes(raw[:MAX_RAW_BYTES], policy=policy.compat32)
    if len(raw) > MAX_RAW_BYTES:
        notes.append(f"message truncated to {MAX_RAW_BYTES} bytes")
    for defect in msg.defects[:3]:
        notes.append(f"MIME defect: {type(defect).__name__}")
    headers = _first_values(msg)

    ids = _MSGID.findall(_header(headers, "message-id", notes))
    message_id = ids[0][:300] if ids else synthetic_message_id(raw)
    if not ids:
        notes.append("no Message-ID")
    from_header = _header(headers, "from", notes)[:1000]
    reply = ParsedReply(
        message_id=message_id,
        in_reply_to=tuple(_MSGID.findall(_header(headers, "in-reply-to", notes))),
        references=tuple(_MSGID.findall(_header(headers, "references", notes))[-50:]),
        from_address=_address(from_header),
        from_header=from_header,
        subject=_header(headers, "subject", notes)[:1000],
        date=_date(_header(headers, "date", notes)),
        content_type=(content_type := msg.get_content_type()),
        notes=notes,
        message=msg,
    )
    if not reply.from_address:
        notes.append("no sender address")
    reply.auto_headers = {
        name: value
        for name in AUTO_REPLY_HEADERS
        if (value := _header(headers, name, notes).strip().lower())
    }
    reply.is_delivery_report = (
        content_type == "multipart/report"
        and str(msg.get_param("report-type", "", header="content-type")).lower()
        == "delivery-status"
    )
    _read_parts(msg, reply)
    _clean_fields(reply)
    reply.new_text = strip_quoted(reply.text)
    return reply


def _clean_fields(reply: ParsedReply) -> None:
    reply.message_id = clean_text(reply.message_id)
    reply.in_reply_to = tuple(clean_text(i) for i in reply.in_reply_to)
    reply.references = tuple(clean_text(i) for i in reply.references)
    reply.from_address = clean_text(reply.from_address)
    reply.from_header = clean_text(reply.from_header)
    reply.subject = clean_text(reply.subject)
    reply.text = clean_text(reply.text)
    reply.auto_headers = {k: clean_text(v) for k, v in reply.auto_headers.items()}
    if reply.original_message_id:
        reply.original_message_id = clean_text(reply.original_message_id)
    reply.returned_in_reply_to = tuple(clean_text(i) for i in reply.returned_in_reply_to)
    reply.returned_to = tuple(clean_text(a) for a in reply.returned_to)
    reply.dsn = tuple(
        DsnRecipient(
            final_recipient=clean_text(r.final_recipient),
            action=clean_text(r.action),
            status=r.status,
            diagnostic=clean_text(r.diagnostic),
            original_recipient=clean_text(r.original_recipient),
        )
        for r in reply.dsn
    )
    reply.notes[:] = [clean_text(n) for n in reply.notes]


def _first_values(msg: Message) -> dict[str, str]:
    """Each header's first value by its lower-case name, read in one pass over the headers.

    The raw value keeps 8-bit bytes (as surrogate escapes) that `get` would turn into U+FFFD.
    """
    values: dict[str, str] = {}
    for name, value in msg.raw_items():
        values.setdefault(name.lower(), str(value))
    return values


def _header(headers: dict[str, str], name: str, notes: list[str]) -> str:
    """Return a header decoded to text (RFC 2047 words included), '' when absent or unreadable."""
    value = headers.get(name)
    if value is None:
        return ""
    value = clean_text(value)
    if value.isascii() and "=?" not in value:
        # No encoded word to decode: the email package would return the value as it is.
        return " ".join(value.split())
    try:
        text = str(make_header(decode_header(value)))
    # A bad encoded word, an unknown charset, bytes that are not in it.
    except (MessageError, LookupError, ValueError):
        notes.append(f"undecodable {name} header")
        text = value
    return " ".join(text.split())


@lru_cache(maxsize=16)
def addresses(header: str) -> tuple[tuple[str, str], ...]:
    """The (name, address) pairs of an address header; the parser and the bounce check both
    read the sender's, and the email package reads it slowly: once per reply."""
    return tuple(getaddresses([header]))


def _address(value: str) -> str:
    addresses_ = [addr for _name, addr in addresses(value) if "@" in addr]
    if not addresses_:
        addr = parseaddr(value)[1]
        addresses_ = [addr] if "@" in addr else []
    return addresses_[0].strip().lower()[:320] if addresses_ else ""


def _date(value: str) -> datetime | None:
    if not value:
        return None
    if (canonical := _CANONICAL_DATE.match(value)) is not None:
        day, month, year, hour, minute, second, sign, zone_hours, zone_minutes = canonical.groups()
        offset = timedelta(hours=int(zone_hours), minutes=int(zone_minutes))
        try:
            written = datetime(
                int(year),
                _MONTHS.index(month) + 1,
                int(day),
                int(hour),
                int(minute),
                int(second),
                tzinfo=timezone(-offset if sign == "-" else offset),
            )
        except ValueError:
            pass  # the email package says what it makes of it
        else:
            return written.astimezone(UTC)
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _read_parts(msg: Message, reply: ParsedReply) -> None:
    """Collect the best text body, the DSN blocks and the bounced message's headers."""
    plain: list[str] = []
    html: list[str] = []
    dsn: list[DsnRecipient] = []
    returned: Message | None = None
    for part in _walk(msg, reply.notes):
        ctype = part.get_content_type()
        if ctype == "message/delivery-status":
            dsn.extend(_dsn_blocks(part, reply.notes))
        elif ctype in ("message/rfc822", "text/rfc822-headers"):
            returned = returned or _returned_headers(part)
        elif ctype.startswith("multipart/") and isinstance(body := part.get_payload(), str):
            # A multipart whose boundary was lost (a parameter on an unfolded line): its text.
            reply.notes.append("MIME structure unreadable: body read as plain text")
            plain.append(_strip_mime_lines(body))
        elif part.is_multipart() or part.get_content_disposition() == "attachment":
            continue
        elif ctype == "text/plain":
            plain.append(_decode(part, reply.notes))
        elif ctype == "text/html":
            html.append(html_to_text(_decode(part, reply.notes)))
    text = "\n".join(t for t in plain if t.strip()) or "\n".join(t for t in html if t.strip())
    if not text.strip() and msg.is_multipart() is False and msg.get_content_maintype() != "text":
        # A multipart whose boundary never appears arrives as one string: read it as text.
        raw_body = msg.get_payload()
        if isinstance(raw_body, str) and raw_body.strip():
            reply.notes.append("MIME structure unreadable: body read as plain text")
            text = _strip_mime_lines(raw_body)
    if len(text) > MAX_TEXT_CHARS:
        reply.notes.append(f"text truncated to {MAX_TEXT_CHARS} characters")
        text = text[:MAX_TEXT_CHARS]
    reply.text = text.replace("\r\n", "\n").replace("\r", "\n")
    reply.dsn = tuple(dsn)
    if returned is not None:
        _read_returned(returned, reply)


def _strip_mime_lines(body: str) -> str:
    """Drop boundary and part-header lines from a body whose MIME structure could not be read."""
    kept = [
        line
        for line in body.splitlines()
        if not line.startswith("--") and not re.match(r"(?i)content-[\w-]+:", line)
    ]
    return "\n".join(kept)


def _walk(msg: Message, notes: list[str]) -> list[Message]:
    """List the parts of `msg`, without entering an attached message (a bounced copy of ours)."""
    parts: list[Message] = []
    stack = [msg]
    while stack:
        if len(parts) >= MAX_PARTS:
            notes.append(f"more than {MAX_PARTS} MIME parts: the rest were skipped")
            break
        part = stack.pop()
        parts.append(part)
        if part.is_multipart() and part.get_content_maintype() != "message":
            payload = part.get_payload()
            if isinstance(payload, list):
                stack.extend(p for p in reversed(payload) if isinstance(p, Message))
    return parts


@lru_cache(maxsize=64)
def _charset_of(content_type: str) -> str:
    """The charset a Content-Type value declares, utf-8 when none, as the email package reads
    it: the package parses the parameters slowly, and most mail says the same few things."""
    part = Message()
    part["Content-Type"] = content_type
    return str(part.get_content_charset() or "utf-8")


def _decode(part: Message, notes: list[str]) -> str:
    """Decode a text part with its declared charset, falling back when it is unknown or lies."""
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # never crash: a part the email package cannot decode is noted, not fatal
        notes.append("undecodable transfer encoding")
        payload = None
    if not isinstance(payload, bytes):
        raw_payload = part.get_payload()
        return raw_payload if isinstance(raw_payload, str) else ""
    payload = payload[: MAX_TEXT_CHARS * 4]
    content_type = part.get("content-type")
    if isinstance(content_type, str):
        charset = _charset_of(content_type)
    else:
        charset = str(part.get_content_charset() or "utf-8")
    try:
        codecs.lookup(charset)
    except (LookupError, ValueError):
        notes.append(f"unknown charset {charset[:40]!r}")
        charset = ""
    if charset:
        try:
            return payload.decode(charset)
        except (UnicodeDecodeError, ValueError):
            notes.append(f"text is not valid {charset[:40]}")
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        return payload.decode("windows-1252", errors="replace")


def _dsn_blocks(part: Message, notes: list[str]) -> list[DsnRecipient]:
    """Read the per-recipient blocks of a message/delivery-status part."""
    blocks = part.get_payload()
    if isinstance(blocks, str):
        # Some generators put the fields in one text payload: parse it as header blocks.
        blocks = [
            email.message_from_string(chunk, policy=policy.compat32)
            for chunk in re.split(r"\r?\n\s*\r?\n", blocks)
            if chunk.strip()
        ]
    recipients = []
    for block in blocks if isinstance(blocks, list) else []:
        if not isinstance(block, Message):
            continue
        fields = _first_values(block)
        final = _header(fields, "final-recipient", notes)
        original = _header(fields, "original-recipient", notes)
        if not final and not original:
            continue  # the per-message block (Reporting-MTA, Arrival-Date)
        status_match = _STATUS.search(_header(fields, "status", notes))
        recipients.append(
            DsnRecipient(
                final_recipient=final[:400],
                action=_header(fields, "action", notes).lower()[:40],
                status=".".join(status_match.groups()) if status_match else "",
                diagnostic=_header(fields, "diagnostic-code", notes)[:500],
                original_recipient=original[:400],
            )
        )
    return recipients


def _returned_headers(part: Message) -> Message | None:
    """Return the headers of the message a bounce returns (or a reply attaches)."""
    if part.get_content_type() == "message/rfc822":
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        return inner if isinstance(inner, Message) else None
    raw = part.get_payload(decode=True)
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else ""
    return email.message_from_string(text, policy=policy.compat32)


def _read_returned(returned: Message, reply: ParsedReply) -> None:
    returned_headers = _first_values(returned)
    ids = _MSGID.findall(_header(returned_headers, "message-id", reply.notes))
    reply.original_message_id = ids[0][:300] if ids else None
    reply.returned_in_reply_to = tuple(
        i[:300] for i in _MSGID.findall(_header(returned_headers, "in-reply-to", reply.notes))[:5]
    )
    to = getaddresses([_header(returned_headers, "to", reply.notes)])
    reply.returned_to = tuple(
        dict.fromkeys(a.strip().lower()[:320] for _name, a in to[:10] if "@" in a)
    )
