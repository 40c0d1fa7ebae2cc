"""The classifier's answers against the team's decisions on cards (`cam replies accuracy`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from rich import box
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from cam.core.models import ReplyClass, ReplyLabel


@dataclass
class Confusion:
    """How often the classifier said `predicted` where a person decided `label`."""

    counts: Counter[tuple[ReplyClass, ReplyClass]] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def agreed(self) -> int:
        return sum(n for (predicted, label), n in self.counts.items() if predicted is label)

    def classes(self) -> list[ReplyClass]:
        seen = {c for pair in self.counts for c in pair}
        return [c for c in ReplyClass if c in seen]


def confusion(session: Session, since: datetime) -> Confusion:
    """Count the labels decided since `since` by (classifier's class, person's class).

    A snooze says when to write again, not what the reply is: it is left out, and so is an
    undone label.
    """
    rows = session.execute(
        select(ReplyLabel.predicted, ReplyLabel.label).where(
            ReplyLabel.decided_at >= since,
            ReplyLabel.label.is_not(None),
            ReplyLabel.undone_at.is_(None),
        )
    ).all()
    return Confusion(Counter((predicted, label) for predicted, label in rows if label))


def confusion_table(result: Confusion, days: int) -> Table:
    """The matrix: one row per class the classifier said, one column per class people chose."""
    classes = result.classes()
    table = Table(
        title=f"Classifier (rows) against the team (columns), last {days} days",
        box=box.SIMPLE_HEAVY,
    )
    table.add_column("classifier \\ team", style="bold")
    for label in classes:
        table.add_column(label.value, justify="right")
    for predicted in classes:
        cells = []
        for label in classes:
            n = result.counts.get((predicted, label), 0)
            cells.append(f"[green]{n}[/green]" if predicted is label and n else str(n or "·"))
        table.add_row(predicted.value, *cells)
    share = result.agreed / result.total if result.total else 0.0
    table.caption = f"{result.agreed} of {result.total} agreed ({share:.0%})"
    return table
