"""The digest in the terminal (Rich), the same as in Slack, for `cam digest`."""

from __future__ import annotations

from rich import box
from rich.console import Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from cam.digest import rows
from cam.digest.model import Digest


def digest_view(digest: Digest) -> RenderableType:
    """Return the panel `cam digest` prints."""
    mode = "[yellow]DRY RUN[/yellow]" if digest.dry_run else "[red]LIVE[/red]"
    paused = "  [red]PAUSED[/red]" if digest.paused else ""
    funnel = Table(box=box.SIMPLE_HEAVY, title="Funnel", title_justify="left")
    funnel.add_column("")
    funnel.add_column("Count", justify="right")
    funnel.add_column(f"vs {rows.compared_with(digest)}", justify="right")
    for label, now, before in rows.funnel_rows(digest):
        funnel.add_row(label, str(now), rows.change(now, before))
    parts: list[RenderableType] = [
        funnel,
        _reps(digest),
        Text(rows.speed_text(digest)),
        Text(rows.unanswered_text(digest)),
        _bounces(digest),
        _rates(digest),
        _waiting(digest),
        _limits(digest),
    ]
    subtitle = f"{mode}{paused}  days in {escape(digest.timezone)}"
    return Panel(Group(*parts), title=escape(rows.title(digest)), subtitle=subtitle, expand=False)


def _reps(digest: Digest) -> RenderableType:
    """Per mailbox, the most interested first; narrow enough for an 80-column terminal."""
    table = Table(
        box=box.SIMPLE,
        title="Per rep",
        title_justify="left",
        caption=rows.REP_NOTE,
        caption_justify="left",
        pad_edge=False,
        collapse_padding=True,
    )
    table.add_column("Mailbox", overflow="fold", min_width=8)
    for header, _label in rows.REP_COLUMNS:
        table.add_column(header, justify="right", no_wrap=True)
    for rep in digest.reps:
        table.add_row(Text(rep.mailbox), *rows.rep_cells(rep))
    return table


def _bounces(digest: Digest) -> RenderableType:
    lines = [Text(rows.bounce_line(group)) for group in digest.bounce_reasons]
    if not lines:
        lines = [Text("No bounces.")]
    return Group(
        Text("Bounces by reason", style="bold"), *lines, Text(rows.unverified_text(digest))
    )


def _rates(digest: Digest) -> RenderableType:
    lines = []
    for rate in digest.rates:
        if rate.warning:
            lines.append(Text(f"⚠ {rows.rate_text(rate)}: {rate.advice}", style="bold red"))
        else:
            lines.append(Text(rows.rate_text(rate)))
    return Group(Text("Rates", style="bold"), *lines)


def _waiting(digest: Digest) -> RenderableType:
    waiting = digest.waiting
    if not waiting.totals:
        return Text("Nothing waits for people.", style="green")
    table = Table(box=box.SIMPLE, title="Waiting for people", title_justify="left")
    for name in ("What", "Since", "Item"):
        table.add_column(name)
    for kind, total in waiting.totals.items():
        oldest = rows.age(waiting.oldest[kind], digest.generated_at)
        table.add_row(f"{rows.WAITING_TITLES[kind]}: {total}", f"oldest {oldest}", "")
        for item in (item for item in waiting.items if item.kind is kind):
            table.add_row("", rows.age(item.since, digest.generated_at), escape(item.label))
    return table


def _limits(digest: Digest) -> RenderableType:
    table = Table(box=box.SIMPLE, title="Limits today", title_justify="left")
    for name in ("Channel", "Used", "Cap", "Held back", "Until"):
        table.add_column(name)
    for use in digest.limits:
        until = use.held_until.isoformat(timespec="minutes") if use.held_until else ""
        table.add_row(
            use.channel.value,
            str(use.used_today),
            str(use.cap_today),
            str(use.held_back),
            until,
        )
    return table
