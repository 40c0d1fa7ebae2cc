"""The `cam` command: demo, lead import, a cycle for cron, and read-outs of what happened."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.markup import escape
from sqlalchemy import select

from cam import (
    cli_check,
    cli_demo,
    cli_digest,
    cli_mailboxes,
    cli_replies,
    cli_suppressions,
    cli_switches,
    cli_views,
)
from cam.bootstrap import Runtime
from cam.cli_common import (
    console,
    friendly_errors,
    import_file,
    load_config,
)
from cam.core import db
from cam.core.models import Event, utcnow
from cam.core.report import CAMCycleReport
from cam.core.runs import last_runs
from cam.core.state import get_state
from cam.leads import csv_files
from cam.leads.headers import parse_mapping
from cam.leads.owners import OwnerFallback
from cam.outreach.limits import limits_snapshot

P = ParamSpec("P")
R = TypeVar("R")

app = typer.Typer(
    help="CAM Orchestrator: run a sales team's daily client-acquisition cycle, safely.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help: the rich one labels flags with their Python type (`--help <bool>`).
    rich_markup_mode=None,
)
leads_app = typer.Typer(help="Manage leads.", no_args_is_help=True, rich_markup_mode=None)
db_app = typer.Typer(help="Manage the database.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(leads_app, name="leads")
app.add_typer(db_app, name="db")


def _show_version(value: bool) -> None:
    if value:
        console.print(f"cam {version('cam-orchestrator')}")
        raise typer.Exit()


@app.callback()
def main(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """CAM Orchestrator: run a sales team's daily client-acquisition cycle, safely."""


@leads_app.command("import")
@friendly_errors
def leads_import(
    file: Annotated[Path, typer.Argument(help="CSV file with a header row and an email column.")],
    errors: Annotated[
        Path | None,
        typer.Option(help="Where to write rejected rows (default: FILE-errors.csv beside FILE)."),
    ] = None,
    encoding: Annotated[
        str | None, typer.Option(help="The file's encoding (default: detected).")
    ] = None,
    source: Annotated[
        str | None, typer.Option(help="Source for rows without one (default: csv:FILE).")
    ] = None,
    delimiter: Annotated[
        str | None,
        typer.Option(
            help="Field separator: comma, semicolon, tab or pipe (default: detected).",
            parser=csv_files.delimiter_named,
        ),
    ] = None,
    map_: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help='Read a column as a field: --map "Spalte=company" (repeatable). Headers such '
            "as Vorname, Prénom or Correo electrónico are understood without it.",
            callback=_mapping,
        ),
    ] = None,
    owner_fallback: Annotated[
        OwnerFallback,
        typer.Option(
            help="A row whose owner is no mailbox of the mailboxes file: an error (refused), or "
            "spread (imported, counted, dealt to the roomiest mailbox)."
        ),
    ] = OwnerFallback.error,
) -> None:
    """Import leads from a CSV file: validated, deduplicated, committed in batches."""
    errors_path = errors or file.with_name(f"{file.stem}-errors.csv")
    config = load_config()
    with Runtime(config) as runtime:
        result = import_file(
            runtime,
            file,
            errors_path,
            encoding=encoding,
            source=source,
            delimiter=delimiter,
            mapping=parse_mapping(map_ or []),
            owners=config.owner_names,
            owner_fallback=owner_fallback,
        )
    console.print(cli_views.import_summary(result))


def _mapping(values: list[str] | None) -> list[str] | None:
    try:
        parse_mapping(values or [])
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    return values


@app.command()
@friendly_errors
def run() -> None:
    """Run the daily cycle now, dry or live as the team last decided; exit 1 on errors."""
    from cam.cycle import run_daily_cam_cycle  # the whole engine: only this command needs it

    with Runtime(load_config()) as runtime:
        with db.unit_of_work(runtime.session_factory) as session:
            config = runtime.config.cycle_config(get_state(session))
        report = run_daily_cam_cycle(
            config,
            session_factory=runtime.session_factory,
            gateways=runtime.gateways,
            trigger="cli",
            instance=runtime.settings.instance_name,
        )
    console.print(cli_views.report_view(report))
    if report.errors:
        raise typer.Exit(1)


@app.command()
@friendly_errors
def report(
    last: Annotated[int, typer.Option(min=1, help="How many recent cycles to list.")] = 1,
) -> None:
    """Show the latest cycle's report, and a table of the last N cycles."""
    with Runtime(load_config()) as runtime, db.unit_of_work(runtime.session_factory) as session:
        runs = last_runs(session, last)
        if not runs:
            console.print("No cycle has run yet: try `cam run` (or `cam demo`).")
            return
        latest = runs[0]
        if latest.report is not None:
            shown = CAMCycleReport.model_validate(latest.report)
            console.print(cli_views.report_view(shown, title=f"Latest cycle ({latest.status})"))
        else:
            console.print(f"Cycle #{latest.id} is {latest.status} (started {latest.started_at}).")
        if last > 1:
            console.print(cli_views.runs_table(runs))


@app.command()
@friendly_errors
def limits() -> None:
    """Show today's caps, what is used and what remains, and the other safety limits."""
    with Runtime(load_config()) as runtime, db.unit_of_work(runtime.session_factory) as session:
        config = runtime.config.cycle_config(get_state(session))
        snapshot = limits_snapshot(session, config, utcnow())
    console.print(cli_views.limits_view(snapshot))


app.command("digest")(friendly_errors(cli_digest.digest))
app.command("check")(friendly_errors(cli_check.check))
app.command("mailboxes")(friendly_errors(cli_mailboxes.mailboxes))
app.command("demo")(friendly_errors(cli_demo.demo))
app.command("pause")(friendly_errors(cli_switches.pause))
app.command("resume")(friendly_errors(cli_switches.resume))
app.command("dry")(friendly_errors(cli_switches.dry))
replies_app = typer.Typer(help="What the team decided on replies.", no_args_is_help=True)
replies_app.command("accuracy")(friendly_errors(cli_replies.accuracy))
replies_app.command("bounces")(friendly_errors(cli_replies.bounces))
replies_app.add_typer(cli_replies.labels_app, name="labels")
app.add_typer(replies_app, name="replies")
app.add_typer(cli_suppressions.app, name="suppressions")


@app.command()
@friendly_errors
def events(
    last: Annotated[int, typer.Option(min=1, help="How many recent events to show.")] = 20,
    name: Annotated[
        str | None, typer.Option(help="Only events of this name, e.g. cam.error or error.")
    ] = None,
) -> None:
    """Show the most recent events of the event log, oldest first."""
    query = select(Event).order_by(Event.id.desc()).limit(last)
    if name:
        query = query.where(Event.name == (name if "." in name else f"cam.{name}"))
    with Runtime(load_config()) as runtime, db.unit_of_work(runtime.session_factory) as session:
        rows = list(session.scalars(query))
    if not rows:
        console.print("No events" + (f" named {escape(name)}" if name else "") + ".")
        return
    console.print(cli_views.events_table(rows[::-1]))


@db_app.command("upgrade")
@friendly_errors
def db_upgrade() -> None:
    """Create the tables, or bring them to the newest schema."""
    settings = load_config().settings
    db.upgrade(settings.database_url)
    console.print(f"Database at {escape(db.redacted_url(settings.database_url))} is up to date.")
