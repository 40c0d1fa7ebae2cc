"""The `cam` command as a process or in this one, builders for CSV files and reads of what an
import stored."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from contextlib import chdir
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from cam.cli import app
from cam.core.db import SessionFactory, unit_of_work
from cam.core.models import Lead
from tests.runtime.processes import clean_env

CAM = str(Path(sys.executable).with_name("cam"))


def cam(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `cam ARGS` in `cwd` with only `env` set, as a newcomer runs it from a shell."""
    return subprocess.run(
        [CAM, *args],
        env=clean_env(**env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def cam_in_process(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `cam ARGS` as `cam` above does, through Typer's runner in this process: the same
    `main`, output and exit code, without a process's second of start-up. The environment is
    as clean as the process's (what `clean_env` would drop is unset meanwhile), and an error
    the command does not turn into a message propagates, as a traceback would show. The
    consoles keep the width they had when `cam` was imported (xdist sets COLUMNS=80): a test
    of wrapping at another COLUMNS runs the process."""
    kept = clean_env()
    unset: dict[str, str | None] = {name: None for name in os.environ if name not in kept}
    with chdir(cwd):
        result = CliRunner().invoke(app, list(args), env=unset | env, catch_exceptions=False)
    return subprocess.CompletedProcess([CAM, *args], result.exit_code, result.stdout, result.stderr)


def write_csv(path: Path, rows: list[list[str]], *, encoding: str = "utf-8") -> Path:
    with path.open("w", newline="", encoding=encoding) as file:
        csv.writer(file).writerows(rows)
    return path


def read_errors(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8-sig") as file:
        return list(csv.reader(file))


def lead_emails(sessions: SessionFactory) -> list[str]:
    with unit_of_work(sessions) as session:
        return list(session.scalars(select(Lead.email).order_by(Lead.id)))


def lead_count(sessions: SessionFactory) -> int:
    with unit_of_work(sessions) as session:
        return int(session.scalar(select(func.count(Lead.id))) or 0)
