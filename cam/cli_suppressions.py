"""`cam suppressions`: the ledger of who is never contacted and why, and restoring one address."""

from __future__ import annotations

import getpass
from collections.abc import Sequence
from typing import Annotated

import typer
from rich import box
from rich.console import RenderableType
from rich.markup import escape
from rich.table import Table

from cam.bootstrap import Runtime
from cam.cli_common import CliError, console, friendly_errors, load_config
from cam.core import db
from cam.core.models import SuppressionSource, utcnow
from cam.replies import suppressions
from cam.replies.ledger_row import LedgerRow

app = typer.Typer(
    help="Who is never contacted, on what grounds; restore what a machine or the team decided.",
    rich_markup_mode=None,
)


@app.callback(invoke_without_command=True)
@friendly_errors
def show(
    ctx: typer.Context,
    email: Annotated[str | None, typer.Option(help="Only this address (and its domain).")] = None,
    source: Annotated[
        SuppressionSource | None,
        typer.Option(help="Only this source, e.g. bounce, phrase, one_click, team."),
    ] = None,
) -> None:
    """List the suppressions, newest first: source, evidence, who decided, when."""
    if ctx.invoked_subcommand is not None:
        return
    with Runtime(load_config()) as runtime, db.unit_of_work(runtime.session_factory) as session:
        rows = suppressions.ledger(session, email=email, source=source)
    if not rows:
        console.print("No suppressions" + (" match." if email or source else "."))
        return
    console.print(ledger_table(rows))


@app.command()
@friendly_errors
def restore(
    email: Annotated[str, typer.Argument(help="The suppressed address.")],
    reason: Annotated[str, typer.Option(help="Why it may be contacted again (kept).")],
    resume: Annotated[
        bool, typer.Option(help="Resume the lead's sequence from where it stopped.")
    ] = False,
    by: Annotated[str | None, typer.Option(help="Who restores (default: your login).")] = None,
) -> None:
    """Lift a bounce, a model guess, a team decision or a misread opt-out phrase; a one-click
    unsubscribe or a complaint stands."""
    who = f"cli:{by or getpass.getuser()}"
    with Runtime(load_config()) as runtime, db.unit_of_work(runtime.session_factory) as session:
        try:
            done = suppressions.restore(
                session, email=email, reason=reason, by=who, now=utcnow(), resume=resume
            )
        except (suppressions.NotSuppressed, suppressions.RestoreRefused) as exc:
            raise CliError(f"not restored: {exc}") from None
    what = (
        f"sequence resumed ({done.steps_revived} steps back in the plan)"
        if done.resumed
        else ("sequence stays stopped (--resume resumes it)")
    )
    if (check := suppressions.caution(done.source)) is not None:
        console.print(f"Note: {check}.")
    console.print(f"Restored {escape(done.email)} ({done.source.value}): {what}.")


def ledger_table(rows: Sequence[LedgerRow]) -> RenderableType:
    """The ledger as a table that reads at 80 columns: long evidence folds, never cut."""
    table = Table(title="Suppressions", box=box.SIMPLE_HEAVY, expand=False)
    table.add_column("Address", overflow="fold", ratio=3)
    table.add_column("Source", no_wrap=True)
    table.add_column("When (UTC)", no_wrap=True)
    table.add_column("Evidence, who", overflow="fold", ratio=4)
    for row in rows:
        who = f" (by {row.decided_by})" if row.decided_by else ""
        reply = f" [reply {row.reply_id}]" if row.reply_id else ""
        evidence = row.evidence or row.reason or "-"
        table.add_row(
            escape(row.value),
            row.source.value,
            f"{row.created_at:%Y-%m-%d %H:%M}",
            escape(f"{evidence}{who}{reply}"),
        )
    return table
