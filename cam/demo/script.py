"""Who answers the demo's emails, when and with what: the same mail on every run.

Each evening some leads emailed that day answer: people with replies taken from the training
corpus (`cam/data/reply_corpus.jsonl`, English, picked by class with a fixed seed), an
auto-reply naming a return date, and a mail server's bounce. The mail goes into the demo's
inbox in the thread of the email it answers, and the next morning's cycle reads it.

A dry run stores no Message-ID (nothing went out), so the demo first gives each email it
would have sent the Message-ID it would have carried: replies can then cite it, and the
reading chain matches them by thread as it matches a team's mail.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cam.core.config import CAMCycleConfig
from cam.core.mailboxes import DEFAULT_KEY
from cam.core.models import Channel, Lead, OutreachMessage, OutreachStatus, ReplyClass
from cam.demo import mails
from cam.demo.inbox import DemoInbox
from cam.replies.classifier import CorpusRow, read_corpus

# The mail of the whole run, in order of arrival, spread evenly over its evenings. A mail
# server answers first (a bounce, an auto-reply), people later.
SCRIPT: tuple[ReplyClass, ...] = (
    ReplyClass.bounce,
    ReplyClass.out_of_office,
    ReplyClass.interested,
    ReplyClass.question,
    ReplyClass.not_interested,
    ReplyClass.question,
    ReplyClass.unsubscribe,
    ReplyClass.interested,
    ReplyClass.not_interested,
    ReplyClass.question,
    ReplyClass.interested,
    ReplyClass.not_interested,
)
# Written by a machine within minutes; people take a while.
MACHINE_DELAY = timedelta(minutes=2)
PERSON_DELAY = (timedelta(minutes=20), timedelta(hours=4))
# How long the absent lead is away, counted from the auto-reply.
AWAY = timedelta(days=9)
# Corpus replies short enough to read at a glance, without a quoted earlier message (the
# corpus quotes mail to other companies).
MAX_TEXT = 280
QUOTE_MARKS = ("wrote:", "Original Message", "\n>")


@dataclass(frozen=True)
class ScriptedMail:
    """One message the script put in the inbox, and what it is."""

    kind: ReplyClass
    lead_id: int
    lead: str
    message_id: str
    at: datetime
    # What the person wrote; empty for a machine's mail.
    text: str = ""
    # The day an auto-reply says its writer is back.
    back: date | None = None


def evenings(days: int) -> list[list[ReplyClass]]:
    """The kinds of mail arriving after each day's cycle: none after the last (unread)."""
    spread: list[list[ReplyClass]] = [[] for _ in range(days)]
    if days < 2:
        return spread
    for number, kind in enumerate(SCRIPT):
        spread[number * (days - 1) // len(SCRIPT)].append(kind)
    return spread


def corpus_by_class(rows: Sequence[CorpusRow] | None = None) -> dict[ReplyClass, list[str]]:
    """The corpus replies the demo may use, by class, in file order."""
    found: dict[ReplyClass, list[str]] = {}
    for row in read_corpus() if rows is None else rows:
        text = row.text.strip()
        if row.lang != "en" or row.data_request or len(text) > MAX_TEXT:
            continue
        if any(mark in text for mark in QUOTE_MARKS):
            continue
        found.setdefault(row.label, []).append(text)
    return found


@dataclass
class ReplyScript:
    """Delivers the script's mail to `inbox`, choosing its writers with a seeded `rng`."""

    inbox: DemoInbox
    config: CAMCycleConfig
    # Each mailbox's From address, by key: the address replies are written to.
    addresses: dict[str, str]
    rng: random.Random
    corpus: dict[ReplyClass, list[str]] = field(default_factory=corpus_by_class)
    mail: list[ScriptedMail] = field(default_factory=list)

    def give_message_ids(self, session: Session) -> None:
        """Give each email the dry run would have sent the Message-ID it would have carried."""
        rows = session.scalars(
            select(OutreachMessage)
            .where(
                OutreachMessage.channel == Channel.email,
                OutreachMessage.status == OutreachStatus.simulated,
                OutreachMessage.message_id.is_(None),
            )
            .order_by(OutreachMessage.id)
        )
        for row in rows:
            row.message_id = self._message_id(self.config.sender_domain)

    def deliver(
        self, session: Session, kinds: Sequence[ReplyClass], day: tuple[datetime, datetime]
    ) -> None:
        """Deliver mail of `kinds` answering emails that went out within `day` (start, end)."""
        written = {mail.lead_id for mail in self.mail}
        candidates = [
            (row, lead)
            for row, lead in session.execute(
                select(OutreachMessage, Lead)
                .join(Lead, Lead.id == OutreachMessage.lead_id)
                .where(
                    OutreachMessage.channel == Channel.email,
                    OutreachMessage.status == OutreachStatus.simulated,
                    OutreachMessage.sent_at >= day[0],
                    OutreachMessage.sent_at < day[1],
                )
                .order_by(OutreachMessage.id)
            )
            if lead.id not in written
        ]
        arrived = []
        for kind in kinds:
            if not candidates:
                break
            row, lead = candidates.pop(self.rng.randrange(len(candidates)))
            arrived.append(self._write(session, kind, row, lead))
        for mail, raw in sorted(arrived, key=lambda pair: pair[0].at):
            self.inbox.deliver(raw, mail.at)
            self.mail.append(mail)

    def _write(
        self, session: Session, kind: ReplyClass, row: OutreachMessage, lead: Lead
    ) -> tuple[ScriptedMail, bytes]:
        thread = self._thread(session, row, lead)
        own_id = self._message_id(lead.domain or thread.lead.rpartition("@")[2])
        sent = row.sent_at or row.scheduled_at
        if kind is ReplyClass.bounce:
            at = sent + MACHINE_DELAY
            raw = mails.bounce(thread, at=at, message_id=own_id)
            return ScriptedMail(kind, lead.id, thread.lead, own_id, at), raw
        if kind is ReplyClass.out_of_office:
            at = sent + MACHINE_DELAY
            back = (at + AWAY).date()
            raw = mails.out_of_office(thread, back, at=at, message_id=own_id)
            return ScriptedMail(kind, lead.id, thread.lead, own_id, at, back=back), raw
        low, high = PERSON_DELAY
        at = sent + low + (high - low) * self.rng.random()
        text = self.rng.choice(self.corpus[kind])
        self.corpus[kind].remove(text)
        raw = mails.reply(thread, text, at=at, message_id=own_id)
        return ScriptedMail(kind, lead.id, thread.lead, own_id, at, text), raw

    def _thread(self, session: Session, row: OutreachMessage, lead: Lead) -> mails.Thread:
        root = session.scalar(
            select(OutreachMessage.message_id)
            .where(
                OutreachMessage.lead_id == lead.id,
                OutreachMessage.channel == Channel.email,
                OutreachMessage.message_id.is_not(None),
            )
            .order_by(OutreachMessage.step)
            .limit(1)
        )
        key = lead.mailbox or DEFAULT_KEY
        profile = self.config.sender_profiles().get(key)
        return mails.Thread(
            ours=self.addresses.get(key, f"cam@{self.config.sender_domain}"),
            ours_name=profile.name if profile is not None else "",
            lead=lead.email,
            lead_name=lead.full_name,
            subject=row.subject or "",
            message_id=row.message_id or "",
            root_id=root or row.message_id or "",
        )

    def _message_id(self, domain: str) -> str:
        return f"<{self.rng.getrandbits(64):016x}@{domain}>"
