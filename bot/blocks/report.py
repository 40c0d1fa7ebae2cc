"""The cycle report: a channel message with the counters, and its errors in a thread reply."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from slack_sdk.models.blocks import Block, DividerBlock

from bot.blocks.approval import PendingApproval, pending_line, who
from bot.blocks.common import (
    SlackPost,
    bulleted,
    context,
    escape,
    fallback,
    fields,
    header,
    section,
    slack_date,
    to_dicts,
)
from cam.core import holds
from cam.core.models import CycleRun
from cam.core.report import CAMCycleReport

# How a run started from Slack names who started it (CycleRun.trigger).
SLACK_TRIGGER = "slack:"
MAX_ERRORS_SHOWN = 40
MAX_PENDING_SHOWN = 10
# Counters compared against the previous run, with their labels.
COMPARED = (
    ("leads_created", "New leads"),
    ("outreach_scheduled", "Scheduled"),
    ("outreach_sent", "Sent"),
    ("simulated", "Would send"),
    ("replies_detected", "Replies"),
    ("hot_leads_detected", "Hot leads"),
)


def mode_label(dry_run: bool) -> str:
    return "DRY RUN" if dry_run else "LIVE"


def report_post(
    report: CAMCycleReport,
    *,
    previous: CAMCycleReport | None = None,
    pending: Sequence[PendingApproval] = (),
    trigger: str | None = None,
) -> SlackPost:
    """Build the report message; its errors, if any, go in the thread."""
    title = report_title(report)
    blocks = report_blocks(report, trigger=trigger)
    if previous is not None:
        blocks.append(section(_change_line(report, previous)))
    blocks.append(DividerBlock())
    blocks += _pending_blocks(pending)
    if report.errors:
        blocks.append(context(f":x: {len(report.errors)} errors: see the thread"))
    summary = summary_line(report)
    return SlackPost(
        text=fallback(f"{title}: {summary}"),
        blocks=to_dicts(blocks),
        thread=[errors_post(report)] if report.errors else [],
    )


def report_title(report: CAMCycleReport) -> str:
    return f"CAM report · {report.start.date().isoformat()} · {mode_label(report.dry_run)}"


def report_blocks(report: CAMCycleReport, *, trigger: str | None = None) -> list[Block]:
    """The body of a report: what ran, the counters, what held back, what is missing."""
    blocks: list[Block] = [header(report_title(report)), context(_run_line(report, trigger))]
    blocks += fields(_counters(report))
    leads = holds.leads_line(report)
    if leads is not None:
        blocks.append(section(f"*Leads:* {escape(leads)}"))
    held = [f"• {escape(line)}" for line in holds.held_lines(report)]
    if held:
        blocks += [section(text) for text in bulleted(["*Held back*", *held], limit=21)]
    missing = holds.not_set_up(report)
    if missing is not None:
        blocks.append(section(f"*Not set up yet* (nothing done for these): {escape(missing)}"))
    if report.unknown_outcomes:
        blocks.append(
            section(
                f":warning: *{report.unknown_outcomes} sends with unknown outcome*: the process "
                "stopped between the mail server accepting and our record. Check before resending."
            )
        )
    return blocks


def summary_line(report: CAMCycleReport) -> str:
    """Say in one line what a cycle did (for fallbacks, /cam status and command answers)."""
    sent = (
        f"{report.simulated} would be sent"
        if report.dry_run
        else f"{report.outreach_sent + report.followups_sent} sent"
    )
    parts = [
        f"{report.leads_processed} leads processed",
        f"{report.outreach_scheduled} scheduled",
        sent,
        f"{report.replies_detected} replies",
        f"{report.hot_leads_detected} hot",
    ]
    held = sum(report.skipped_by_limits.values())
    if held:
        parts.append(f"{held} held back")
    if report.errors:
        parts.append(f"{len(report.errors)} errors")
    return ", ".join(parts)


def errors_post(report: CAMCycleReport) -> SlackPost:
    """List the cycle's errors (phase, item, message) for the report's thread."""
    lines = [
        f"• `{escape(error.phase)}`"
        + (f" {escape(error.item)}" if error.item else "")
        + f": {escape(error.message)}"
        for error in report.errors
    ]
    title = f"{len(report.errors)} errors in this cycle"
    blocks: list[Block] = [section(f"*{title}*")]
    blocks += [section(text) for text in bulleted(lines, limit=MAX_ERRORS_SHOWN)]
    first = report.errors[0]
    return SlackPost(
        text=fallback(f"{title}; first: {first.phase}: {first.message}"), blocks=to_dicts(blocks)
    )


def _run_line(report: CAMCycleReport, trigger: str | None) -> str:
    parts = [f"Cycle #{report.cycle_id}" if report.cycle_id else "Cycle"]
    if trigger:
        parts.append(trigger_text(trigger))
    parts.append(f"started {slack_date(report.start)}")
    if report.due_at is not None:
        parts.append(late_text(report.due_at))
    if report.end is not None:
        parts.append(f"took {(report.end - report.start).total_seconds():.1f} s")
    return " · ".join(parts)


def late_text(due_at: datetime) -> str:
    """Say that a scheduled run was made up after the process slept through its time."""
    return f":alarm_clock: ran late, due {slack_date(due_at)} (the bot was asleep then)"


def trigger_text(trigger: str) -> str:
    """Say what started a run: a person in Slack (`slack:<user>`), the schedule, the CLI."""
    if trigger.startswith(SLACK_TRIGGER):
        return f"run by {who(trigger.removeprefix(SLACK_TRIGGER))}"
    return escape(trigger)


def _counters(report: CAMCycleReport) -> list[tuple[str, object]]:
    sent = ("Would send", report.simulated) if report.dry_run else ("Sent", report.outreach_sent)
    return [
        ("New leads", report.leads_created),
        ("Processed", report.leads_processed),
        ("Disqualified", report.leads_disqualified),
        ("Scheduled", report.outreach_scheduled),
        sent,
        ("Follow-ups sent", report.followups_sent),
        ("LinkedIn tasks", report.tasks_created),
        ("Replies", report.replies_detected),
        ("Hot leads", report.hot_leads_detected),
        ("Unverified notices", report.unverified_notices),
        ("Approvals asked", report.approvals_requested),
    ]


def _change_line(report: CAMCycleReport, previous: CAMCycleReport) -> str:
    parts = []
    for name, label in COMPARED:
        now, before = getattr(report, name), getattr(previous, name)
        delta = now - before
        sign = "±0" if delta == 0 else f"{delta:+d}"
        parts.append(f"{label} {now} ({sign})")
    return "*Against the previous run:* " + ", ".join(parts)


def _pending_blocks(pending: Sequence[PendingApproval]) -> list[Block]:
    if not pending:
        return [context("No approvals waiting.")]
    lines = [f"• {pending_line(item)}" for item in pending]
    texts = bulleted(
        [f"*{len(pending)} waiting for approval*", *lines], limit=MAX_PENDING_SHOWN + 1
    )
    return [section(text) for text in texts]


def interrupted_post(run: CycleRun) -> SlackPost:
    """Say that a cycle stopped before its report: its process died (a restart, a crash)."""
    mode = mode_label(run.dry_run)
    title = f"Cycle #{run.id} ({mode.lower()}) stopped before it finished"
    lines = [
        f":warning: *{title}*",
        f"It started {slack_date(run.started_at)} ({trigger_text(run.trigger)}) and its process "
        "stopped (a restart or a crash) before the report was stored.",
        "What it did until then is in the events log; sends it left unfinished are checked by "
        "the next send pass, and the next cycle picks up the rest.",
    ]
    return SlackPost(text=fallback(title), blocks=to_dicts([section("\n".join(lines))]))
