"""The states and kinds the schema stores: string enums shared by the engine and the bot."""

from __future__ import annotations

import enum


class LeadStatus(enum.StrEnum):
    new = "new"
    scored = "scored"
    scheduled = "scheduled"
    contacted = "contacted"
    replied = "replied"
    hot = "hot"
    escalated = "escalated"
    disqualified = "disqualified"
    unsubscribed = "unsubscribed"
    bounced = "bounced"


class Disqualification(enum.StrEnum):
    """Why qualification turned a lead away; the lead's `status_reason` adds the particulars."""

    invalid_email = "invalid_email"
    blocked_domain = "blocked_domain"
    suppressed_address = "suppressed_address"
    suppressed_domain = "suppressed_domain"


class Channel(enum.StrEnum):
    email = "email"
    linkedin = "linkedin"


class OutreachStatus(enum.StrEnum):
    planned = "planned"
    sending = "sending"
    sent = "sent"
    simulated = "simulated"
    skipped = "skipped"
    failed = "failed"
    # The process died between the gateway accepting and our commit: a person must check.
    unknown = "unknown"
    # An answer written now to go when an absent prospect is back (`Answer.due_at`), and one
    # withdrawn before then, by a person or because the prospect wrote again.
    scheduled = "scheduled"
    cancelled = "cancelled"


class ReplyClass(enum.StrEnum):
    interested = "interested"
    not_interested = "not_interested"
    out_of_office = "out_of_office"
    unsubscribe = "unsubscribe"
    bounce = "bounce"
    question = "question"
    other = "other"


class ApprovalKind(enum.StrEnum):
    escalate_lead = "escalate_lead"
    go_live = "go_live"


class ApprovalStatus(enum.StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    expired = "expired"


class SuppressionKind(enum.StrEnum):
    email = "email"
    domain = "domain"


class SuppressionSource(enum.StrEnum):
    """What a suppression was decided on: the ledger's first column."""

    # The person's own word, unmistakable: the RFC 8058 link, a spam complaint.
    one_click = "one_click"
    complaint = "complaint"
    # An explicit opt-out phrase in their reply, as a rule read it: restorable by a person who
    # read the reply, with a reason, since a rule can misread ("take me off the newsletter,
    # but send the price list" is not a goodbye).
    phrase = "phrase"
    # A machine or a team decided: restorable by a person, with a reason.
    model_confirmed = "model_confirmed"  # the model guessed an opt-out and a person confirmed
    bounce = "bounce"  # a verified permanent failure of our own message
    team = "team"  # a triage click on a reply card
    manual = "manual"  # added by hand or imported
    legacy = "legacy"  # written before sources were recorded

    @property
    def persons_own(self) -> bool:
        """Whether the person asked for it themselves: such an opt-out is never undone."""
        return self in (SuppressionSource.one_click, SuppressionSource.complaint)


class ReplyReview(enum.StrEnum):
    """Why a reply's card asks a person to decide what the machine would not."""

    opt_out_guess = "opt_out_guess"  # only the model read an opt-out: confirm or not
    unsure = "unsure"  # below the confidence floor: the model abstains


class TaskStatus(enum.StrEnum):
    open = "open"
    done = "done"
    skipped = "skipped"


class NotificationStatus(enum.StrEnum):
    pending = "pending"
    sent = "sent"
    failed = "failed"


class NotificationTopic(enum.StrEnum):
    """What a notification announces; the bot renders each topic its own way."""

    cycle_report = "cycle_report"
    # A run closed as interrupted: its process died before it stored its report.
    cycle_interrupted = "cycle_interrupted"
    approval = "approval"
    task = "task"
    thread_reply = "thread_reply"
    # A reply a person wrote, with its class and the team's buttons.
    reply_card = "reply_card"
    # The day's digest, and its chart uploaded into the digest's thread.
    digest = "digest"
    digest_chart = "digest_chart"
    # A kill switch pulled (or released) outside Slack, from the `cam` command.
    switch_changed = "switch_changed"
    # What became of an answer scheduled for when a prospect is back, in its card's thread.
    scheduled_answer = "scheduled_answer"


class AnswerEvent(enum.StrEnum):
    """What a `scheduled_answer` notification announces about its answer."""

    scheduled = "scheduled"
    cancelled = "cancelled"
    # Its time came: sent, kept in dry run, refused or failed (the row says which).
    due = "due"


class SwitchAction(enum.StrEnum):
    """What the terminal's kill switches did (`cam pause`, `cam resume`, `cam dry`)."""

    pause = "pause"
    resume = "resume"
    dry = "dry"


class SendMode(enum.StrEnum):
    """Whether sends are simulated (dry run) or go out; each mode counts its own quotas."""

    dry = "dry"
    live = "live"

    @classmethod
    def of(cls, dry_run: bool) -> SendMode:
        """The mode the stored dry-run switch stands for."""
        return cls.dry if dry_run else cls.live


class RunKind(enum.StrEnum):
    """What a cycle run is: the daily cycle, or a send pass between cycles."""

    daily = "daily"
    send = "send"


class RunStatus(enum.StrEnum):
    running = "running"
    completed = "completed"
    with_errors = "with_errors"  # finished; its report lists the errors
    interrupted = "interrupted"  # its process died before it stored its report


class WatchMode(enum.StrEnum):
    idle = "idle"  # the server pushes news (IMAP IDLE)
    polling = "polling"


class TriageChoice(enum.StrEnum):
    """What a person decided on a reply card."""

    interested = "interested"
    not_interested = "not_interested"
    unsubscribe = "unsubscribe"
    snooze = "snooze"
    # On a card the model read as an opt-out: the team confirms it, or says it is none.
    confirm_opt_out = "confirm_opt_out"
    not_opt_out = "not_opt_out"


class LabelTrust(enum.StrEnum):
    """Why a label on a reply may teach the classifier: who or what vouches for it."""

    approver = "approver"  # an approver decided or agreed
    agreed = "agreed"  # a second person agreed with the first
    rule = "rule"  # it says what a deterministic rule said


class Limit(enum.StrEnum):
    """What holds work back; reports store and print these values."""

    max_new_leads_per_day = "max_new_leads_per_day"
    max_outreach_per_day = "max_outreach_per_day"
    max_followups_per_day = "max_followups_per_day"
    email_daily_cap = "email_daily_cap"
    linkedin_daily_cap = "linkedin_daily_cap"
    email_hourly_cap = "email_hourly_cap"
    linkedin_hourly_cap = "linkedin_hourly_cap"
    domain_daily_cap = "domain_daily_cap"
    send_window = "send_window"
    email_spacing = "email_spacing"
    email_retry_later = "email_retry_later"
    email_not_configured = "email_not_configured"
    linkedin_not_configured = "linkedin_not_configured"
    email_no_free_slot = "email_no_free_slot"
    linkedin_no_free_slot = "linkedin_no_free_slot"
    paused = "paused"
    dry_run = "dry_run"
    mailbox_paused = "mailbox_paused"

    @classmethod
    def daily_cap(cls, channel: Channel) -> Limit:
        return cls(f"{channel.value}_daily_cap")

    @classmethod
    def hourly_cap(cls, channel: Channel) -> Limit:
        return cls(f"{channel.value}_hourly_cap")

    @classmethod
    def not_configured(cls, channel: Channel) -> Limit:
        return cls(f"{channel.value}_not_configured")

    @classmethod
    def no_free_slot(cls, channel: Channel) -> Limit:
        return cls(f"{channel.value}_no_free_slot")
