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
    parts: list[RenderableType] = [funnel, _rates(digest), _waiting(digest), _limits(digest)]
    subtitle = f"{mode}{paused}  days in {escape(digest.timezone)}"
    return Panel(Group(*parts), title=escape(rows.title(digest)), subtitle=subtitle, expand=False)


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
