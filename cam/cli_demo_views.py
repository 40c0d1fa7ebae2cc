"""What `cam demo` prints of its days and its inbox, each part labelled SIMULATED."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich import box
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from cam.core import safety

if TYPE_CHECKING:
    # The demo's run imports the whole cycle: every `cam` command would load it through here.
    from cam.demo.run import DemoDay
    from cam.demo.triage import Triage

SIMULATED = "SIMULATED"
# Columns of the day table: (header, the report's counter).
DAY_COLUMNS = (
    ("In", "leads_created"),
    ("Enrolled", "leads_enrolled"),
    ("Below", "leads_below_threshold"),
    ("Disq.", "leads_disqualified"),
    ("Would send", "simulated"),
    ("Sent", "outreach_sent"),
    ("Replies", "replies_detected"),
    ("Hot", "hot_leads_detected"),
)
EXCERPT = 110


def opening(moments: Sequence[datetime], timezone: str, database: Path) -> RenderableType:
    """Say what is simulated, over which days, and where the database is."""
    zone = safety.zone(timezone)
    first, last = moments[0].astimezone(zone), moments[-1].astimezone(zone)
    lines = [
        f"{SIMULATED}: {len(moments)} working days, {first:%a %-d %b} to {last:%a %-d %b %Y}: "
        f"the team's daily cycle at {first:%H:%M} ({timezone}) on the sample leads.",
        "Dry run: what the cycle would send is counted; nothing is sent.",
        "Replies are scripted: mail written from the training corpus into a demo inbox, in "
        "the thread of the email it answers, and read by the next morning's cycle.",
        f"Database (throwaway): {database}",
    ]
    return Panel(Text("\n".join(lines)), title=SIMULATED, expand=False)


def days_table(days: Sequence[DemoDay], timezone: str) -> RenderableType:
    """One line per day from its cycle report: every lead accounted for, what would go out."""
    table = Table(
        title=f"{SIMULATED}: each day's cycle report (dry run)",
        box=box.SIMPLE_HEAVY,
        pad_edge=False,
        caption_justify="left",
        caption=(
            "In: new leads, each one enrolled, below the bar or disqualified. Would send: "
            "emails and LinkedIn tasks the dry run counted (the digest leaves out those to "
            "leads a reply stopped since). Replies: read that morning."
        ),
    )
    table.add_column("Day", no_wrap=True)
    for header, _field in DAY_COLUMNS:
        table.add_column(header, justify="right")
    zone = safety.zone(timezone)
    problems = []
    for day in days:
        name = f"{day.moment.astimezone(zone):%a %-d %b}"
        counts = [str(getattr(day.report, field)) for _header, field in DAY_COLUMNS]
        table.add_row(name, *counts)
        for error in day.report.errors:
            item = f" {error.item}" if error.item else ""
            problems.append(f"  {name}, {error.phase}{item}: {error.message}")
    if not problems:
        return table
    return Group(
        table, Text("Errors (that message is not sent; the cycle goes on):\n" + "\n".join(problems))
    )


def triage_table(rows: Sequence[Triage], timezone: str) -> RenderableType:
    """Each scripted mail: who wrote what, how CAM read it, why, and what it did."""
    title = f"{SIMULATED}: the inbox and what CAM did with each mail"
    if not rows:
        text = Text("No mail: it arrives in the evenings between two days (--days 2 or more).")
        return Panel(text, title=title, expand=False)
    zone = safety.zone(timezone)
    blocks: list[RenderableType] = []
    for number, row in enumerate(rows, 1):
        mail = row.mail
        block = Text()
        block.append(f"{number}. {mail.at.astimezone(zone):%a %-d %b %H:%M}  ", style="bold")
        block.append(mail.lead)
        back = f", back {mail.back:%a %-d %b}" if mail.back else ""
        block.append(f"  (scripted: {mail.kind.value}{back})\n", style="dim")
        if mail.text:
            block.append(f'   "{_excerpt(mail.text)}"\n', style="italic")
        stored = row.stored.value if row.stored is not None else "not read"
        block.append("   CAM read it as ", style="dim")
        block.append(stored, style="bold")
        block.append(f": {row.why}\n" if row.why else "\n")
        block.append("   What CAM did: ", style="dim")
        block.append(row.did)
        blocks.append(block)
    written = Counter(row.mail.kind.value for row in rows)
    read = Counter(row.stored.value for row in rows if row.stored is not None)
    blocks.append(Text(f"Scripted: {_counts(written)}\nStored by CAM: {_counts(read)}"))
    return Panel(Group(*blocks), title=title, expand=False)


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT else flat[: EXCERPT - 3] + "..."


def _counts(counts: Counter[str]) -> str:
    return ", ".join(f"{n} {name}" for name, n in sorted(counts.items())) or "none"
