"""CSV import speed beside a bare `sqlite3.executemany`, and peak memory on a large file.

    .venv/bin/python -m bench.import_bench [--rows 100000] [--rss-rows 1000000]

Prints the seconds of `cam.leads.importer.import_leads` on a CSV of `--rows` leads and of a bare
`executemany` of the same rows into the same `leads` table, their ratio (target <= 3), and
the peak RSS of a separate process importing `--rss-rows` leads (target < 150 MB).
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from cam.core.db import make_engine, session_factory, upgrade
from cam.leads.importer import import_leads

HEADER = ["Email", "First Name", "Last Name", "Company", "Job Title", "Time Zone", "Industry"]
TITLES = ["VP Sales", "Head of Growth", "CTO", "Marketing Manager", "Founder", "Engineer"]
ZONES = ["Europe/Berlin", "America/New_York", "", "Europe/London", "America/Chicago"]


def rows(n: int) -> Iterator[list[str]]:
    for i in range(n):
        yield [
            f"person{i}@company{i % 5000}.com",
            f"First{i}",
            f"Last{i}",
            f"Company {i % 5000}",
            TITLES[i % len(TITLES)],
            ZONES[i % len(ZONES)],
            "Software" if i % 3 else "",
        ]


def write_csv(path: Path, n: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(HEADER)
        writer.writerows(rows(n))


def bare_insert(db: Path, n: int) -> tuple[float, float]:
    """Insert the same rows with sqlite3.executemany; return wall and CPU seconds."""
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    values = [
        (
            email.lower(),
            first,
            last,
            company,
            title,
            email.rpartition("@")[2],
            zone or None,
            "csv:bench",
            json.dumps({"Industry": industry} if industry else {}),
            0,
            "[]",
            "new",
            0,
            now,
            now,
        )
        for email, first, last, company, title, zone, industry in rows(n)
    ]
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA synchronous=NORMAL")
    start, cpu = time.perf_counter(), time.process_time()
    conn.executemany(
        "INSERT INTO leads (email, first_name, last_name, company, title, domain, timezone,"
        " source, custom_fields, score, score_reasons, status, steps_planned, created_at,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        values,
    )
    conn.commit()
    elapsed = time.perf_counter() - start, time.process_time() - cpu
    conn.close()
    return elapsed


def timed_import(db: Path, csv_path: Path) -> tuple[float, float, int]:
    """Import the CSV; return wall and CPU seconds and the rows imported."""
    engine = make_engine(f"sqlite:///{db}")
    start, cpu = time.perf_counter(), time.process_time()
    result = import_leads(session_factory(engine), csv_path)
    elapsed = time.perf_counter() - start, time.process_time() - cpu
    engine.dispose()
    return *elapsed, result.imported


def child_import(db: Path, csv_path: Path) -> None:
    """Run in a subprocess: import, then print the peak RSS in MB and the rows imported."""
    engine = make_engine(f"sqlite:///{db}")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = import_leads(session_factory(engine), csv_path)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"peak_mb": peak, "before_mb": before, "imported": result.imported}))


def memory_run(work: Path, n: int) -> dict[str, float]:
    """Import `n` rows in a fresh process and return its peak RSS figures.

    Linux carries the parent's peak RSS into a child across fork and exec, so this runs
    before the parent has built anything large.
    """
    big = work / "big.csv"
    write_csv(big, n)
    upgrade(f"sqlite:///{work / 'big.db'}")
    out = subprocess.run(
        [sys.executable, "-m", "bench.import_bench", "--child", str(work / "big.db"), str(big)],
        check=True,
        capture_output=True,
        text=True,
    )
    figures: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    assert figures["imported"] == n, figures
    figures["file_mb"] = big.stat().st_size / 1e6
    big.unlink()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rss-rows", type=int, default=1_000_000)
    parser.add_argument("--child", nargs=2, metavar=("DB", "CSV"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_import(Path(args.child[0]), Path(args.child[1]))
        return
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        memory = memory_run(work, args.rss_rows)
        csv_path = work / "leads.csv"
        write_csv(csv_path, args.rows)
        for name in ("bare.db", "import.db"):
            upgrade(f"sqlite:///{work / name}")
        bare_wall, bare_cpu = bare_insert(work / "bare.db", args.rows)
        wall, cpu, imported = timed_import(work / "import.db", csv_path)
        assert imported == args.rows, imported
    print(f"rows                      {args.rows:>10,}")
    print(f"bare executemany          {bare_wall:>10.2f} s wall  {bare_cpu:>6.2f} s CPU")
    print(f"cam leads import          {wall:>10.2f} s wall  {cpu:>6.2f} s CPU")
    ratios = f"{wall / bare_wall:>10.2f}   wall  {cpu / bare_cpu:>6.2f}   CPU"
    print(f"ratio import / bare       {ratios}")
    print("                          (target <= 3; CPU time is steadier on a busy machine)")
    print(f"rows (memory run)         {args.rss_rows:>10,}   ({memory['file_mb']:.0f} MB of CSV)")
    print(f"RSS before the import     {memory['before_mb']:>10.1f} MB")
    print(f"peak RSS                  {memory['peak_mb']:>10.1f} MB   (target < 150 MB)")


if __name__ == "__main__":
    main()
