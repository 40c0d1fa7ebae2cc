"""The chart's days as CSV, for people who paste the numbers into a spreadsheet."""

from __future__ import annotations

import csv
from pathlib import Path

from cam.digest.model import Digest

HEADER = (
    "day",
    "weekday",
    "sending_day",
    "sent",
    "would_send_dry_run",
    "bounced",
    "replies",
    "interested",
    "question",
    "not_interested",
    "opt_out",
)


def write_csv(digest: Digest, path: Path) -> None:
    """Write one row per day of the chart's range, oldest first, with a header row."""
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(HEADER)
        for point in digest.series:
            writer.writerow(
                (
                    point.day.isoformat(),
                    f"{point.day:%a}",
                    "no" if point.off else "yes",
                    point.sent,
                    point.simulated,
                    point.bounces,
                    point.replies,
                    point.interested,
                    point.question,
                    point.not_interested,
                    point.opt_out,
                )
            )
