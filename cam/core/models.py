"""The database schema: typed SQLAlchemy 2 mappings, the same on SQLite and PostgreSQL.

Leads, campaigns, the outbox and what comes back live here; the enums, the base and the
engine's own records have modules of their own and are importable from here as well.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cam.core.bookkeeping import (
    CycleRun,
    DigestRun,
    Event,
    JobLease,
    MailboxState,
    MailboxWatch,
    Notification,
    RequestNonce,
    RuntimeState,
)
from cam.core.columns import Base, UTCDateTime, utcnow
from cam.core.enums import (
    ApprovalKind,
    ApprovalStatus,
    Channel,
    LabelTrust,
    LeadStatus,
    NotificationStatus,
    NotificationTopic,
    OutreachStatus,
    ReplyClass,
    ReplyReview,
    RunKind,
    RunStatus,
    SuppressionKind,
    SuppressionSource,
    TaskStatus,
    TriageChoice,
    WatchMode,
)

__all__ = [
    "Answer",
    "Approval",
    "ApprovalKind",
    "ApprovalStatus",
    "Base",
    "Campaign",
    "CampaignStep",
    "Channel",
    "CycleRun",
    "DigestRun",
    "Event",
    "JobLease",
    "LabelTrust",
    "Lead",
    "LeadStatus",
    "MailboxCursor",
    "MailboxState",
    "MailboxWatch",
    "ManualTask",
    "Notification",
    "NotificationStatus",
    "NotificationTopic",
    "OutreachMessage",
    "OutreachStatus",
    "Reply",
    "ReplyClass",
    "ReplyLabel",
    "ReplyReview",
    "RequestNonce",
    "RunKind",
    "RunStatus",
    "RuntimeState",
    "SendQuota",
    "Suppression",
    "SuppressionKind",
    "SuppressionSource",
    "TaskStatus",
    "TriageChoice",
    "UTCDateTime",
    "WatchMode",
    "utcnow",
]


class Lead(Base):
    __tablename__ = "leads"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    first_name: Mapped[str] = mapped_column(String(200), default="")
    last_name: Mapped[str] = mapped_column(String(200), default="")
    company: Mapped[str] = mapped_column(String(300), default="")
    title: Mapped[str] = mapped_column(String(300), default="")
    domain: Mapped[str] = mapped_column(String(255), default="", index=True)
    timezone: Mapped[str | None] = mapped_column(String(64))
    linkedin_url: Mapped[str | None] = mapped_column(String(500))
    source: Mapped[str] = mapped_column(String(200), default="")
    score: Mapped[int] = mapped_column(Integer, default=0)
    score_reasons: Mapped[list[str]] = mapped_column(default=list)
    status: Mapped[LeadStatus] = mapped_column(default=LeadStatus.new, index=True)
    status_reason: Mapped[str | None] = mapped_column(String(500))
    custom_fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The mailbox (its key) every step of this lead's sequence goes out from: its owner's.
    mailbox: Mapped[str | None] = mapped_column(String(40), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    # Steps of the campaign planned so far; the next one is `steps_planned + 1`.
    steps_planned: Mapped[int] = mapped_column(Integer, default=0)
    next_step_at: Mapped[datetime | None] = mapped_column(index=True)
    last_contacted_at: Mapped[datetime | None]
    replied_at: Mapped[datetime | None]
    crm_contact_id: Mapped[str | None] = mapped_column(String(100))
    crm_deal_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    score_threshold: Mapped[int] = mapped_column(Integer, default=50)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    steps: Mapped[list[CampaignStep]] = relationship(
        back_populates="campaign", order_by="CampaignStep.position", cascade="all, delete-orphan"
    )


class CampaignStep(Base):
    __tablename__ = "campaign_steps"
    __table_args__ = (UniqueConstraint("campaign_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    channel: Mapped[Channel]
    delay_days: Mapped[int] = mapped_column(Integer, default=0)
    subject_template: Mapped[str] = mapped_column(Text, default="")
    body_template: Mapped[str] = mapped_column(Text, default="")
    html_template: Mapped[str | None] = mapped_column(Text)

    campaign: Mapped[Campaign] = relationship(back_populates="steps")


class OutreachMessage(Base):
    """The outbox: one row per (lead, campaign, step), so a step is never queued twice."""

    __tablename__ = "outreach_messages"
    __table_args__ = (
        UniqueConstraint("lead_id", "campaign_id", "step", name="uq_outreach_lead_step"),
        Index("ix_outreach_due", "status", "scheduled_at"),
        # The digest counts failures (hard bounces at send time) by when they happened,
        # and sends by day, status, channel and step from the index alone (no table reads).
        Index("ix_outreach_status_updated", "status", "updated_at"),
        # Per mailbox too (the digest per rep): the mailbox is the index's last column.
        Index("ix_outreach_sent", "sent_at", "status", "channel", "step", "mailbox"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    step: Mapped[int] = mapped_column(Integer)
    channel: Mapped[Channel]
    scheduled_at: Mapped[datetime]
    status: Mapped[OutreachStatus] = mapped_column(default=OutreachStatus.planned)
    reason: Mapped[str | None] = mapped_column(String(1000))
    # The sender mailbox (its key): the lead's when the step was planned.
    mailbox: Mapped[str | None] = mapped_column(String(40))
    message_id: Mapped[str | None] = mapped_column(String(300), unique=True)
    subject: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SendQuota(Base):
    """A counter per limit scope and window, bumped atomically where the send happens.

    `scope` is e.g. `live:email`, `dry:email`, `live:domain:acme.com`, `live:email:hour`;
    `window` is the day (or hour) it counts, in the team's time zone.
    """

    __tablename__ = "send_quotas"

    scope: Mapped[str] = mapped_column(String(300), primary_key=True)
    window: Mapped[str] = mapped_column(String(32), primary_key=True)
    used: Mapped[int] = mapped_column(Integer, default=0)


class Reply(Base):
    __tablename__ = "replies"
    # The digest counts replies by day and class from the index alone.
    __table_args__ = (Index("ix_replies_received", "received_at", "classification", "lead_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"), index=True)
    outreach_id: Mapped[int | None] = mapped_column(ForeignKey("outreach_messages.id"))
    message_id: Mapped[str | None] = mapped_column(String(300), unique=True)
    in_reply_to: Mapped[str | None] = mapped_column(String(1000))
    from_address: Mapped[str] = mapped_column(String(320), default="")
    subject: Mapped[str] = mapped_column(Text, default="")
    body_excerpt: Mapped[str] = mapped_column(Text, default="")
    classification: Mapped[ReplyClass] = mapped_column(default=ReplyClass.other)
    # The rule that decided, or the model's strongest features: the details behind `explanation`.
    matched_rule: Mapped[str | None] = mapped_column(String(500))
    # Why, in words a rep reads, quoting the phrase of the reply that decided.
    explanation: Mapped[str | None] = mapped_column(String(500))
    parse_note: Mapped[str | None] = mapped_column(String(1000))
    return_date: Mapped[date | None]
    # Whom an absence notice says to write to instead: a lead the team may add.
    referral_email: Mapped[str | None] = mapped_column(String(320))
    referral_name: Mapped[str | None] = mapped_column(String(200))
    # Why the first failed recipient of a bounce failed (`cam.replies.bounce_reasons`).
    bounce_reason: Mapped[str | None] = mapped_column(String(40))
    # The person asks where we got their address or what we hold (GDPR Art. 14/15): a month.
    data_request: Mapped[bool] = mapped_column(Boolean, default=False)
    mailbox_uid: Mapped[str | None] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Speed to lead: when the reply landed in the mailbox (IMAP INTERNALDATE, else its Date),
    # when its card was posted, when it was first answered (from Slack or the Sent folder),
    # and when its owner was reminded that an interested reply waits for an answer.
    landed_at: Mapped[datetime | None] = mapped_column(index=True)
    card_posted_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    answer_reminded_at: Mapped[datetime | None]
    # Set when the machine would not decide alone: a model-only opt-out, or a model unsure.
    review: Mapped[ReplyReview | None]


class Answer(Base):
    """A person's answer to a reply, sent from a mailbox in the reply's thread: its outbox row.

    Claimed and committed (`sending`) before the SMTP conversation, as the send pass does; the
    submission's key (Slack's view id) is unique, so a double submit or a second instance finds
    the row instead of sending again, and an `unknown` row is never sent again.

    An answer for when an absent prospect is back waits `scheduled` until `due_at` (counted in
    `due_zone`, the lead's); the send claims it (`sending`, `claimed_by`, `claimed_at`) by a
    conditional UPDATE. A cancelled one keeps who cancelled it (None: CAM's own rule) and why.
    """

    __tablename__ = "answers"
    # The due send finds its rows from the index alone.
    __table_args__ = (Index("ix_answers_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_key: Mapped[str] = mapped_column(String(100), unique=True)
    reply_id: Mapped[int] = mapped_column(ForeignKey("replies.id"), index=True)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"))
    mailbox: Mapped[str] = mapped_column(String(40))
    to_address: Mapped[str] = mapped_column(String(320))
    status: Mapped[OutreachStatus] = mapped_column(default=OutreachStatus.sending)
    reason: Mapped[str | None] = mapped_column(String(1000))
    message_id: Mapped[str] = mapped_column(String(300), unique=True)
    in_reply_to: Mapped[str | None] = mapped_column(String(1000))
    subject: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    answered_by: Mapped[str] = mapped_column(String(100))
    claimed_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    due_zone: Mapped[str | None] = mapped_column(String(64))
    cancelled_by: Mapped[str | None] = mapped_column(String(100))
    cancelled_at: Mapped[datetime | None]


class MailboxCursor(Base):
    """Where reply polling stopped: the last UID seen under one UIDVALIDITY.

    Both are unsigned 32-bit in IMAP (up to 2**32 - 1): a signed 32-bit column would overflow.
    `pending` holds the UIDs at or below `last_uid` not stored yet (the server left them out
    of a FETCH answer, or a read fetched later mail first), each with how many reads asked for
    it and did not get it: str(uid) -> reads.
    """

    __tablename__ = "mailbox_cursors"

    mailbox: Mapped[str] = mapped_column(String(300), primary_key=True)
    uidvalidity: Mapped[int] = mapped_column(BigInteger, default=0)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    pending: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Approval(Base):
    __tablename__ = "approvals"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ApprovalKind]
    status: Mapped[ApprovalStatus] = mapped_column(default=ApprovalStatus.pending, index=True)
    # Unique per thing approved (e.g. `escalate_lead:42`), so it is never asked twice.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"))
    reply_id: Mapped[int | None] = mapped_column(ForeignKey("replies.id"))
    requested_by: Mapped[str] = mapped_column(String(100), default="cam")
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(String(1000))
    # Who is calling the CRM since when: a claim, so concurrent retries make one call.
    crm_sync_started_at: Mapped[datetime | None]
    crm_synced_at: Mapped[datetime | None]
    crm_error: Mapped[str | None] = mapped_column(String(1000))


class Suppression(Base):
    """The ledger of who must never be contacted: each row with what it was decided on."""

    __tablename__ = "suppressions"
    __table_args__ = (UniqueConstraint("kind", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[SuppressionKind]
    value: Mapped[str] = mapped_column(String(320))
    reason: Mapped[str] = mapped_column(String(500), default="")
    source: Mapped[SuppressionSource] = mapped_column(default=SuppressionSource.manual)
    # What the database holds to show it: the phrase, the returned Message-ID and status, ...
    evidence: Mapped[str] = mapped_column(String(1000), default="")
    # Who confirmed or clicked (a Slack user ID), for a decision a person took.
    decided_by: Mapped[str | None] = mapped_column(String(100))
    # The reply the suppression was decided on, when a reply was behind it.
    reply_id: Mapped[int | None] = mapped_column(ForeignKey("replies.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ManualTask(Base):
    """A LinkedIn step for a person to do by hand."""

    __tablename__ = "manual_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    outreach_id: Mapped[int] = mapped_column(ForeignKey("outreach_messages.id"), unique=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"))
    status: Mapped[TaskStatus] = mapped_column(default=TaskStatus.open)
    suggested_message: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str | None] = mapped_column(String(1000))
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReplyLabel(Base):
    """A person's decision on a reply card, beside what the classifier said: one per reply.

    The decision acts on the lead at once; the classifier learns from it only once it is
    trusted (`trust`), and never after it is undone.
    """

    __tablename__ = "reply_labels"
    # A person's labels of the last hour are counted before each new one (the rate limit).
    __table_args__ = (Index("ix_reply_labels_by", "decided_by", "decided_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reply_id: Mapped[int] = mapped_column(ForeignKey("replies.id"), unique=True)
    choice: Mapped[TriageChoice]
    predicted: Mapped[ReplyClass]
    # The class the decision says the reply is; none for a snooze (it says when, not what).
    label: Mapped[ReplyClass | None]
    snooze_until: Mapped[date | None]
    decided_by: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[datetime] = mapped_column(index=True)
    # The card the decision was taken on (the reply is `reply_id`).
    card_channel: Mapped[str | None] = mapped_column(String(50))
    card_ts: Mapped[str | None] = mapped_column(String(50))
    trust: Mapped[LabelTrust | None]
    trusted_by: Mapped[str | None] = mapped_column(String(100))
    trusted_at: Mapped[datetime | None]
    undone_by: Mapped[str | None] = mapped_column(String(100))
    undone_at: Mapped[datetime | None]
