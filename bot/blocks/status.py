"""`/cam status` and the top of the App Home: mode, switches, schedule, last run, waiting work."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from slack_sdk.models.blocks import Block

from bot.blocks.approval import PendingApproval, pending_line
from bot.blocks.common import (
    bulleted,
    clip,
    context,
    escape,
    fields,
    header,
    section,
    slack_date,
)
from bot.blocks.report import mode_label, summary_line, trigger_text
from cam.core.models import MailboxWatch, WatchMode
from cam.core.report import CAMCycleReport

MAX_PENDING_SHOWN = 10
# Mailboxes listed a line each; a line stays under a section's 3,000 characters even when
# every character of its name and error is escaped.
MAX_MAILBOXES_SHOWN = 10
MAX_MAILBOX_NAME = 100
MAX_WATCH_ERROR = 300


@dataclass(frozen=True)
class LastRun:
    report: CAMCycleReport
    trigger: str
    finished_at: datetime | None


@dataclass(frozen=True)
class Status:
    dry_run: bool
    paused: bool
    next_run: datetime | None
    last_run: LastRun | None
    pending: Sequence[PendingApproval] = field(default_factory=tuple)
    unknown_outcomes: int = 0
    # How the reply watchers read each mailbox; empty before any instance has watched one.
    replies: Sequence[MailboxWatch] = field(default_factory=tuple)


def status_blocks(status: Status) -> list[Block]:
    """Blocks that answer "what is CAM doing now?"."""
    mode = mode_label(status.dry_run)
    if status.paused:
        next_run = "none: paused (`/cam resume` to restart)"
    elif status.next_run is not None:
        next_run = slack_date(status.next_run)
    else:
        next_run = "not scheduled in this process"
    blocks: list[Block] = [header(f"CAM status · {mode}" + (" · PAUSED" if status.paused else ""))]
    blocks += fields(
        [
            ("Mode", "dry run (nothing is sent)" if status.dry_run else "live (messages go out)"),
            ("Paused", "yes: no cycle, no send" if status.paused else "no"),
            ("Next scheduled run", next_run),
            ("Waiting for approval", len(status.pending)),
            ("Replies", _replies(status.replies)),
        ]
    )
    if len(status.replies) > 1:
        lines = [f"• {_watch_line(watch)}" for watch in status.replies]
        blocks += [section(text) for text in bulleted(lines, limit=MAX_MAILBOXES_SHOWN)]
    if status.last_run is None:
        blocks.append(section("*Last run:* none yet. Try `/cam run dry`."))
    else:
        run = status.last_run
        report = run.report
        when = slack_date(run.finished_at or report.start)
        how = f"{mode_label(report.dry_run).lower()}, {trigger_text(run.trigger)}, {when}"
        blocks.append(section(f"*Last run* ({how}):\n{summary_line(report)}"))
    if status.unknown_outcomes:
        blocks.append(
            section(
                f":warning: *{status.unknown_outcomes} sends with unknown outcome* wait for a "
                "person to check them; they are never resent on their own."
            )
        )
    if status.pending:
        lines = [f"• {pending_line(item)}" for item in status.pending]
        blocks += [section(text) for text in bulleted(lines, limit=MAX_PENDING_SHOWN)]
    if status.dry_run:
        blocks.append(context("Dry run: `/cam live` asks an approver to switch it off."))
    return blocks


def _replies(watches: Sequence[MailboxWatch]) -> str:
    """How the mailbox is watched and when it was last read (reading goes on while paused).

    Several mailboxes get a line each in sections of their own below: a field holds 2,000
    characters, and a line cut there could end inside an escape or a date.
    """
    if not watches:
        return "not watched yet (no mailbox, or cam-bot not running)"
    if len(watches) > 1:
        return f"{len(watches)} mailboxes, each below"
    return _watch_line(watches[0], named=False)


def _watch_line(watch: MailboxWatch, *, named: bool = True) -> str:
    how = "IDLE (the server pushes new mail)" if watch.mode is WatchMode.idle else "polling"
    when = slack_date(watch.last_read_at) if watch.last_read_at else "never"
    text = f"{how}; last read {when}"
    if named:
        text = f"{escape(clip(watch.mailbox, MAX_MAILBOX_NAME))}: {text}"
    if watch.last_error:
        text += f" · :warning: {escape(clip(watch.last_error, MAX_WATCH_ERROR))}"
    return text


def status_text(status: Status) -> str:
    """The fallback text of the status answer."""
    mode = "Dry run: nothing is sent" if status.dry_run else "Sending for real"
    paused = " (paused: nothing runs until an approver resumes)" if status.paused else ""
    waiting = len(status.pending)
    asks = f"; {waiting} waiting for an approver" if waiting else ""
    return f"{mode}{paused}{asks}"
