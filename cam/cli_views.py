"""What the `cam` commands print: Rich tables and panels built from engine objects."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

from rich import box
from rich.console import Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from cam.core import holds
from cam.core.mailboxes import SenderProfile
from cam.core.models import CycleRun, Event
from cam.core.report import CAMCycleReport
from cam.leads.importer import ImportResult
from cam.outreach.limits import DailyUse, LimitsSnapshot, MailboxLimits

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# Report counters in the order people read them, with their labels.
REPORT_COUNTS = (
    ("leads_created", "Leads created"),
    ("leads_processed", "Leads processed"),
    ("leads_disqualified", "Leads disqualified"),
    ("outreach_scheduled", "Outreach scheduled"),
    ("outreach_sent", "Outreach sent"),
    ("followups_sent", "Follow-ups sent"),
    ("simulated", "Simulated (would send)"),
    ("tasks_created", "LinkedIn tasks created"),
    ("replies_detected", "Replies detected"),
    ("hot_leads_detected", "Hot leads"),
    ("unverified_notices", "Unverified bounce notices (nobody suppressed)"),
    ("approvals_requested", "Approvals requested"),
    ("unknown_outcomes", "Unknown outcomes (check by hand)"),
)


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment is not None else "-"


def import_summary(result: ImportResult) -> RenderableType:
    table = Table(title=f"Import of {escape(Path(result.file).name)}", box=box.SIMPLE_HEAVY)
    table.add_column("", style="bold")
    table.add_column("Rows", justify="right")
    table.add_row("Rows read", str(result.rows))
    table.add_row("Imported", f"[green]{result.imported}[/green]")
    table.add_row("Already in the database", str(result.already_present))
    table.add_row("Duplicates in the file", str(result.duplicates_in_file))
    table.add_row("Invalid", f"[red]{result.invalid}[/red]" if result.invalid else "0")
    parts: list[RenderableType] = [table]
    parts += [Text(line) for line in result.notes()]
    if result.encoding_note:
        parts.append(Text(f"Note: {result.encoding_note}", style="yellow"))
    if result.errors:
        errors = Table(title="Rejected rows", box=box.SIMPLE, title_justify="left")
        errors.add_column("Line", justify="right")
        errors.add_column("Reason")
        for error in result.errors[:10]:
            errors.add_row(str(error.line), escape(error.reason))
        if result.rejected > 10:
            errors.caption = f"... and {result.rejected - 10} more"
        parts.append(errors)
    if result.errors_file is not None:
        parts.append(Text(f"All rejected rows are in {result.errors_file}", style="bold"))
    return Group(*parts)


def report_view(report: CAMCycleReport, *, title: str = "Cycle report") -> RenderableType:
    mode = "[yellow]DRY RUN[/yellow]" if report.dry_run else "[red]LIVE[/red]"
    took = f"{sum(report.phase_durations.values()):.2f} s"
    table = Table(box=box.SIMPLE_HEAVY, show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    for field, label in REPORT_COUNTS:
        value = getattr(report, field)
        if value or field not in ("unknown_outcomes", "tasks_created"):
            table.add_row(label, str(value))
    parts: list[RenderableType] = [table]
    leads = holds.leads_line(report)
    if leads is not None:
        parts.append(Text(f"Leads: {leads}"))
    held = holds.held_lines(report)
    if held:
        parts.append(Text("Held back:\n" + "\n".join(f"  • {line}" for line in held)))
    missing = holds.not_set_up(report)
    if missing is not None:
        parts.append(Text(f"Not set up yet (nothing done for these): {missing}", style="dim"))
    if report.phase_durations:
        timings = ", ".join(f"{name} {secs:.2f}s" for name, secs in report.phase_durations.items())
        parts.append(Text(f"Phases: {timings}", style="dim"))
    if report.errors:
        errors = Table(title="Errors", box=box.SIMPLE, title_justify="left", style="red")
        errors.add_column("Phase")
        errors.add_column("Item")
        errors.add_column("Message")
        for error in report.errors:
            errors.add_row(error.phase, escape(error.item or ""), escape(error.message))
        parts.append(errors)
    cycle = f" #{report.cycle_id}" if report.cycle_id is not None else ""
    subtitle = f"{mode}  started {when(report.start)}  took {took}"
    return Panel(Group(*parts), title=f"{title}{cycle}", subtitle=subtitle, expand=False)


def runs_table(runs: Sequence[CycleRun]) -> RenderableType:
    table = Table(title="Recent cycles (UTC)", box=box.SIMPLE_HEAVY, pad_edge=False)
    for name in ("#", "Started", "Mode", "Status"):
        table.add_column(name, no_wrap=True)
    for name in ("Leads", "Sched", "Sent", "Sim", "Err", "Repl", "Hot"):
        table.add_column(name, justify="right", min_width=len(name))
    for run in runs:
        report = CAMCycleReport.model_validate(run.report) if run.report else None
        counts = (
            [
                str(report.leads_processed),
                str(report.outreach_scheduled),
                str(report.outreach_sent),
                str(report.simulated),
                str(len(report.errors)),
                str(report.replies_detected),
                str(report.hot_leads_detected),
            ]
            if report is not None
            else ["-"] * 7
        )
        mode = f"{'dry' if run.dry_run else 'live'} {run.trigger}"
        started = f"{run.started_at:%m-%d %H:%M}"
        status = {"completed": "ok", "with_errors": "errors"}.get(run.status, run.status)
        table.add_row(str(run.id), started, mode, status, *counts)
    return table


def limits_view(snapshot: LimitsSnapshot) -> RenderableType:
    """Caps and use, narrow enough for an 80-column terminal with any number of mailboxes."""
    mode = "dry run (counts simulated sends)" if snapshot.dry_run else "live"
    table = _use_table(f"Limits for {snapshot.day} ({snapshot.timezone})", "Channel")
    for channel in snapshot.channels:
        table.add_row(channel.channel.value, *_use_cells(channel))
    tables: list[RenderableType] = [Text(f"Mode: {mode}"), table]
    if snapshot.mailboxes:
        mailboxes = _use_table("Mailboxes", "Mailbox", "State")
        for mailbox in snapshot.mailboxes:
            name = f"[bold]{escape(mailbox.key)}[/bold]\n[dim]{escape(mailbox.address)}[/dim]"
            mailboxes.add_row(name, *_use_cells(mailbox), mailbox_state(mailbox))
        tables.append(mailboxes)
    window = snapshot.send_window
    days = ", ".join(WEEKDAYS[d] for d in sorted(window.weekdays))
    hours = f"{window.start:%H:%M}-{window.end:%H:%M}"
    lines = [
        f"Per-domain cap: {snapshot.per_domain_daily_cap} a day",
        f"Send window: {hours} on {days}, in each recipient's time zone",
        f"Blocked domains: {snapshot.blocked_domains}    Suppressions: {snapshot.suppressions}",
        "Today and This hour are used/cap; Warm-up is the day of the ramp (0 = first day).",
    ]
    return Group(*tables, Text("\n".join(lines)))


def _use_table(title: str, *names: str) -> Table:
    table = Table(title=title, box=box.SIMPLE_HEAVY, title_justify="left")
    table.add_column(names[0], overflow="fold", max_width=34)
    for name in ("Today", "Left", "This hour", "Warm-up"):
        table.add_column(name, justify="right", no_wrap=True)
    for name in names[1:]:
        table.add_column(name, no_wrap=True)
    return table


def _use_cells(limits: DailyUse) -> list[str]:
    """Today (used/cap), left, this hour (used/cap), warm-up day ("-" where none)."""
    hour = f"/{limits.hourly_cap}" if limits.hourly_cap is not None else ""
    return [
        f"{limits.used_today}/{limits.cap_today}",
        str(limits.remaining),
        f"{limits.used_this_hour}{hour}",
        str(limits.warmup_day) if limits.warmup_day is not None else "-",
    ]


def mailbox_state(mailbox: MailboxLimits) -> str:
    return "paused" if mailbox.paused else ("active" if mailbox.active else "no new leads")


def events_table(events: Sequence[Event]) -> RenderableType:
    table = Table(title="Events", box=box.SIMPLE_HEAVY)
    table.add_column("#", justify="right")
    table.add_column("Time (UTC)", no_wrap=True)
    table.add_column("Name", style="bold", no_wrap=True)
    table.add_column("Cycle", justify="right")
    table.add_column("Details", overflow="fold")
    for event in events:
        details = json.dumps(event.details, default=str, ensure_ascii=False)
        if len(details) > 300:
            details = details[:300] + "..."
        cycle = str(event.cycle_id) if event.cycle_id is not None else ""
        moment = f"{event.created_at:%m-%d %H:%M:%S}"
        table.add_row(str(event.id), moment, event.name, cycle, escape(details))
    return table


def senders_line(profiles: Mapping[str, SenderProfile]) -> str:
    """Who signs each mailbox's emails (`sender.*` in the templates), on one line each."""
    lines = []
    for key, profile in profiles.items():
        shown = {k: v for k, v in profile.variables().items() if k != "signature"}
        fields = ", ".join(f"{name}={value!r}" for name, value in shown.items())
        lines.append(f"[bold]Sender {escape(key)}:[/bold] {escape(fields)}")
    return "\n".join(lines)


def email_preview(to: str, subject: str, body: str, scheduled: datetime) -> RenderableType:
    header = Text.assemble(
        ("To: ", "bold"),
        to,
        "\n",
        ("Subject: ", "bold"),
        subject,
        "\n",
        ("Would go out: ", "bold"),
        when(scheduled),
        "\n",
    )
    return Panel(Group(header, Text(body.strip())), expand=False, box=box.ROUNDED)
