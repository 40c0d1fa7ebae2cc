"""What every `cam` subcommand shares: its consoles, the settings, errors as one line."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import ParamSpec, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from cam.bootstrap import ProcessConfig, Runtime
from cam.core import db
from cam.core.mailboxes import MailboxError
from cam.core.settings import Settings
from cam.leads.importer import ImportFileError, ImportResult, ProgressCallback, import_leads
from cam.leads.owners import OwnerFallback
from cam.leads.scoring import ScoringFileError
from cam.outreach.campaigns import CampaignFileError

P = ParamSpec("P")
R = TypeVar("R")

console = Console()
err_console = Console(stderr=True)


# The database the running command uses, for error messages (password hidden).
_database_url: ContextVar[str] = ContextVar("database_url", default="")


# The database `cam demo` writes by default, and `cam digest --demo` reads.
DEMO_DATABASE = Path("cam-demo.db")


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
        except MailboxError as exc:
            message, code = str(exc), 2
        except SQLAlchemyError as exc:
            message = _database_message(exc, _database_url.get())
        err_console.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)
        raise typer.Exit(code)

    return wrapper


def load_config(**overrides: object) -> ProcessConfig:
    """Read the settings and the mailboxes file, once for the command.

    A bad setting is reported by name, never with its content. The mailboxes file is settings
    too: a mistake in it stops every command, not only some.
    """
    settings = _settings(**overrides)
    config = ProcessConfig.load(settings)
    _database_url.set(settings.database_url)
    shown = escape(db.redacted_url(settings.database_url))
    err_console.print(f"Database: {shown}", style="dim", soft_wrap=True)
    return config


def _settings(**overrides: object) -> Settings:
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'settings'}: {error['msg']}"
            for error in exc.errors(include_input=False)
        )
        raise SettingsError(f"invalid settings: {problems}") from None
    return settings


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


def import_file(
    runtime: Runtime,
    path: Path,
    errors: Path,
    *,
    encoding: str | None = None,
    source: str | None = None,
    delimiter: str | None = None,
    mapping: dict[str, str] | None = None,
    owners: dict[str, str] | None = None,
    owner_fallback: OwnerFallback = OwnerFallback.error,
) -> ImportResult:
    """Import `path` with a progress bar on a terminal, rejected rows to `errors`."""
    with _progress(console.is_terminal) as progress:
        return import_leads(
            runtime.session_factory,
            path,
            errors_path=errors,
            encoding=encoding,
            source=source,
            delimiter=delimiter,
            progress=progress,
            mapping=mapping,
            owners=owners,
            owner_fallback=owner_fallback,
        )
