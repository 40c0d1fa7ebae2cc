"""A sales team of three sender mailboxes, each on its own real SMTP and IMAP server on loopback.

`maya` sends through STARTTLS with AUTH (her password from the environment variable the
mailboxes file names), `jonas` and `lea` through plain servers; each reads replies from its own
pymap server. Caps differ per mailbox and `maya` is on a warm-up ramp (2 on her first day, then
+2 a day, up to 6), so a test can tell each mailbox's limits apart. `running_team` writes the
mailboxes file and starts the six servers; `team.settings()` reaches them the way a deployed
process does (`CAM_MAILBOXES_FILE`, passwords from `team.env`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import time
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import trustme

from cam.bootstrap import sender_domain
from cam.core.config import CAMCycleConfig, ChannelLimitConfig, SafetySettings, SendWindow
from cam.core.mailboxes import load_mailboxes
from cam.core.models import Channel
from cam.core.settings import Settings
from tests.gateways import imap_server
from tests.gateways.imap_server import ImapServer, running_imap_server
from tests.gateways.smtp_server import SmtpServer, running_smtp_server, sender_settings


@dataclass(frozen=True)
class MailboxSpec:
    key: str
    name: str
    owner: str
    daily_cap: int
    warmup: tuple[int, int] | None = None  # (start, increment)
    tls_auth: bool = False

    @property
    def address(self) -> str:
        return f"{self.key}@{self.key}-sales.example"


MAYA = MailboxSpec("maya", "Maya Lind", "U0MAYA01", daily_cap=6, warmup=(2, 2), tls_auth=True)
JONAS = MailboxSpec("jonas", "Jonas Berg", "U0JONAS1", daily_cap=3)
LEA = MailboxSpec("lea", "Lea Roth", "U0LEA001", daily_cap=4)
SPECS = (MAYA, JONAS, LEA)


@dataclass(frozen=True)
class TeamMailbox:
    spec: MailboxSpec
    smtp: SmtpServer
    imap: ImapServer


@dataclass(frozen=True)
class Team:
    file: Path
    # The passwords, under the names the file gives: set them in the sending process.
    env: Mapping[str, str]
    mailboxes: Mapping[str, TeamMailbox]

    def settings(self, **overrides: Any) -> Settings:
        """Settings of the team's deployment: its mailboxes file, secret, postal address."""
        return sender_settings(mailboxes_file=self.file, **overrides)

    def received(self, key: str) -> list[str]:
        """The recipients of what `key`'s SMTP server took, in order."""
        return [
            rcpt for mail in self.mailboxes[key].smtp.handler.messages for rcpt in mail.rcpt_tos
        ]


def use_env(env: Mapping[str, str]) -> None:
    """Put the team's password variables into this process's environment (a worker's)."""
    os.environ.update(env)


@contextmanager
def running_team(
    smtp_ca: tuple[trustme.CA, Path],
    imap_ca: tuple[trustme.CA, Path],
    directory: Path,
    specs: Sequence[MailboxSpec] = SPECS,
) -> Iterator[Team]:
    """Start each mailbox's SMTP and IMAP server and write the mailboxes file that lists them."""
    with ExitStack() as stack:
        mailboxes = {}
        for spec in specs:
            ca, ca_file = smtp_ca if spec.tls_auth else (None, None)
            security = "starttls" if spec.tls_auth else "none"
            smtp = stack.enter_context(
                running_smtp_server(ca, ca_file, security=security, auth=spec.tls_auth)
            )
            imap = stack.enter_context(running_imap_server(*imap_ca, implicit_tls=False))
            mailboxes[spec.key] = TeamMailbox(spec, smtp, imap)
        file = directory / "mailboxes.toml"
        file.write_text("\n".join(_entry(mailbox) for mailbox in mailboxes.values()))
        env = {f"{key.upper()}_IMAP_PASSWORD": imap_server.PASSWORD for key in mailboxes}
        env |= {f"{m.spec.key.upper()}_SMTP_PASSWORD": m.smtp.password for m in mailboxes.values()}
        yield Team(file=file, env=env, mailboxes=mailboxes)


def _entry(mailbox: TeamMailbox) -> str:
    spec, smtp, imap = mailbox.spec, mailbox.smtp, mailbox.imap
    lines = [
        "[[mailbox]]",
        f'key = "{spec.key}"',
        f'from = "{spec.name} <{spec.address}>"',
        f'owner = "{spec.owner}"',
        f"daily_cap = {spec.daily_cap}",
        "min_gap_seconds = 0",
    ]
    if spec.warmup is not None:
        lines += [f"warmup_start = {spec.warmup[0]}", f"warmup_increment = {spec.warmup[1]}"]
    lines += [
        "[mailbox.smtp]",
        f'host = "{smtp.host}"',
        f"port = {smtp.port}",
        f'security = "{smtp.security}"',
        f'username = "{smtp.username}"',
        f'password_env = "{spec.key.upper()}_SMTP_PASSWORD"' if smtp.password else "",
        f'ca_file = "{smtp.ca_file}"' if smtp.ca_file else "",
        "[mailbox.imap]",
        f'host = "{imap_server.HOST}"',
        f"port = {imap.port}",
        f'security = "{imap.security}"',
        f'username = "{imap.username}"',
        f'password_env = "{spec.key.upper()}_IMAP_PASSWORD"',
        f'ca_file = "{imap.ca_file}"',
        "",
    ]
    return "\n".join(line for line in lines if line is not None)


def team_config(settings: Settings, *, per_domain: int = 3, **overrides: Any) -> CAMCycleConfig:
    """Live email from the team's mailboxes; a long window and no spacing: the caps bind."""
    values: dict[str, Any] = {
        "dry_run": False,
        "channels_enabled": frozenset({Channel.email}),
        "max_outreach_per_day": 500,
        "sender_domain": sender_domain(settings.mail_from),
        "secret_key": settings.secret_key,
        "safety_settings": SafetySettings(
            channels={Channel.email: ChannelLimitConfig(daily_cap=100)},
            per_domain_daily_cap=per_domain,
            send_window=SendWindow(start=time(7, 0), end=time(21, 0)),
            min_gap_seconds=0,
            max_extra_gap_seconds=0,
        ),
        "mailboxes": load_mailboxes(settings),
    }
    return CAMCycleConfig(**(values | overrides))


def reply_to(lead: str, mailbox: str, first_message_id: str, text: str) -> bytes:
    """A lead's answer to the first email a mailbox sent them, as their mail program writes it."""
    return (
        f"From: {lead}\r\nTo: {mailbox}\r\nSubject: Re: your email\r\n"
        f"Message-ID: {make_msgid(domain='prospect.example')}\r\n"
        f"In-Reply-To: {first_message_id}\r\nReferences: {first_message_id}\r\n"
        "Date: Wed, 25 Nov 2026 12:05:00 +0000\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"{text}\r\n"
    ).encode()
