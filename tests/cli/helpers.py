"""Builders for CSV files and reads of what an import stored."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import func, select

from cam.core.db import SessionFactory, unit_of_work
from cam.core.models import Lead


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
