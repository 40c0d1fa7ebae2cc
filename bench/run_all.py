"""Run every benchmark in `bench/` and print one table of their figures.

Each benchmark is a module run as `python -m bench.<name>` in its own process, so one cannot
warm the caches of the next. A benchmark reports a figure by printing a line
`BENCH {"metric": ..., "value": ..., "unit": ..., "target": ..., "ok": ...}` (see `emit`);
its other output is shown as it is. The table is Markdown, ready for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
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
    return Outcome(name, time.perf_counter() - started, returncode, rows)


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
        if not outcome.rows and outcome.returncode == 0:
            lines.append(f"| {outcome.name} | run | {outcome.seconds:.1f} s (see output) |  |  |")
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
    outcomes = [run_one(name, extra, args.timeout) for name in names]
    print("\n" + table(outcomes))
    return 0 if all(outcome.returncode == 0 for outcome in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
