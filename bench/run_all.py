"""Run every benchmark in `bench/` and print one table of their figures.

Each benchmark is a module run as `python -m bench.<name>` in its own process, so one cannot
warm the caches of the next. A benchmark reports a figure by printing a line
`BENCH {"metric": ..., "value": ..., "unit": ..., "target": ..., "ok": ...}` (see `emit`);
its other output is shown as it is. The table is Markdown, ready for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).parent
PREFIX = "BENCH "
SKIP = {"__init__", "run_all"}


def emit(
    metric: str, value: float | int | str, unit: str = "", target: str = "", ok: bool | None = None
) -> None:
    """Print one figure in the form `run_all` collects."""
    row = {"metric": metric, "value": value, "unit": unit, "target": target, "ok": ok}
    print(PREFIX + json.dumps(row), flush=True)


@dataclass
class Outcome:
    name: str
    seconds: float
    returncode: int
    rows: list[dict[str, Any]] = field(default_factory=list)
    # 1-minute load average when the benchmark ended: other work on the machine skews times.
    load: float = 0.0


def machine() -> dict[str, str]:
    """Describe where the figures come from: CPUs, model, memory, Python, SQLite, PostgreSQL."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        kib = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal:")
        )
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        memory = "unknown"
    return {
        "CPUs": str(os.cpu_count()),
        "CPU model": model,
        "memory": memory,
        "Python": platform.python_version(),
        "SQLite": sqlite3.sqlite_version,
        "PostgreSQL": _postgres_version(),
    }


def _postgres_version() -> str:
    from sqlalchemy import text

    from cam.core.db import make_engine

    url = os.environ.get("CAM_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SHOW server_version")).scalar())
    except Exception as exc:
        return f"unreachable ({type(exc).__name__})"
    finally:
        engine.dispose()


def discover() -> list[str]:
    """Name the benchmark modules: every `bench/*.py` but this one and private helpers."""
    return sorted(
        path.stem
        for path in BENCH_DIR.glob("*.py")
        if path.stem not in SKIP and not path.stem.startswith("_")
    )


def run_one(name: str, extra: list[str], timeout: float) -> Outcome:
    """Run one benchmark, echo its output, and keep the figures it emitted."""
    print(f"\n=== bench.{name} ===", flush=True)
    started = time.perf_counter()
    rows: list[dict[str, Any]] = []
    try:
        done = subprocess.run(
            [sys.executable, "-m", f"bench.{name}", *extra],
            cwd=BENCH_DIR.parent,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        returncode, stdout, stderr = done.returncode, done.stdout, done.stderr
    except subprocess.TimeoutExpired as exc:
        returncode, stdout, stderr = -1, _text(exc.stdout), f"timed out after {timeout:.0f} s"
    for line in stdout.splitlines():
        if line.startswith(PREFIX):
            rows.append(json.loads(line[len(PREFIX) :]))
        else:
            print(line)
    if returncode != 0:
        print(stderr[-4000:], file=sys.stderr)
    return Outcome(name, time.perf_counter() - started, returncode, rows, os.getloadavg()[0])


def _text(data: bytes | str | None) -> str:
    if isinstance(data, bytes):
        return data.decode(errors="replace")
    return data or ""


def table(outcomes: list[Outcome]) -> str:
    """Render every figure as a Markdown table, one line per figure."""
    lines = ["| bench | metric | value | target | met |", "|---|---|---|---|---|"]
    for outcome in outcomes:
        if outcome.returncode != 0:
            status = "timed out" if outcome.returncode == -1 else f"exit {outcome.returncode}"
            lines.append(f"| {outcome.name} | run | {status} |  | no |")
        lines.append(
            f"| {outcome.name} | wall time (load average after) "
            f"| {outcome.seconds:.1f} s ({outcome.load:.1f}) |  |  |"
        )
        for row in outcome.rows:
            value = row.get("value")
            shown = f"{value:.3g}" if isinstance(value, float) else str(value)
            unit = row.get("unit") or ""
            ok = row.get("ok")
            met = "" if ok is None else ("yes" if ok else "no")
            lines.append(
                f"| {outcome.name} | {row.get('metric')} | {shown} {unit} "
                f"| {row.get('target') or ''} | {met} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per benchmark")
    args, extra = parser.parse_known_args(argv)
    names = args.names or discover()
    unknown = sorted(set(names) - set(discover()))
    if unknown:
        parser.error(f"no such benchmark: {', '.join(unknown)}")
    about = machine()
    print("\n".join(f"{key}: {value}" for key, value in about.items()), flush=True)
    outcomes = [run_one(name, extra, args.timeout) for name in names]
    print("\n" + "\n".join(f"- {key}: {value}" for key, value in about.items()))
    print("\n" + table(outcomes))
    return 0 if all(outcome.returncode == 0 for outcome in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
