"""The digest's wording, shared by the Slack message and the terminal: rows, rates, ages."""

from __future__ import annotations

from datetime import datetime

from cam.digest.model import (
    BounceGroup,
    BounceReason,
    Digest,
    DigestKind,
    Rate,
    RepRow,
    WaitingKind,
)

WAITING_TITLES = {
    WaitingKind.approval: "Approvals pending",
    WaitingKind.reply: "Replies no one has decided",
    WaitingKind.unknown_send: "Sends with unknown outcome",
    WaitingKind.task: "LinkedIn tasks open",
}
WAITING_HINTS = {
    WaitingKind.approval: "approve or reject them on their messages",
    WaitingKind.reply: "answer them, then decide on their cards",
    WaitingKind.unknown_send: "check the sent folder before anything is sent again",
    WaitingKind.task: "do or skip them on their messages",
}


# What is not recorded yet (answers to replies, untrusted bounce notices) shows as a dash.
UNKNOWN = "—"
# Per rep: (short header for the terminal, label for Slack).
REP_COLUMNS = (
    ("Sent", "Sent"),
    ("Repl.", "Replies"),
    ("Int.", "Interested"),
    ("Answ.", "Answered"),
    ("Median→ans.", "Median reply→answer"),
    ("Bnc.", "Bounces"),
    ("Opt-out", "Opt-outs"),
    ("Cap", "Cap used today"),
)
REP_NOTE = "Int. interested · Answ. answered · Median→ans. median time from reply to answer"
BOUNCE_WORDS = {
    BounceReason.user_unknown: "User unknown",
    BounceReason.mailbox_full: "Mailbox full",
    BounceReason.blocked: "Blocked / policy",
    BounceReason.host_unknown: "Host unknown",
    BounceReason.suspended: "Account disabled",
    BounceReason.other: "Other",
}


def title(digest: Digest) -> str:
    if digest.kind is DigestKind.weekly:
        return f"CAM week in review · {digest.first_day:%a %d %b} to {digest.last_day:%a %d %b %Y}"
    return f"CAM digest · {digest.last_day:%a %d %b %Y}"


def compared_with(digest: Digest) -> str:
    return "the 7 days before" if digest.kind is DigestKind.weekly else "the day before"


def funnel_rows(digest: Digest) -> list[tuple[str, int, int]]:
    """(label, this period, the period before) for each line of the funnel.

    The report's words: leads in -> enrolled (above the bar) -> contacted -> replied ->
    interested -> escalated, with "below the bar" and "disqualified" beside the leads in.
    Indented labels are details of the line above them.
    """
    now, before = digest.funnel, digest.previous
    rows = [
        ("Leads in", now.new_leads, before.new_leads),
        ("  disqualified", now.disqualified, before.disqualified),
        ("  below the bar", now.below_bar, before.below_bar),
        ("Enrolled (above the bar)", now.enrolled, before.enrolled),
        ("Contacted", now.contacted, before.contacted),
    ]
    if now.simulated or before.simulated:
        rows.append(("Would contact (dry run)", now.would_contact, before.would_contact))
    rows.append(("Emails sent", now.sent, before.sent))
    for step in sorted({*now.sent_by_step, *before.sent_by_step}):
        rows.append(
            (f"  step {step}", now.sent_by_step.get(step, 0), before.sent_by_step.get(step, 0))
        )
    if now.simulated or before.simulated:
        rows.append(("Would send (dry run)", now.simulated, before.simulated))
    rows += [
        ("LinkedIn tasks done", now.tasks_done, before.tasks_done),
        ("LinkedIn tasks skipped", now.tasks_skipped, before.tasks_skipped),
        ("Replied", now.replies, before.replies),
    ]
    classes = sorted({*now.replies_by_class, *before.replies_by_class} - {"bounce", "interested"})
    for name in classes:
        label = "  " + name.replace("_", " ")
        counts = now.replies_by_class.get(name, 0), before.replies_by_class.get(name, 0)
        rows.append((label, *counts))
    rows += [
        ("Interested", now.interested, before.interested),
        ("Escalated to the CRM", now.escalated, before.escalated),
        ("Bounced", now.bounced, before.bounced),
        ("Unsubscribed", now.unsubscribed, before.unsubscribed),
    ]
    return rows


def change(now: int, before: int) -> str:
    """Say how a count moved: `+3 (+50 %)`, `-2`, `±0`."""
    delta = now - before
    if delta == 0:
        return "±0"
    if before == 0:
        return f"{delta:+d}"
    return f"{delta:+d} ({100 * delta / before:+.0f} %)"


def rate_text(rate: Rate) -> str:
    """`Bounce rate 2.5 % (3 of 120)`, with its line, or why it is not known."""
    line = f"line {rate.warn_above:g} %" if rate.warn_above is not None else ""
    percent = rate.percent
    if rate.count is None:
        return f"{rate.label}: not known" + (f" ({line})" if line else "")
    if percent is None:
        return f"{rate.label}: no emails sent"
    text = f"{rate.label} {percent:.1f} % ({rate.count} of {rate.sent})"
    return f"{text}, {line}" if line else text


def age(since: datetime, now: datetime) -> str:
    """How long something has waited: `40 min`, `5 h`, `3 d`."""
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes < 90:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} d"


def rep_cells(rep: RepRow) -> list[str]:
    """The per-rep values in `REP_COLUMNS` order; a dry run's would-sends marked as such."""
    sent = str(rep.sent)
    if rep.simulated:
        sent = f"{rep.simulated} dry" if not rep.sent else f"{rep.sent}+{rep.simulated} dry"
    answered = UNKNOWN if rep.answered is None else str(rep.answered)
    median = UNKNOWN if rep.median_answer_minutes is None else minutes(rep.median_answer_minutes)
    return [
        sent,
        str(rep.replies),
        str(rep.interested),
        answered,
        median,
        str(rep.bounces),
        str(rep.opt_outs),
        f"{rep.cap_used}/{rep.cap}",
    ]


def minutes(value: float) -> str:
    """A duration in minutes as people say it: `12 min`, `3.5 h`."""
    return f"{value:.0f} min" if value < 90 else f"{value / 60:.1f} h"


def bounce_line(group: BounceGroup) -> str:
    """`User unknown 3: acme.example 2, beta.example 1` (domains are prospect data: escape)."""
    domains = ", ".join(f"{d.domain} {d.count}" for d in group.domains)
    return f"{BOUNCE_WORDS[group.reason]} {group.count}" + (f": {domains}" if domains else "")


def unverified_text(digest: Digest) -> str:
    count = digest.unverified_notices
    return f"Unverified bounce notices (not acted on): {UNKNOWN if count is None else count}"


SPEED_STAGES = (("card", "reply → card"), ("decision", "→ decision"), ("answer", "→ answer"))


def speed_text(digest: Digest) -> str:
    """`Speed to lead: reply → card 40 s (p90 2 min), → decision ..., → answer ...`."""
    speed = digest.speed
    if speed is None or not speed.replies:
        return "Speed to lead: no replies from people yet."
    parts = []
    for stage, label in SPEED_STAGES:
        figures = speed.team.get(stage)
        if figures is None or figures.median_seconds is None or figures.p90_seconds is None:
            parts.append(f"{label} {UNKNOWN}")
            continue
        median, p90 = figures.median_seconds, figures.p90_seconds
        parts.append(f"{label} {_duration(median)} (p90 {_duration(p90)}, {figures.count})")
    return "Speed to lead (median): " + ", ".join(parts)


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else minutes(seconds / 60)


def unanswered_text(digest: Digest) -> str:
    """`Interested, not answered in time: 2, oldest Ada Lovelace (maya) 5 h` (names: escape)."""
    if not digest.unanswered:
        return "Interested replies not answered in time: none."
    oldest = digest.unanswered[0]
    waited = age(oldest.landed_at, digest.generated_at)
    return (
        f"Interested replies not answered in time: {len(digest.unanswered)}, oldest "
        f"{oldest.lead_name} ({oldest.mailbox}) waiting {waited}"
    )
