"""The go-live preflight: everything live sending needs, checked for real, listed in words.

One list serves `cam check`, `/cam check`, `/cam live` and the go-live card, so what a person
reads before asking to go live is what the approver approves. Settings are checked for
presence and shape; the mail servers, the CRM and (from the bot) Slack are asked for real:
a login and a read, never a message sent or a record written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import StrEnum
from urllib.parse import urlsplit

from pydantic import BaseModel

from cam.core import placeholders
from cam.core.mailboxes import MailboxConfig, MailboxError, mailbox_settings
from cam.core.ports import GatewayError
from cam.core.settings import Settings
from cam.gateways.hubspot import HubSpotCrm
from cam.gateways.imap import ImapInboxReader
from cam.gateways.mail import MailError, load_dkim_key, parse_address
from cam.gateways.smtp import SmtpEmailSender

MIN_SECRET_KEY = 16
SENDER_ITEM = "Sender (CAM_FROM)"
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "0.0.0.0")  # noqa: S104


class CheckStatus(StrEnum):
    ok = "ok"
    failed = "failed"
    skipped = "skipped"  # optional and not set up: said, never blocking


class PreflightItem(BaseModel):
    """One thing sending needs: what it is (in words), how it went, and why."""

    name: str
    status: CheckStatus
    detail: str
    required: bool = True

    @property
    def blocking(self) -> bool:
        return self.required and self.status is not CheckStatus.ok


class Preflight(BaseModel):
    items: list[PreflightItem]

    @property
    def ready(self) -> bool:
        """True when nothing required fails: going live may be asked for."""
        return not self.failures

    @property
    def failures(self) -> list[PreflightItem]:
        return [item for item in self.items if item.blocking]


Check = Callable[[], PreflightItem]


def run_preflight(
    settings: Settings, mailboxes: Sequence[MailboxConfig], *, extra: Sequence[Check] = ()
) -> Preflight:
    """Check every setting and connection live sending needs; `extra` adds the bot's own.

    `mailboxes` are the mailboxes file's, as the process read it (empty without one).
    """
    items = [*_required_settings(settings)]
    if not mailboxes:
        items += [_smtp(settings), _imap(settings), _dkim(settings)]
    else:
        # Each listed mailbox on its own row; CAM_FROM and CAM_SMTP_* are not used then.
        items = [item for item in items if item.name != SENDER_ITEM]
        items += [_mailbox(settings, mailbox) for mailbox in mailboxes]
    items += [_crm(settings)]
    items += [check() for check in extra]
    return Preflight(items=items)


def _item(name: str, problem: str | None, ok: str, *, required: bool = True) -> PreflightItem:
    if problem is None:
        return PreflightItem(name=name, status=CheckStatus.ok, detail=ok, required=required)
    return PreflightItem(name=name, status=CheckStatus.failed, detail=problem, required=required)


def _required_settings(settings: Settings) -> list[PreflightItem]:
    key = settings.secret_key.get_secret_value()
    return [
        _item(
            "Unsubscribe links (CAM_SECRET_KEY)",
            None if len(key) >= MIN_SECRET_KEY else _secret_problem(key),
            "set: every email carries a working one-click unsubscribe link",
        ),
        _item(
            "Public address (CAM_PUBLIC_URL)",
            _public_url_problem(settings.public_url),
            f"{settings.public_url}: recipients can reach the unsubscribe page",
        ),
        _item(SENDER_ITEM, _sender_problem(settings.mail_from), settings.mail_from),
        _item(
            "Postal address (CAM_POSTAL_ADDRESS)",
            _postal_problem(settings.postal_address),
            "set: printed in every email's footer",
        ),
    ]


def _postal_problem(address: str) -> str | None:
    if not address.strip():
        return "not set: every email must show one"
    if placeholders.example_postal_address(address):
        return f"{address} is {placeholders.STILL_EXAMPLE}"
    return None


def _secret_problem(key: str) -> str:
    if not key:
        return "not set: without it no email can carry an unsubscribe link"
    return f"too short: use at least {MIN_SECRET_KEY} random characters"


def _public_url_problem(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        return f"{url} is not an https address: the unsubscribe links in emails would not work"
    if parts.hostname in _LOCAL_HOSTS:
        return f"{url} is this computer: recipients cannot reach it"
    if placeholders.example_domain(parts.hostname):
        return f"{url} is {placeholders.STILL_EXAMPLE}"
    return None


def _sender_problem(mail_from: str) -> str | None:
    if not mail_from.strip():
        return "not set: the address emails come from, e.g. Maya <maya@acme.com>"
    try:
        parse_address(mail_from, what="CAM_FROM")
    except MailError as exc:
        return str(exc)
    if placeholders.example_address(mail_from):
        return f"{mail_from} is {placeholders.STILL_EXAMPLE}"
    return None


def _smtp(settings: Settings) -> PreflightItem:
    name = "Sending mail (CAM_SMTP_*)"
    if not settings.smtp_host:
        return _item(name, "not set up: CAM_SMTP_HOST is empty, so nothing can be sent", "")
    if placeholders.example_domain(settings.smtp_host):
        return _item(name, _still_example("CAM_SMTP_HOST", settings.smtp_host), "")
    where = f"{settings.smtp_host}:{settings.smtp_port} ({settings.smtp_security})"
    try:
        SmtpEmailSender(settings).check()
    except GatewayError as exc:
        return _item(name, str(exc), "")
    if not settings.smtp_username:
        detail = f"connected to {where}, no login (CAM_SMTP_USERNAME is empty; no mail sent)"
        return _item(name, None, detail)
    return _item(name, None, f"logged in to {where} as {settings.smtp_username} (no mail sent)")


def _imap(settings: Settings) -> PreflightItem:
    name = "Reading replies (CAM_IMAP_*)"
    if not settings.imap_host:
        problem = "not set up: CAM_IMAP_HOST is empty, so replies would not stop follow-ups"
        return _item(name, problem, "")
    if placeholders.example_domain(settings.imap_host):
        return _item(name, _still_example("CAM_IMAP_HOST", settings.imap_host), "")
    try:
        ImapInboxReader(settings).check()
    except GatewayError as exc:
        return _item(name, str(exc), "")
    return _item(name, None, f"logged in and opened {settings.imap_folder}")


def _still_example(setting: str, value: str) -> str:
    return f"{setting} {value} is {placeholders.STILL_EXAMPLE}"


def _dkim(settings: Settings) -> PreflightItem:
    name = "DKIM signature (CAM_DKIM_*)"
    if not settings.dkim_selector and settings.dkim_private_key_file is None:
        return PreflightItem(
            name=name,
            status=CheckStatus.skipped,
            detail="not set: messages are not signed by CAM (your mail provider may sign them)",
            required=False,
        )
    try:
        load_dkim_key(settings)
    except MailError as exc:
        return _item(name, str(exc), "")
    return _item(name, None, f"key loaded, selector {settings.dkim_selector}")


def _mailbox(settings: Settings, mailbox: MailboxConfig) -> PreflightItem:
    """One mailbox of the file on one row: its SMTP login, IMAP login and folder, DKIM key."""
    name = f"Mailbox {mailbox.key} ({mailbox.address})"
    try:
        seen_as = mailbox_settings(settings, mailbox)
    except MailboxError as exc:
        return _item(name, str(exc), "")
    parts = [
        ("SMTP", _smtp(seen_as) if mailbox.smtp else None, "no [mailbox.smtp]: nothing is sent"),
        ("IMAP", _imap(seen_as) if mailbox.imap else None, "no [mailbox.imap]: replies unread"),
        ("DKIM", _dkim(seen_as), ""),
    ]
    problems, found = [], []
    for what, item, absent in parts:
        if item is None:
            problems.append(f"{what}: {absent}")
        elif item.blocking:
            problems.append(f"{what}: {item.detail}")
        elif item.status is CheckStatus.ok:
            found.append(f"{what}: {item.detail}")
    return _item(name, "; ".join(problems) or None, "; ".join(found))


def _crm(settings: Settings) -> PreflightItem:
    name = "CRM (CAM_HUBSPOT_TOKEN or CAM_CRM_WEBHOOK_URL)"
    if settings.hubspot_token.get_secret_value():
        try:
            HubSpotCrm.from_settings(settings).check()
        except GatewayError as exc:
            return _item(name, f"HubSpot: {exc}", "")
        return _item(name, None, "HubSpot answered with this token (nothing changed)")
    if settings.crm_webhook_url:
        detail = "webhook set (not called: a call would hand over a lead)"
        return PreflightItem(name=name, status=CheckStatus.ok, detail=detail, required=False)
    return PreflightItem(
        name=name,
        status=CheckStatus.skipped,
        detail="none: approved hot leads stay in Slack",
        required=False,
    )
