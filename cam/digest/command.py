"""`cam digest`: the digest in the terminal, and its chart as a PNG, without Slack."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from cam.bootstrap import Runtime, cycle_config
from cam.cli_common import CliError, load_settings
from cam.core import db
from cam.core.models import utcnow
from cam.core.state import get_state
from cam.digest.build import build_digest
from cam.digest.model import DigestKind
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
) -> None:
    """Show the digest the bot posts (the day's funnel, rates, what waits, limits)."""
    try:
        last = date.fromisoformat(day) if day else None
    except ValueError:
        raise CliError(f"--day takes YYYY-MM-DD, not {day!r}") from None
    settings = load_settings()
    with Runtime(settings) as runtime, db.unit_of_work(runtime.session_factory) as session:
        config = cycle_config(settings, get_state(session))
        kind = DigestKind.weekly if week else DigestKind.daily
        built = build_digest(session, config=config, now=utcnow(), day=last, kind=kind)
    console.print(digest_view(built))
    if png is not None:
        # matplotlib takes a while to import: only the chart needs it, not every `cam` command.
        from cam.digest.chart import render_chart

        png.write_bytes(render_chart(built))
        console.print(f"Chart written to {escape(str(png))}")
