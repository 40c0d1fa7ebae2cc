"""The demo inbox's mail, written as mail systems write it (RFC 5322, CRLF line ends).

A person's reply and an auto-reply answer our message in its thread (In-Reply-To and
References); a bounce is a delivery status notification (RFC 3464) that returns our message's
headers, as most mail servers do. Nothing here decides anything: the cycle's reading chain
parses and classifies these bytes as it would a team's real mail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr


@dataclass(frozen=True)
class Thread:
    """The message being answered: who sent it to whom, its subject and Message-IDs."""

    ours: str  # our From: address
    ours_name: str
    lead: str  # the lead's address
    lead_name: str
    subject: str
    message_id: str
    # The thread's first message (our first email), when the answered one is a follow-up.
    root_id: str


def reply(thread: Thread, text: str, *, at: datetime, message_id: str) -> bytes:
    """A person's answer, in the thread of our message."""
    subject = thread.subject
    if not subject.lower().startswith("re:"):
        subject = f"Re: {subject}"
    return _answer(thread, text, at=at, message_id=message_id, subject=subject)


def out_of_office(thread: Thread, back: date, *, at: datetime, message_id: str) -> bytes:
    """An auto-reply (RFC 3834) that names the day its writer is back."""
    text = (
        "Thank you for your message. I am out of the office with limited access to email "
        f"and will be back on {back:%A %-d %B %Y}. I will reply when I am back."
    )
    subject = f"Automatic reply: {thread.subject}"
    headers = {"Auto-Submitted": "auto-replied", "X-Autoreply": "yes"}
    return _answer(thread, text, at=at, message_id=message_id, subject=subject, headers=headers)


def bounce(thread: Thread, *, at: datetime, message_id: str) -> bytes:
    """A permanent failure for the lead's address, returning our message's headers."""
    host = f"mx.{thread.lead.rpartition('@')[2]}"
    boundary = f"=_{message_id.strip('<>').partition('@')[0]}"
    lines = [
        f"From: Mail Delivery System <MAILER-DAEMON@{host}>",
        f"To: {thread.ours}",
        "Subject: Undelivered Mail Returned to Sender",
        f"Date: {format_datetime(at)}",
        f"Message-ID: {message_id}",
        "Auto-Submitted: auto-replied",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"',
        "",
        f"--{boundary}",
        "Content-Type: text/plain; charset=us-ascii",
        "",
        f"This is the mail system at host {host}.",
        "",
        "Your message could not be delivered to one or more recipients.",
        "",
        f"<{thread.lead}>: host {host} said: 550 5.1.1 <{thread.lead}>: Recipient address",
        "    rejected: User unknown in virtual mailbox table",
        "",
        f"--{boundary}",
        "Content-Type: message/delivery-status",
        "",
        f"Reporting-MTA: dns; {host}",
        f"Arrival-Date: {format_datetime(at)}",
        "",
        f"Final-Recipient: rfc822; {thread.lead}",
        f"Original-Recipient: rfc822; {thread.lead}",
        "Action: failed",
        "Status: 5.1.1",
        f"Diagnostic-Code: smtp; 550 5.1.1 <{thread.lead}>: User unknown",
        "",
        f"--{boundary}",
        "Content-Type: text/rfc822-headers",
        "",
        f"From: {formataddr((thread.ours_name, thread.ours))}",
        f"To: {thread.lead}",
        f"Subject: {thread.subject}",
        f"Message-ID: {thread.message_id}",
        "",
        f"--{boundary}--",
        "",
    ]
    return "\r\n".join(lines).encode()


def _answer(
    thread: Thread,
    text: str,
    *,
    at: datetime,
    message_id: str,
    subject: str,
    headers: dict[str, str] | None = None,
) -> bytes:
    mail = EmailMessage(policy=SMTP)
    mail["From"] = formataddr((thread.lead_name, thread.lead))
    mail["To"] = formataddr((thread.ours_name, thread.ours))
    mail["Subject"] = subject
    mail["Date"] = format_datetime(at)
    mail["Message-ID"] = message_id
    mail["In-Reply-To"] = thread.message_id
    mail["References"] = " ".join(dict.fromkeys((thread.root_id, thread.message_id)))
    for name, value in (headers or {}).items():
        mail[name] = value
    mail.set_content(text)
    return mail.as_bytes()
