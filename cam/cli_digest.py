"""`cam digest`: the digest in the terminal, its chart as a PNG and its days as CSV, no Slack."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from cam.bootstrap import ProcessConfig, Runtime
from cam.cli_common import DEMO_DATABASE, CliError, load_config
from cam.core import db
from cam.core.models import CycleRun, utcnow
from cam.core.state import get_state
from cam.digest.build import build_digest
from cam.digest.export import write_csv
from cam.digest.model import Digest, DigestKind
from cam.digest.terminal import digest_view

console = Console()


def digest(
    day: Annotated[
        str | None, typer.Option(help="The day to count, YYYY-MM-DD (default: today).")
    ] = None,
    week: Annotated[
        bool, typer.Option("--week", help="The week in review: 7 days against the 7 before.")
    ] = False,
    png: Annotated[Path | None, typer.Option(help="Write the 14-day chart to this file.")] = None,
    csv: Annotated[
        Path | None, typer.Option("--csv", help="Write the chart's 14 days as CSV rows.")
    ] = None,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo", help="Read the demo's database (cam-demo.db here) on the demo's day."
        ),
    ] = False,
) -> None:
    """Show the digest the bot posts (the day's funnel, per rep, bounces, rates, what waits)."""
    try:
        last = date.fromisoformat(day) if day else None
    except ValueError:
        raise CliError(f"--day takes YYYY-MM-DD, not {day!r}") from None
    process = _demo_config() if demo else load_config()
    with Runtime(process) as runtime, db.unit_of_work(runtime.session_factory) as session:
        config = process.cycle_config(get_state(session))
        now = _demo_now(session) if demo else utcnow()
        kind = DigestKind.weekly if week else DigestKind.daily
        built = build_digest(session, config=config, now=now, day=last, kind=kind)
    print_digest(built, png=png, csv=csv)


def print_digest(built: Digest, *, png: Path | None, csv: Path | None) -> None:
    """Print the digest; write its chart to `png` and its days to `csv` when given."""
    console.print(digest_view(built))
    if png is not None:
        # matplotlib takes a while to import: only the chart needs it, not every `cam` command.
        from cam.digest.chart import render_chart

        png.write_bytes(render_chart(built))
        console.print(f"Chart written to {escape(str(png))}")
    if csv is not None:
        write_csv(built, csv)
        console.print(f"Days written to {escape(str(csv))}")


def _demo_config() -> ProcessConfig:
    if not DEMO_DATABASE.exists():
        raise CliError(f"No demo database here ({DEMO_DATABASE}): run `cam demo` first.")
    return load_config(DATABASE_URL=f"sqlite:///{DEMO_DATABASE.resolve()}")


def _demo_now(session: Session) -> datetime:
    """The demo's clock: the start of its last cycle (the demo runs on a past weekday)."""
    ended = session.scalar(
        select(CycleRun.started_at).order_by(CycleRun.started_at.desc()).limit(1)
    )
    if ended is None:
        raise CliError("The demo database has no cycle: run `cam demo` again.")
    return ended
