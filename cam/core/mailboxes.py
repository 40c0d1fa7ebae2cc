"""The team's sender mailboxes: each with its own accounts, owner, caps, warm-up and window.

A team lists them in a TOML file (`CAM_MAILBOXES_FILE`, see `cam/data/mailboxes.example.toml`).
Without one, the single-mailbox settings of `CAM_FROM`, `CAM_SMTP_*`, `CAM_IMAP_*` and the email
caps make one mailbox called `default`, so a team with one sender changes nothing. Passwords
never sit in the file: it names the environment variable that holds each.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import time
from email.utils import parseaddr
from pathlib import Path
from typing import Literal

from dotenv import dotenv_values
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from cam.core.config_files import line_of, load_model
from cam.core.settings import Settings, parse_hours

DEFAULT_KEY = "default"


class MailboxError(ValueError):
    """The mailboxes file cannot be used; the message names the line and the fix."""


class _Account(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = Field(min_length=1)
    port: int | None = Field(default=None, ge=1, le=65535)
    username: str = ""
    # The name of the environment variable holding the password, never the password.
    password_env: str = Field(default="", pattern=r"^([A-Za-z_][A-Za-z0-9_]*)?$")
    ca_file: Path | None = None


class SmtpAccount(_Account):
    security: Literal["starttls", "ssl", "none"] = "starttls"


class ImapAccount(_Account):
    security: Literal["starttls", "ssl", "none"] = "ssl"
    folder: str = "INBOX"


class SenderProfile(BaseModel):
    """The person a mailbox sends as, for templates: `{{ sender.first_name }}` and so on."""

    model_config = ConfigDict(frozen=True)

    first_name: str = ""
    name: str = ""
    title: str = ""
    # Several lines; without one in the file: the name, and the title under it.
    signature: str = ""
    booking_url: str = ""

    def variables(self) -> dict[str, str]:
        """The fields set, and only those: a template naming a missing one fails."""
        return {key: value for key, value in self.model_dump().items() if value}


class MailboxConfig(BaseModel):
    """One sender, as the team writes it in the mailboxes file."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    from_: str = Field(alias="from", min_length=3)
    owner: str = Field(default="", pattern=r"^([UW][A-Z0-9]{2,})?$")
    reply_to: str = ""
    # Who signs this mailbox's mail: `sender.*` in templates and snippets.
    name: str = Field(default="", max_length=200)
    title: str = Field(default="", max_length=200)
    signature: str = Field(default="", max_length=2000)
    booking_url: str = Field(default="", max_length=500, pattern=r"^(https?://\S+)?$")
    active: bool = True
    daily_cap: int = Field(default=20, ge=0)
    hourly_cap: int | None = Field(default=None, ge=1)
    warmup_start: int | None = Field(default=None, ge=0)
    warmup_increment: int = Field(default=5, ge=1)
    min_gap_seconds: int | None = Field(default=None, ge=0)
    send_window: str | None = None
    dkim_selector: str = ""
    dkim_private_key_file: Path | None = None
    smtp: SmtpAccount | None = None
    imap: ImapAccount | None = None

    @field_validator("from_")
    @classmethod
    def _address(cls, value: str) -> str:
        _name, address = parseaddr(value)
        if "@" not in address or address.startswith("@") or address.endswith("@"):
            raise ValueError("expected an address such as 'Maya Lind <maya@acme.example>'")
        return value

    @field_validator("send_window")
    @classmethod
    def _window(cls, value: str | None) -> str | None:
        if value is not None:
            parse_hours(value)
        return value

    @property
    def address(self) -> str:
        """The From address alone, lower case: how replies and owners find the mailbox."""
        return parseaddr(self.from_)[1].lower()

    @property
    def sender(self) -> SenderProfile:
        """Who signs this mailbox's mail; the name falls back to the From's display name."""
        name = " ".join((self.name or parseaddr(self.from_)[0]).split())
        signature = self.signature.strip("\n") or "\n".join(p for p in (name, self.title) if p)
        return SenderProfile(
            first_name=name.split(" ")[0] if name else "",
            name=name,
            title=self.title.strip(),
            signature=signature,
            booking_url=self.booking_url,
        )

    @property
    def hours(self) -> tuple[time, time] | None:
        """This mailbox's own send window, or None to use the team's."""
        return parse_hours(self.send_window) if self.send_window else None


class MailboxesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mailbox: list[MailboxConfig] = Field(min_length=1)


def load_mailboxes(settings: Settings) -> list[MailboxConfig]:
    """Return the team's mailboxes: the file's, or the one the single-mailbox settings make.

    Raise `MailboxError` in one line naming the file, the line and the fix.
    """
    path = settings.mailboxes_file
    if path is None:
        return [default_mailbox(settings)]
    if not path.exists():
        raise MailboxError(
            f"CAM_MAILBOXES_FILE names {path}, which does not exist: fix the path, or unset "
            "it to send from the one mailbox of CAM_FROM and CAM_SMTP_*"
        )
    listed = load_model(path, MailboxesFile, "mailboxes file", MailboxError).mailbox
    _refuse_duplicates(path, listed)
    return listed


def _same_address(address: str) -> str:
    """The address as a mailbox provider sees it: no case, no `+tag`, no trailing dot."""
    local, _, domain = address.strip().lower().rpartition("@")
    return f"{local.partition('+')[0]}@{domain.rstrip('.')}"


def _smtp_login(mailbox: MailboxConfig) -> str:
    """The SMTP account a mailbox logs in as (`user at host`), or "" when it logs in as none."""
    smtp = mailbox.smtp
    if smtp is None or not smtp.username:
        return ""
    return f"{smtp.username.strip().lower()} at {smtp.host.strip().lower().rstrip('.')}"


def _refuse_duplicates(path: Path, mailboxes: list[MailboxConfig]) -> None:
    """Refuse two entries for one key, one address or one SMTP account (its cap would double)."""
    checks = (
        ("key", ("key",), lambda m: m.key, "give each mailbox its own key"),
        (
            "address",
            ("from",),
            lambda m: _same_address(m.address),
            "case, a +tag and a trailing dot do not make another mailbox: list it once",
        ),
        (
            "SMTP login",
            ("smtp", "username"),
            _smtp_login,
            "one account's daily cap would count twice: list the account once",
        ),
    )
    seen: dict[tuple[str, str], MailboxConfig] = {}
    for index, mailbox in enumerate(mailboxes):
        for what, loc, value_of, fix in checks:
            value = value_of(mailbox)
            first = seen.setdefault((what, value), mailbox) if value else mailbox
            if first is not mailbox:
                raise MailboxError(
                    f"{_where(path, ('mailbox', index, *loc))}: mailbox {mailbox.key!r} has the "
                    f"same {what} as {first.key!r} ({value}): {fix}"
                )


def _where(path: Path, loc: tuple[int | str, ...]) -> str:
    """`mailboxes file PATH, line N`: where a person fixes what `loc` points at."""
    try:
        line = line_of(path.read_text(encoding="utf-8"), loc)
    except OSError:
        line = None
    return f"mailboxes file {path}" + (f", line {line}" if line else "")


def owners(mailboxes: Sequence[MailboxConfig]) -> dict[str, str]:
    """Return each mailbox's owner (a Slack user ID the file's check let through), by key."""
    return {mailbox.key: mailbox.owner for mailbox in mailboxes if mailbox.owner}


def owner_names(mailboxes: Sequence[MailboxConfig]) -> dict[str, str] | None:
    """Each value an import's owner column may hold (key, address, owner), lower case, to its
    mailbox key; None without a mailboxes file (the one mailbox takes every lead)."""
    if not mailboxes:
        return None
    names: dict[str, str] = {}
    for mailbox in mailboxes:
        for name in (mailbox.key, mailbox.address, mailbox.owner):
            if name:
                names[name.lower()] = mailbox.key
    return names


def default_mailbox(settings: Settings) -> MailboxConfig:
    """The one mailbox of a team without a mailboxes file, from today's settings."""
    smtp = imap = None
    if settings.smtp_host:
        smtp = SmtpAccount(host=settings.smtp_host, port=settings.smtp_port)
    if settings.imap_host:
        imap = ImapAccount(host=settings.imap_host, port=settings.imap_port)
    return MailboxConfig(
        key=DEFAULT_KEY,
        from_=settings.mail_from or "CAM <cam@cam.invalid>",
        reply_to=settings.reply_to,
        name=settings.sender_name,
        title=settings.sender_title,
        # `\n` in a one-line environment variable starts a new line of the signature.
        signature=settings.sender_signature.replace("\\n", "\n"),
        booking_url=settings.booking_url,
        daily_cap=settings.email_daily_cap,
        hourly_cap=settings.email_hourly_cap,
        warmup_start=settings.warmup_start,
        warmup_increment=settings.warmup_increment,
        smtp=smtp,
        imap=imap,
    )


def mailbox_settings(
    base: Settings, mailbox: MailboxConfig, environ: Mapping[str, str] | None = None
) -> Settings:
    """Return the settings as this mailbox's gateways see them (its accounts, From, DKIM).

    The default mailbox *is* the settings. For a listed one, each password is read from the
    variable the file names, in the environment or `.env` (as the other settings are); a
    missing variable is an error naming it and the line that names it.
    """
    if mailbox.key == DEFAULT_KEY and base.mailboxes_file is None:
        return base
    if environ is None:
        environ = _environment()
    update: dict[str, object] = {
        "mail_from": mailbox.from_,
        "reply_to": mailbox.reply_to,
        "dkim_selector": mailbox.dkim_selector,
        "dkim_private_key_file": mailbox.dkim_private_key_file,
        "smtp_host": "",
        "imap_host": "",
    }
    for prefix, account in (("smtp", mailbox.smtp), ("imap", mailbox.imap)):
        if account is None:
            continue
        if account.password_env and account.password_env not in environ:
            where = f"mailbox {mailbox.key!r}"
            if base.mailboxes_file is not None:
                listed = [m.key for m in load_mailboxes(base)]
                loc = ("mailbox", listed.index(mailbox.key), prefix, "password_env")
                where = f"{_where(base.mailboxes_file, loc)}: {where}"
            raise MailboxError(
                f"{where}: the environment variable {account.password_env} (its "
                f"{prefix.upper()} password) is not set: set it where cam runs, or in .env"
            )
        update |= _account(prefix, account, environ)
    if mailbox.imap is not None:
        update["imap_folder"] = mailbox.imap.folder
    return base.model_copy(update=update)


def _environment() -> dict[str, str]:
    """The variables a password may be in: `.env` (of the working folder), then the process's."""
    from_file = {k: v for k, v in dotenv_values(".env").items() if v is not None}
    return from_file | dict(os.environ)


def _account(
    prefix: str, account: SmtpAccount | ImapAccount, environ: Mapping[str, str]
) -> dict[str, object]:
    password = environ[account.password_env] if account.password_env else ""
    values: dict[str, object] = {
        f"{prefix}_host": account.host,
        f"{prefix}_username": account.username,
        f"{prefix}_password": SecretStr(password),
        f"{prefix}_security": account.security,
        f"{prefix}_ca_file": account.ca_file,
    }
    if account.port is not None:
        values[f"{prefix}_port"] = account.port
    return values
