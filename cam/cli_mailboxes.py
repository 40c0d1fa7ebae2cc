"""`cam mailboxes`: the team's sender mailboxes, each with its owner, caps, warm-up and state.

One stacked block per mailbox, so it reads at 80 columns however long the addresses are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from rich import box
from rich.console import RenderableType
from rich.markup import escape
from rich.table import Table

from cam.bootstrap import Runtime
from cam.cli_common import console, load_config
from cam.cli_views import mailbox_state, when
from cam.core import db
from cam.core.mailboxes import MailboxConfig
from cam.core.models import utcnow
from cam.core.state import get_state
from cam.outreach.limits import MailboxLimits, limits_snapshot
from cam.outreach.mailbox_errors import last_errors

MAX_ERROR = 200


def mailboxes() -> None:
    """List the sender mailboxes: From, owner, caps, warm-up day, paused, last error."""
    with Runtime(load_config()) as runtime, db.unit_of_work(runtime.session_factory) as session:
        config = runtime.config.cycle_config(get_state(session))
        if not config.mailboxes:
            console.print(
                "One mailbox (no CAM_MAILBOXES_FILE): its From is CAM_FROM, its caps are "
                "in `cam limits`."
            )
            return
        snapshot = limits_snapshot(session, config, utcnow())
        inboxes = {key: pair.inbox.name for key, pair in runtime.gateways.mailboxes.items()}
        errors = last_errors(session, inboxes)
    console.print(mailboxes_view(config.mailboxes, snapshot.mailboxes, errors))


def mailboxes_view(
    listed: Sequence[MailboxConfig],
    limits: Sequence[MailboxLimits],
    errors: Mapping[str, tuple[datetime, str]],
) -> RenderableType:
    """Each mailbox as a key and a few short lines, from the file and from today's counters."""
    table = Table(title="Mailboxes", box=box.SIMPLE_HEAVY, title_justify="left", show_lines=True)
    table.add_column("Mailbox", style="bold", no_wrap=True)
    table.add_column("From, owner, caps, state", overflow="fold")
    today = {mailbox.key: mailbox for mailbox in limits}
    for mailbox in listed:
        use = today[mailbox.key]
        hourly = f", {mailbox.hourly_cap} an hour" if mailbox.hourly_cap else ""
        warmup = f", warm-up day {use.warmup_day}" if use.warmup_day is not None else ""
        lines = [
            escape(mailbox.from_),
            f"owner: {escape(mailbox.owner) or '-'}",
            f"cap {mailbox.daily_cap} a day{hourly}{warmup}; today {use.used_today}/"
            f"{use.cap_today}",
            mailbox_state(use),
        ]
        if mailbox.key in errors:
            at, error = errors[mailbox.key]
            short = error if len(error) <= MAX_ERROR else error[: MAX_ERROR - 1] + "…"
            lines.append(f"[red]last error {when(at)}: {escape(short)}[/red]")
        table.add_row(escape(mailbox.key), "\n".join(lines))
    return table
