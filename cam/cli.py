"""The `cam` command: demo, lead import, a cycle for cron, and read-outs of what happened."""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, time, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from cam import cli_check, cli_views
from cam.bootstrap import Runtime, cycle_config
from cam.core import db
from cam.core.models import Channel, Event, Lead, OutreachMessage, OutreachStatus, utcnow
from cam.core.report import CAMCycleReport
from cam.core.runs import last_runs
from cam.core.settings import DATA_DIR, Settings
from cam.core.state import get_state
from cam.cycle import run_daily_cam_cycle
from cam.digest import command as digest_command
from cam.leads import csv_files
from cam.leads.importer import ImportFileError, ImportResult, ProgressCallback, import_leads
from cam.leads.scoring import ScoringFileError, load_rules
from cam.outreach import safety
from cam.outreach.campaigns import CampaignFileError, sync_campaign_file
from cam.outreach.limits import limits_snapshot
from cam.replies import accuracy as reply_accuracy

P = ParamSpec("P")
R = TypeVar("R")

SAMPLE_LEADS = DATA_DIR / "sample_leads.csv"
# The sample's competitor domain, blocked in the demo to show a disqualification.
DEMO_BLOCKED_DOMAINS = frozenset({"rivalreach.com"})
DEMO_SEED = 7
DEMO_TIME = time(9, 5)

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

console = Console()
err_console = Console(stderr=True)


# The database the running command uses, for error messages (password hidden).
_database_url: ContextVar[str] = ContextVar("database_url", default="")


class CliError(Exception):
    """A failure to show the user as one line, without a traceback."""


class SettingsError(CliError):
    """The settings are missing or invalid (exit code 2, as `cam-bot` uses)."""


def _database_message(exc: SQLAlchemyError, url: str) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip().splitlines()[0]
    hint = ""
    if db.database_missing(exc):
        name = make_url(url).database or "it"
        hint = f" (create the database first, e.g. `createdb {name}`, then run `cam db upgrade`)"
    elif "no such table" in text or ("relation" in text and "does not exist" in text):
        hint = " (run `cam db upgrade` first)"
    elif (problem := db.storage_problem(exc)) is not None:
        hint = f" ({problem})"
    return f"database error at {db.redacted_url(url)}: {text}{hint}"


def friendly_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn the errors a user can fix into one line: exit code 2 for settings, else 1."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        code = 1
        try:
            return command(*args, **kwargs)
        except (CliError, ImportFileError, CampaignFileError, ScoringFileError, OSError) as exc:
            message = str(exc)
            code = 2 if isinstance(exc, SettingsError) else 1
        except SQLAlchemyError as exc:
            message = _database_message(exc, _database_url.get())
        err_console.print(f"[red]error:[/red] {escape(message)}")
        raise typer.Exit(code)

    return wrapper


def load_settings(**overrides: object) -> Settings:
    """Read the settings; a bad value is reported by name, never with its content."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'settings'}: {error['msg']}"
            for error in exc.errors(include_input=False)
        )
        raise SettingsError(f"invalid settings: {problems}") from None
    _database_url.set(settings.database_url)
    shown = escape(db.redacted_url(settings.database_url))
    err_console.print(f"Database: {shown}", style="dim", soft_wrap=True)
    return settings


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


@contextmanager
def _progress(enabled: bool) -> Iterator[ProgressCallback | None]:
    if not enabled:
        yield None
        return
    columns = (
        TextColumn("Importing"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("import", total=None)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield update


def _import(
    runtime: Runtime,
    path: Path,
    errors: Path,
    *,
    encoding: str | None = None,
    source: str | None = None,
    delimiter: str | None = None,
) -> ImportResult:
    with _progress(console.is_terminal) as progress:
        return import_leads(
            runtime.session_factory,
            path,
            errors_path=errors,
            encoding=encoding,
            source=source,
            delimiter=delimiter,
            progress=progress,
        )


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
) -> None:
    """Import leads from a CSV file: validated, deduplicated, committed in batches."""
    errors_path = errors or file.with_name(f"{file.stem}-errors.csv")
    with Runtime(load_settings()) as runtime:
        result = _import(
            runtime, file, errors_path, encoding=encoding, source=source, delimiter=delimiter
        )
    console.print(cli_views.import_summary(result))


@app.command()
@friendly_errors
def run() -> None:
    """Run the daily cycle now, dry or live as the team last decided; exit 1 on errors."""
    settings = load_settings()
    with Runtime(settings) as runtime:
        with db.unit_of_work(runtime.session_factory) as session:
            config = cycle_config(settings, get_state(session))
        report = run_daily_cam_cycle(
            config,
            session_factory=runtime.session_factory,
            gateways=runtime.gateways,
            trigger="cli",
            instance=settings.instance_name,
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
    with Runtime(load_settings()) as runtime, db.unit_of_work(runtime.session_factory) as session:
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
    settings = load_settings()
    with Runtime(settings) as runtime, db.unit_of_work(runtime.session_factory) as session:
        config = cycle_config(settings, get_state(session))
        snapshot = limits_snapshot(session, config, utcnow())
    console.print(cli_views.limits_view(snapshot))


app.command("digest")(friendly_errors(digest_command.digest))
app.command("check")(friendly_errors(cli_check.check))
replies_app = typer.Typer(help="What the team decided on replies.", no_args_is_help=True)
replies_app.command("accuracy")(friendly_errors(reply_accuracy.accuracy))
app.add_typer(replies_app, name="replies")


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
    with Runtime(load_settings()) as runtime, db.unit_of_work(runtime.session_factory) as session:
        rows = list(session.scalars(query))
    if not rows:
        console.print("No events" + (f" named {escape(name)}" if name else "") + ".")
        return
    console.print(cli_views.events_table(rows[::-1]))


@db_app.command("upgrade")
@friendly_errors
def db_upgrade() -> None:
    """Create the tables, or bring them to the newest schema."""
    settings = load_settings()
    db.upgrade(settings.database_url)
    console.print(f"Database at {escape(db.redacted_url(settings.database_url))} is up to date.")


def demo_clock(timezone: str, today: date) -> datetime:
    """Return 09:05 in the team's zone on `today`, or on the next weekday if it is a weekend."""
    day = today
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, DEMO_TIME, tzinfo=safety.zone(timezone)).astimezone(UTC)


@app.command()
@friendly_errors
def demo(
    database: Annotated[
        Path, typer.Option("--db", help="SQLite file to (re)create for the demo.")
    ] = Path("cam-demo.db"),
    emails: Annotated[int, typer.Option(min=0, help="Rendered emails to preview.")] = 3,
) -> None:
    """Import the sample leads into a fresh SQLite database and run a dry-run cycle."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{database.resolve()}"
    settings = load_settings(DATABASE_URL=url)
    db.upgrade(url)
    console.print(f"[bold]Demo database:[/bold] {escape(str(database))} (dry run: nothing is sent)")
    errors_path = database.with_name(f"{database.stem}-errors.csv")
    with Runtime(settings) as runtime:
        result = _import(runtime, SAMPLE_LEADS, errors_path)
        console.print(cli_views.import_summary(result))
        with db.unit_of_work(runtime.session_factory) as session:
            rules = load_rules(settings.scoring_file)
            campaign = sync_campaign_file(
                session, settings.campaign_file, default_threshold=rules.threshold
            )
            console.print(
                f"[bold]Campaign:[/bold] {escape(campaign.name)}: {len(campaign.steps)} steps, "
                f"leads scoring {campaign.score_threshold} or more are enrolled"
            )
            config = cycle_config(settings, get_state(session))
        safety_settings = config.safety_settings.model_copy(
            update={"blocked_domains": DEMO_BLOCKED_DOMAINS}
        )
        config = config.model_copy(update={"safety_settings": safety_settings})
        now = demo_clock(
            settings.timezone, utcnow().astimezone(safety.zone(settings.timezone)).date()
        )
        console.print(
            f"[bold]Clock:[/bold] {cli_views.when(now)} (a weekday morning, inside the send "
            f"window); blocked domain: {', '.join(sorted(DEMO_BLOCKED_DOMAINS))}"
        )
        report = run_daily_cam_cycle(
            config,
            session_factory=runtime.session_factory,
            gateways=runtime.gateways,
            clock=lambda: now,
            rng=random.Random(DEMO_SEED),
            trigger="demo",
            instance=settings.instance_name,
        )
        console.print(cli_views.report_view(report, title="Dry-run cycle"))
        _preview(runtime, emails)
    if result.errors_file is not None:
        console.print(
            f"Rejected rows ({result.rejected}) are in [bold]{escape(str(errors_path))}[/bold], "
            "with their line numbers and reasons."
        )
    console.print(
        "Next: `cam report`, `cam limits`, `cam events` (with "
        f"DATABASE_URL={escape(url)} to read the demo database)."
    )


def _preview(runtime: Runtime, count: int) -> None:
    if count == 0:
        return
    query = (
        select(OutreachMessage, Lead)
        .join(Lead, Lead.id == OutreachMessage.lead_id)
        .where(
            OutreachMessage.status == OutreachStatus.simulated,
            OutreachMessage.channel == Channel.email,
        )
        .order_by(OutreachMessage.sent_at, OutreachMessage.id)
        .limit(count)
    )
    with db.unit_of_work(runtime.session_factory) as session:
        rows = session.execute(query).all()
        if not rows:
            console.print("No email would go out in this cycle.")
            return
        console.print(f"[bold]The first {len(rows)} emails the cycle would send:[/bold]")
        for message, lead in rows:
            console.print(
                cli_views.email_preview(
                    lead.email,
                    message.subject or "",
                    message.body or "",
                    message.sent_at or message.scheduled_at,
                )
            )
