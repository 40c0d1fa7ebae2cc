"""The world a simulated team lives in: its database, mail, inbox, Slack and campaign file.

Only the edges are stand-ins: mail goes to a real SMTP server on loopback (a wrapper can make
the process "die" right after a message is handed over), replies come from a scripted inbox
that implements the engine's `InboxReader`, LinkedIn steps become real manual tasks, and the
bot's notifier posts to the fake Slack Web API.
"""

from __future__ import annotations

import base64
import csv
import random
import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from sqlalchemy import Engine

from bot.notifier import Notifier, notifier_client
from cam.core.config import ChannelLimitConfig, SafetySettings
from cam.core.db import make_engine, session_factory
from cam.core.models import Base, Channel
from cam.core.ports import (
    EmailConnection,
    Gateways,
    InboxBatch,
    InboxMessage,
    OutgoingEmail,
    SendResult,
)
from cam.gateways.linkedin_tasks import LinkedInTaskPoster
from cam.gateways.noop import NoopCrmSyncer
from cam.gateways.smtp import SmtpEmailSender
from cam.leads.importer import import_leads
from tests.e2e.slack_client import settings_for
from tests.fakes.slack_api import FakeSlack
from tests.gateways.smtp_server import SECRET_KEY, SmtpServer
from tests.outreach.days import MONDAY, TeamDays

DOMAINS = ("alpha.example", "beta.example", "gamma.example", "delta.example", "omega.example")
TITLES = ("VP Sales", "Head of Sales", "CEO", "Intern", "Founder")
EMAIL_CAP, EMAIL_HOURLY_CAP, LINKEDIN_CAP, DOMAIN_CAP = 12, 4, 6, 3
STEP = """
[[steps]]
channel = "{channel}"
delay_days = {delay}
subject = "{subject}"
body = "Hi {{{{ first_name }}}}, step {number} for {{{{ company }}}}."
"""
# Campaign variants an edit switches between: steps (channel, delay days, subject).
CAMPAIGNS = (
    (("email", 0, "Hello {{ company }}"), ("linkedin", 2, ""), ("email", 3, "")),
    (("email", 0, "A question for {{ company }}"), ("email", 1, ""), ("linkedin", 2, "")),
    (("email", 0, "Hello again, {{ company }}"), ("email", 4, "")),
)
REPLY_BODIES = {
    "interested": "Good timing, we are interested. Let's set up a call next week.",
    "not_interested": "Thanks, but we are not interested. We have a solution in place.",
    "question": "What does it cost, and does it work with our CRM?",
}
# Replies with no text of their own: never an opt-out, whatever the model would say.
BLANK_FORMS = ("empty", "quote_only", "markup_only", "image_only")


class ProcessKilled(BaseException):
    """The process died: nothing of ours catches it, as nothing survives a SIGKILL."""


@dataclass
class DyingSender:
    """The real SMTP sender; when told to, the process dies right after a message went out."""

    inner: SmtpEmailSender
    name: str = "smtp"
    configured: bool = True
    die_after_next: bool = False

    @contextmanager
    def connect(self) -> Iterator[EmailConnection]:
        with self.inner.connect() as connection:
            yield _DyingConnection(self, connection)


@dataclass
class _DyingConnection:
    owner: DyingSender
    connection: EmailConnection

    def send(self, message: OutgoingEmail) -> SendResult:
        result = self.connection.send(message)
        if self.owner.die_after_next:
            self.owner.die_after_next = False
            raise ProcessKilled(message.to)
        return result


@dataclass
class ScriptedInbox:
    """An `InboxReader` whose mail the simulation writes."""

    name: str = "scripted-inbox"
    configured: bool = True
    uidvalidity: int = 1
    messages: list[bytes] = field(default_factory=list)
    # UIDs the next answers leave out, each for so many more answers (a flaky server).
    omitted: dict[int, int] = field(default_factory=dict)
    # UIDs some answer has held: a message left out is read only after it is served.
    served: set[int] = field(default_factory=set)
    # The simulated clock: each message's INTERNALDATE is when it was delivered.
    clock: Callable[[], datetime] = lambda: datetime(2026, 11, 23, tzinfo=UTC)
    landed: list[datetime] = field(default_factory=list)

    def fetch_since(
        self, uidvalidity: int, last_uid: int, *, retry: Sequence[int] = (), limit: int = 500
    ) -> InboxBatch:
        """Answer as an IMAP server does: new UIDs and retried ones, in order, up to `limit`."""
        wanted, asked = self._choose(uidvalidity, last_uid, retry, limit)
        left_out = [uid for uid in asked if self.omitted.get(uid, 0) > 0]
        for uid in left_out:
            self.omitted[uid] -= 1
        self.served.update(uid for uid in asked if uid not in left_out)
        return InboxBatch(
            self.uidvalidity,
            [
                InboxMessage(uid, self.messages[uid - 1], received_at=self.landed[uid - 1])
                for uid in asked
                if uid not in left_out
            ],
            missing=left_out,
            more=len(wanted) > limit,
        )

    def _deliver(self, raw: bytes) -> None:
        self.messages.append(raw)
        self.landed.append(self.clock())

    def fetch_heads(
        self, uidvalidity: int, last_uid: int, *, retry: Sequence[int] = (), limit: int = 500
    ) -> InboxBatch:
        """The same choice, each message its header only; a UID being left out is left out
        of this answer too, which does not count as one of its answers."""
        wanted, asked = self._choose(uidvalidity, last_uid, retry, limit)
        left_out = [uid for uid in asked if self.omitted.get(uid, 0) > 0]
        heads = [
            InboxMessage(uid, re.split(rb"\r?\n\r?\n", self.messages[uid - 1], maxsplit=1)[0])
            for uid in asked
            if uid not in left_out
        ]
        return InboxBatch(self.uidvalidity, heads, missing=left_out, more=len(wanted) > limit)

    def _choose(
        self, uidvalidity: int, last_uid: int, retry: Sequence[int], limit: int
    ) -> tuple[list[int], list[int]]:
        """The UIDs an answer wants (all of them after a new UIDVALIDITY), and the first
        `limit` of them it holds."""
        if uidvalidity != self.uidvalidity:
            last_uid, retry = 0, ()
        wanted = sorted(
            {u for u in retry if 0 < u <= last_uid}
            | set(range(last_uid + 1, len(self.messages) + 1))
        )
        return wanted, wanted[:limit]

    def leave_out_newest(self, answers: int) -> None:
        """Leave the newest message out of the next `answers` FETCH answers."""
        if self.messages:
            self.omitted[len(self.messages)] = answers

    def reply(
        self,
        sender: str,
        answering: str | None,
        body: str,
        *,
        headers: str = "",
        typed: bool = True,
    ) -> None:
        """A mail from `sender` in the thread of `answering`; `typed=False` when `headers`
        give its own Content-Type."""
        thread = f"In-Reply-To: {answering}\nReferences: {answering}\n" if answering else ""
        plain = "Content-Type: text/plain; charset=utf-8\n" if typed else ""
        self._deliver(
            (
                f"From: {sender}\nTo: ana@acme.example\nSubject: Re: our note\n"
                f"Date: {format_datetime(datetime(2026, 11, 23, tzinfo=UTC))}\n"
                f"Message-ID: <{uuid.uuid4().hex}@reply.example>\n{thread}{headers}"
                f"{plain}\n{body}\n"
            ).encode()
        )

    def blank(self, sender: str, answering: str | None, form: str) -> None:
        """A reply with no text of its own: `form` is one of `BLANK_FORMS`."""
        if form == "empty":
            self.reply(sender, answering, "")
        elif form == "quote_only":
            self.reply(sender, answering, "On Monday, Ana wrote:\n> Hi,\n> worth a call?\n>")
        elif form == "markup_only":
            self.reply(sender, answering, "&nbsp;&amp;&amp;&amp; <br> <<< >>> ... !!!")
        else:  # an image and nothing else
            boundary = uuid.uuid4().hex
            headers = f'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="{boundary}"\n'
            image = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(64)).decode()
            self.reply(
                sender,
                answering,
                f"--{boundary}\nContent-Type: image/png\nContent-Transfer-Encoding: base64\n"
                f"Content-Disposition: inline; filename=photo.png\n\n{image}\n--{boundary}--",
                headers=headers,
                typed=False,
            )

    def out_of_office(self, sender: str, answering: str | None, back: date) -> None:
        body = f"I am out of the office and will be back on {back:%d %B %Y}."
        headers = "Auto-Submitted: auto-replied\n"
        self.reply(sender, answering, body, headers=headers)

    def bounce(self, address: str, answering: str | None, *, mta: str = "mx.acme.example") -> None:
        """A delivery report that `address` failed, quoting our `answering` if given."""
        self.forged_bounce([address], quoted=answering, mta=mta)

    def forged_bounce(
        self, addresses: Sequence[str], *, quoted: str | None = None, mta: str = "attacker.example"
    ) -> None:
        """A delivery report naming `addresses` as failed, from anyone, citing `quoted` if given."""
        cited = f"Message-ID: {quoted}\n" if quoted else ""
        boundary = uuid.uuid4().hex
        lines = "".join(f"<{a}>: 550 5.1.1 User unknown\n" for a in addresses)
        blocks = "".join(
            f"Final-Recipient: rfc822; {a}\nAction: failed\nStatus: 5.1.1\n\n" for a in addresses
        )
        self._deliver(
            (
                f"From: MAILER-DAEMON@{mta} (Mail Delivery System)\n"
                "To: ana@acme.example\nSubject: Undelivered Mail Returned to Sender\n"
                f"Message-ID: <{uuid.uuid4().hex}@{mta}>\n"
                "Auto-Submitted: auto-replied\nMIME-Version: 1.0\n"
                "Content-Type: multipart/report; report-type=delivery-status;\n"
                f' boundary="{boundary}"\n\n--{boundary}\nContent-Type: text/plain\n\n'
                f"{lines}\n--{boundary}\n"
                f"Content-Type: message/delivery-status\n\nReporting-MTA: dns; {mta}\n\n"
                f"{blocks}--{boundary}\nContent-Type: text/rfc822-headers\n\n{cited}"
                f"To: {', '.join(addresses)}\n\n--{boundary}--\n"
            ).encode()
        )


def safety_settings() -> SafetySettings:
    """Small caps, so a few days of the simulation meet each of them."""
    return SafetySettings(
        channels={
            Channel.email: ChannelLimitConfig(daily_cap=EMAIL_CAP, hourly_cap=EMAIL_HOURLY_CAP),
            Channel.linkedin: ChannelLimitConfig(daily_cap=LINKEDIN_CAP),
        },
        per_domain_daily_cap=DOMAIN_CAP,
        min_gap_seconds=120,
        max_extra_gap_seconds=300,
    )


def write_campaign(path: Path, variant: int) -> None:
    steps = "".join(
        STEP.format(channel=channel, delay=delay, subject=subject, number=number)
        for number, (channel, delay, subject) in enumerate(CAMPAIGNS[variant], 1)
    )
    path.write_text(f'key = "sim"\nname = "Simulated"\nscore_threshold = 50\n{steps}')


def wipe(engine: Engine) -> None:
    """Empty every table: each example starts from a fresh, migrated database."""
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


class World:
    """One example's world; `close()` stops what it started."""

    def __init__(self, db_url: str, smtp: SmtpServer, folder: Path, seed: int) -> None:
        self.engine = make_engine(db_url)
        wipe(self.engine)
        self.sessions = session_factory(self.engine)
        self.folder = folder
        self.campaign_file = folder / "campaign.toml"
        write_campaign(self.campaign_file, 0)
        smtp.handler.messages.clear()
        self.smtp = smtp
        self.sender = DyingSender(SmtpEmailSender(smtp.settings(secret_key=SECRET_KEY)))
        self.inbox = ScriptedInbox(clock=lambda: self.days.clock.now)
        gateways = Gateways(
            email=self.sender, inbox=self.inbox, social=LinkedInTaskPoster(), crm=NoopCrmSyncer()
        )
        self.days = TeamDays(
            self.sessions,
            gateways,
            rng=random.Random(seed),
            overrides={
                "safety_settings": safety_settings(),
                "campaign_file": self.campaign_file,
                "max_outreach_per_day": 10,
                "max_followups_per_day": 10,
            },
        )
        self.days.clock.now = MONDAY + timedelta(hours=8)
        self.slack = FakeSlack().start()
        settings = settings_for(self.slack, db_url)
        self.notifier = Notifier(
            notifier_client(settings, timeout=5),
            self.sessions,
            settings,
            clock=self.days.clock,
            base_delay=timedelta(seconds=5),
            max_delay=timedelta(minutes=5),
        )
        self.imported = 0

    def close(self) -> None:
        self.slack.stop()
        self.engine.dispose()

    def import_leads(self, count: int, duplicates: int) -> None:
        """Import `count` new leads and `duplicates` earlier ones again (in upper case)."""
        rows = []
        for n in range(self.imported, self.imported + count):
            rows.append(self._lead_row(n, upper=False))
        for n in range(min(duplicates, self.imported)):
            rows.append(self._lead_row(n, upper=True))
        self.imported += count
        path = self.folder / f"leads-{self.imported}-{len(rows)}.csv"
        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(
                handle, fieldnames=["email", "first_name", "last_name", "company", "title"]
            )
            writer.writeheader()
            writer.writerows(rows)
        import_leads(self.sessions, path)

    def _lead_row(self, n: int, *, upper: bool) -> dict[str, str]:
        email = f"lead{n}@{DOMAINS[n % len(DOMAINS)]}"
        return {
            "email": email.upper() if upper else email,
            "first_name": f"First{n}",
            "last_name": f"Last{n}",
            "company": f"Company {n}",
            "title": TITLES[n % len(TITLES)],
        }

    def deliver_to_slack(self) -> None:
        self.notifier.deliver_pending()

    def slack_outage(self, failures: int) -> None:
        self.slack.fail("chat.postMessage", 503, times=failures)
