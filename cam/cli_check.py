"""`cam check`: the go-live preflight from the shell, with exit code 1 while anything fails."""

from __future__ import annotations

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cam.cli_common import console, load_config
from cam.preflight import CheckStatus, Preflight, run_preflight

MARK = {CheckStatus.ok: "[green]ok[/green]", CheckStatus.failed: "[red]missing[/red]"}


def check() -> None:
    """Check everything sending for real needs (settings, mail servers, CRM); nothing is sent."""
    config = load_config()
    preflight = run_preflight(config.settings, config.mailboxes)
    _show(console, preflight)
    if not preflight.ready:
        raise typer.Exit(1)


def _show(console: Console, preflight: Preflight) -> None:
    table = Table(title="Before going live", box=box.SIMPLE_HEAVY, title_justify="left")
    table.add_column("")
    table.add_column("What")
    table.add_column("Found")
    for item in preflight.items:
        mark = MARK.get(item.status, "[yellow]optional[/yellow]")
        if item.status is CheckStatus.failed and not item.required:
            mark = "[yellow]optional[/yellow]"
        table.add_row(mark, escape(item.name), escape(item.detail))
    console.print(table)
    failures = preflight.failures
    if failures:
        console.print(
            f"[red]{len(failures)} to fix before going live.[/red] Slack itself is checked "
            "when cam-bot starts and by `/cam check`."
        )
    else:
        console.print(
            "[green]Ready:[/green] `/cam live` in Slack asks an approver to switch dry run off."
        )
