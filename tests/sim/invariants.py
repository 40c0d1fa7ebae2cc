"""What must hold after every step of the simulation, each check returning what it found wrong."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime

from sqlalchemy import func, select

from cam.core.db import SessionFactory, unit_of_work
from cam.core.models import (
    Channel,
    LabelTrust,
    Lead,
    LeadStatus,
    MailboxCursor,
    Notification,
    OutreachMessage,
    Reply,
    ReplyLabel,
    Suppression,
    SuppressionSource,
    TriageChoice,
)
from cam.leads import status as lead_status
from cam.outreach.outbox_status import NOT_YET_SENT
from cam.replies.parser import parse_reply
from cam.replies.rules import by_rule
from tests.fakes.slack_api import FakeSlack
from tests.gateways.smtp_server import ReceivedMail
from tests.outreach.days import WENT_OUT
from tests.sim.world import DOMAIN_CAP, EMAIL_CAP, EMAIL_HOURLY_CAP, LINKEDIN_CAP

CAPS = {Channel.email: EMAIL_CAP, Channel.linkedin: LINKEDIN_CAP}
_MESSAGE_ID = re.compile(r"<[^<>\s]+@[^<>\s]+>")
# Sources decided on a reply: the ledger row must name it.
_ON_A_REPLY = {SuppressionSource.phrase, SuppressionSource.complaint, SuppressionSource.team}


def gone_out(sessions: SessionFactory) -> list[tuple[OutreachMessage, Lead]]:
    with unit_of_work(sessions) as session:
        query = (
            select(OutreachMessage, Lead)
            .join(Lead, Lead.id == OutreachMessage.lead_id)
            .where(OutreachMessage.status.in_(WENT_OUT))
        )
        return [(row, lead) for row, lead in session.execute(query).all()]


def caps_exceeded(rows: list[tuple[OutreachMessage, Lead]]) -> list[str]:
    """Count what went out per channel and day, email per hour, and per domain and day."""
    per_day: Counter[tuple[Channel, str]] = Counter()
    per_hour: Counter[str] = Counter()
    per_domain: Counter[tuple[str, str]] = Counter()
    for row, lead in rows:
        assert row.claimed_at is not None
        day = row.claimed_at.date().isoformat()
        per_day[(row.channel, day)] += 1
        if row.channel is Channel.email:
            per_hour[row.claimed_at.strftime("%Y-%m-%dT%H")] += 1
            per_domain[(lead.domain, day)] += 1
    wrong = [f"{c.value} {d}: {n}" for (c, d), n in per_day.items() if n > CAPS[c]]
    wrong += [f"email hour {h}: {n}" for h, n in per_hour.items() if n > EMAIL_HOURLY_CAP]
    wrong += [f"domain {x} {d}: {n}" for (x, d), n in per_domain.items() if n > DOMAIN_CAP]
    return wrong


def sent_twice(rows: list[tuple[OutreachMessage, Lead]], received: list[ReceivedMail]) -> list[str]:
    """Each delivered message is one outbox row's, and no row's twice."""
    by_id = {row.message_id: row for row, _ in rows if row.message_id}
    seen = Counter(str(mail.message["Message-ID"]) for mail in received)
    wrong = [f"{mid} delivered {n} times" for mid, n in seen.items() if n > 1]
    wrong += [f"{mid} belongs to no row that went out" for mid in seen if mid not in by_id]
    return wrong


def sent_after_stop(
    rows: list[tuple[OutreachMessage, Lead]], stopped_at: dict[int, datetime]
) -> list[str]:
    """Nothing goes to a lead after the engine learned it replied, bounced or opted out."""
    return [
        f"lead {lead.id} ({lead.status.value}) got step {row.step} after it stopped"
        for row, lead in rows
        if lead.id in stopped_at
        and row.claimed_at is not None
        and row.claimed_at > stopped_at[lead.id]
    ]


def newly_stopped(sessions: SessionFactory, known: dict[int, datetime]) -> list[int]:
    with unit_of_work(sessions) as session:
        ids = session.scalars(
            select(Lead.id).where(
                Lead.status.in_(sorted(lead_status.STOPPED - {LeadStatus.disqualified}))
                | Lead.replied_at.is_not(None)
            )
        )
        return [lead_id for lead_id in ids if lead_id not in known]


def still_going(sessions: SessionFactory, addresses: set[str]) -> list[str]:
    """Name the leads among `addresses` that a reply, bounce or opt-out did not stop."""
    if not addresses:
        return []
    with unit_of_work(sessions) as session:
        leads = session.scalars(select(Lead).where(func.lower(Lead.email).in_(sorted(addresses))))
        return [
            f"{lead.email} is {lead.status.value} after its reply was read"
            for lead in leads
            if lead.status not in lead_status.STOPPED and lead.replied_at is None
        ]


def stuck_leads(sessions: SessionFactory, step_count: int) -> list[str]:
    """Every enrolled lead has a step under way, a time for the next, is done, or has a reason."""
    with unit_of_work(sessions) as session:
        leads = session.scalars(
            select(Lead).where(
                Lead.status.in_(sorted(lead_status.ENROLLED)), Lead.campaign_id.is_not(None)
            )
        ).all()
        rows = session.scalars(select(OutreachMessage)).all()
    last: dict[int, OutreachMessage] = {}
    for row in rows:
        if row.lead_id not in last or row.step > last[row.lead_id].step:
            last[row.lead_id] = row
    wrong = []
    for lead in leads:
        latest = last.get(lead.id)
        under_way = latest is not None and (latest.status in (*NOT_YET_SENT, *WENT_OUT))
        if (
            lead.next_step_at is not None
            or lead.steps_planned >= step_count
            or under_way
            or (latest is not None and latest.reason)
        ):
            continue
        wrong.append(f"lead {lead.id} ({lead.status.value}) stuck after step {lead.steps_planned}")
    return wrong


def unqualified_without_reason(sessions: SessionFactory) -> list[str]:
    with unit_of_work(sessions) as session:
        leads = session.scalars(
            select(Lead).where(Lead.status == LeadStatus.disqualified, Lead.status_reason.is_(None))
        ).all()
    return [f"lead {lead.id} disqualified with no reason" for lead in leads]


def reports_posted(sessions: SessionFactory, slack: FakeSlack) -> tuple[list[int], Counter[int]]:
    """Return the ids of report notifications and how often each was posted to Slack."""
    with unit_of_work(sessions) as session:
        ids = list(
            session.scalars(select(Notification.id).where(Notification.topic == "cycle_report"))
        )
    posted: Counter[int] = Counter()
    for messages in slack.messages.values():
        for message in messages:
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if isinstance(payload.get("id"), int) and message.get("thread_ts") is None:
                posted[payload["id"]] += 1
    return ids, posted


def not_stored_once(sessions: SessionFactory, mailbox: str, messages: list[bytes]) -> list[str]:
    """Each message the cursor has passed that is not stored exactly once (UIDs it still owes
    excepted: they are asked for again)."""
    with sessions() as session:
        cursor = session.get(MailboxCursor, mailbox)
        if cursor is None:
            return []
        ids = [parse_reply(raw).message_id for raw in messages[: cursor.last_uid]]
        query = select(Reply.message_id).where(Reply.message_id.in_(ids))
        counts = Counter(session.scalars(query))
        owed = {int(uid) for uid in cursor.pending}
    return [
        f"uid {uid} ({mid}): stored {counts[mid]} times"
        for uid, mid in enumerate(ids, 1)
        if counts[mid] != 1 and uid not in owed
    ]


def suppressed_without_evidence(sessions: SessionFactory) -> list[str]:
    """Name each bounced or unsubscribed lead without a ledger row, and each row whose
    evidence the database does not hold (a bounce's Message-ID, the reply behind an opt-out)."""
    with unit_of_work(sessions) as session:
        rows = {r.value: r for r in session.scalars(select(Suppression))}
        stopped = session.scalars(
            select(Lead.email).where(Lead.status.in_(lead_status.FINAL))
        ).all()
        ours = set(
            session.scalars(
                select(OutreachMessage.message_id).where(OutreachMessage.message_id.is_not(None))
            )
        )
    wrong = [f"{email}: no ledger row" for email in stopped if email.lower() not in rows]
    for value, row in rows.items():
        if row.source is SuppressionSource.bounce:
            cited = set(_MESSAGE_ID.findall(row.evidence))
            if not cited & ours and not row.evidence.startswith("refused at send"):
                wrong.append(f"{value}: bounce without our Message-ID ({row.evidence!r})")
        elif row.source in _ON_A_REPLY and row.reply_id is None:
            wrong.append(f"{value}: {row.source.value} without its reply")
        elif not row.evidence:
            wrong.append(f"{value}: {row.source.value} without evidence")
    return wrong


def suppressed_among(sessions: SessionFactory, addresses: set[str]) -> list[str]:
    """Name the suppressed addresses among `addresses` (those nothing may suppress)."""
    if not addresses:
        return []
    with unit_of_work(sessions) as session:
        rows = session.scalars(
            select(Suppression).where(func.lower(Suppression.value).in_(sorted(addresses)))
        ).all()
    return [f"{row.value}: suppressed by {row.source.value} ({row.evidence!r})" for row in rows]


def decisions_changed(
    sessions: SessionFactory, decided: dict[int, tuple[TriageChoice, str]]
) -> list[str]:
    """Name each reply whose stored label is not the first decision taken on its card."""
    if not decided:
        return []
    with unit_of_work(sessions) as session:
        labels = {
            label.reply_id: label
            for label in session.scalars(
                select(ReplyLabel).where(ReplyLabel.reply_id.in_(sorted(decided)))
            )
        }
    wrong = []
    for reply_id, (choice, by) in sorted(decided.items()):
        label = labels.get(reply_id)
        if label is None or (label.choice, label.decided_by) != (choice, by):
            wrong.append(f"reply {reply_id}: decided {choice.value} by {by}, stored {label}")
    return wrong


def trusted_alone(sessions: SessionFactory, *, approvers: set[str]) -> list[str]:
    """Name each label one member gave that teaches the model with no approver, no second
    person and no rule saying the same."""
    with unit_of_work(sessions) as session:
        rows = session.execute(
            select(ReplyLabel, Reply.classification, Reply.matched_rule)
            .join(Reply, Reply.id == ReplyLabel.reply_id)
            .where(ReplyLabel.trusted_at.is_not(None))
        ).all()
    wrong = []
    for label, classification, rule in rows:
        if label.decided_by in approvers or label.trust is LabelTrust.agreed:
            continue
        if label.trust is LabelTrust.rule and label.label is classification and by_rule(rule):
            continue
        wrong.append(f"reply {label.reply_id}: {label.decided_by}'s label trusted as {label.trust}")
    return wrong
