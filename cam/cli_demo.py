"""`cam demo`: two simulated weeks of the team's cycle on the sample leads, in dry run.

A fresh SQLite database beside the other demo files; the sample imported on the first
morning; the real daily cycle each working day on a clock the demo moves; a scripted inbox
answering the emails the cycle would have sent. Then what a team would read: each day's
accounting, the replies and what CAM did with them, the digest and its chart.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from email.utils import parseaddr
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.panel import Panel
from sqlalchemy import select

from cam import cli_demo_views, cli_digest, cli_views
from cam.bootstrap import ProcessConfig, Runtime
from cam.cli_common import DEMO_DATABASE, console, import_file, load_config
from cam.core import db, safety
from cam.core.config import CAMCycleConfig
from cam.core.mailboxes import DEFAULT_KEY, default_mailbox
from cam.core.models import Channel, Lead, OutreachMessage, OutreachStatus, utcnow
from cam.core.settings import DATA_DIR, Settings
from cam.core.state import get_state
from cam.leads.scoring import load_rules
from cam.outreach.campaigns import sync_campaign_file

SAMPLE_LEADS = DATA_DIR / "sample_leads.csv"
# The sample's competitor domain, blocked in the demo to show a disqualification.
DEMO_BLOCKED_DOMAINS = frozenset({"rivalreach.com"})
# Two weeks of working days.
DEMO_DAYS = 10
# Who signs the demo's emails when the settings name no sender (CAM_SENDER_*, CAM_FROM).
DEMO_SENDER = {
    "sender_name": "Maya Lind",
    "sender_title": "Partnerships, ACME",
    "booking_url": "https://cal.example/maya",
}


@dataclass(frozen=True)
class DemoFiles:
    """The files a demo writes, all beside its database and named after it."""

    database: Path

    @property
    def errors(self) -> Path:
        return self.database.with_name(f"{self.database.stem}-errors.csv")

    @property
    def chart(self) -> Path:
        return self.database.with_name(f"{self.database.stem}-digest.png")

    def clear(self) -> None:
        """Remove what an earlier demo left, so each run starts afresh."""
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.database}{suffix}").unlink(missing_ok=True)
        self.errors.unlink(missing_ok=True)
        self.chart.unlink(missing_ok=True)


def _parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"expected YYYY-MM-DD, not {value!r}") from None


def demo(
    database: Annotated[
        Path, typer.Option("--db", help="SQLite file to (re)create for the demo.")
    ] = DEMO_DATABASE,
    emails: Annotated[int, typer.Option(min=0, help="Rendered emails to preview.")] = 1,
    today: Annotated[
        date | None,
        typer.Option(
            parser=_parse_day,
            metavar="YYYY-MM-DD",
            help="The day to take as today (default: today); the demo ends the weekday before.",
        ),
    ] = None,
    days: Annotated[
        int, typer.Option(min=1, max=60, help="Working days to simulate (10: two weeks).")
    ] = DEMO_DAYS,
) -> None:
    """Simulate two weeks of the daily cycle on the sample leads (dry run: nothing is sent)."""
    # The whole engine and the digest: `cam` loads them only for the command that runs them.
    from cam.demo.inbox import DemoInbox
    from cam.demo.run import DEMO_SEED, cycle_moments, demo_gateways, run_days
    from cam.demo.script import ReplyScript
    from cam.demo.triage import triage
    from cam.digest.build import build_digest
    from cam.digest.model import DigestKind

    files = DemoFiles(database)
    files.clear()
    url = f"sqlite:///{database.resolve()}"
    process = load_config(DATABASE_URL=url)
    settings = process.settings
    if not default_mailbox(settings).name and not parseaddr(settings.mail_from)[0]:
        settings = settings.model_copy(update=DEMO_SENDER)
        process = ProcessConfig(settings, process.mailboxes)
    db.upgrade(url)
    inbox = DemoInbox()
    with Runtime(process, gateways=demo_gateways(inbox)) as runtime:
        result = import_file(runtime, SAMPLE_LEADS, files.errors)
        console.print(cli_views.import_summary(result))
        config = _demo_config(runtime)
        if today is None:
            today = utcnow().astimezone(safety.zone(settings.timezone)).date()
        weekdays = config.safety_settings.send_window.weekdays
        moments = cycle_moments(settings.timezone, today, days, weekdays)
        console.print(cli_demo_views.opening(moments, config.timezone, files.database))
        script = ReplyScript(inbox, config, _addresses(settings, config), random.Random(DEMO_SEED))
        ran = run_days(runtime, config, script, moments)
        console.print(cli_demo_views.days_table(ran, config.timezone))
        with db.unit_of_work(runtime.session_factory) as session:
            read = triage(session, script.mail, config.timezone)
        console.print(cli_demo_views.triage_table(read, config.timezone))
        _preview(runtime, emails)
        with db.unit_of_work(runtime.session_factory) as session:
            built = build_digest(session, config=config, now=moments[-1], kind=DigestKind.weekly)
    console.print(Panel.fit("[bold]SIMULATED[/bold]: the digest, the week to the demo's last day"))
    cli_digest.print_digest(built, png=files.chart, csv=None)
    last_day = safety.team_day(moments[-1], config.timezone)
    _closing(files, result.rejected if result.errors_file is not None else 0, url, last_day)


def _demo_config(runtime: Runtime) -> CAMCycleConfig:
    """Sync the sample campaign; return the cycle's config in dry run, with a blocked domain."""
    settings = runtime.settings
    with db.unit_of_work(runtime.session_factory) as session:
        rules = load_rules(settings.scoring_file)
        config = runtime.config.cycle_config(get_state(session))
        campaign = sync_campaign_file(
            session,
            settings.campaign_file,
            default_threshold=rules.threshold,
            senders=config.sender_profiles(),
        )
        console.print(
            f"[bold]Campaign:[/bold] {escape(campaign.name)}: {len(campaign.steps)} steps, "
            f"leads scoring {campaign.score_threshold} or more are enrolled"
        )
        console.print(cli_views.senders_line(config.sender_profiles()))
    console.print(f"[bold]Blocked domain:[/bold] {', '.join(sorted(DEMO_BLOCKED_DOMAINS))}")
    safety_settings = config.safety_settings.model_copy(
        update={"blocked_domains": DEMO_BLOCKED_DOMAINS}
    )
    return config.model_copy(update={"safety_settings": safety_settings, "dry_run": True})


def _addresses(settings: Settings, config: CAMCycleConfig) -> dict[str, str]:
    """Each mailbox's From address by key: where the scripted replies are written to."""
    if config.mailboxes:
        return {mailbox.key: mailbox.address for mailbox in config.mailboxes}
    return {DEFAULT_KEY: default_mailbox(settings).address}


def _closing(files: DemoFiles, rejected: int, url: str, last_day: date) -> None:
    if rejected:
        console.print(
            f"Rejected rows ({rejected}) are in [bold]{escape(str(files.errors))}[/bold], "
            "with their line numbers and reasons."
        )
    digest = (
        "cam digest --demo"
        if files.database == DEMO_DATABASE
        else f"DATABASE_URL={url} cam digest --day {last_day}"
    )
    console.print(
        f"Read the demo again: [bold]{escape(digest)}[/bold] (its last day; --week for the "
        f"week above); `cam report`, `cam limits`, `cam events` with DATABASE_URL={escape(url)}."
    )


def _preview(runtime: Runtime, count: int) -> None:
    if count == 0:
        return
    query = (
        select(OutreachMessage, Lead)
        .join(Lead, Lead.id == OutreachMessage.lead_id)
        .where(
            OutreachMessage.status == OutreachStatus.simulated,
            OutreachMessage.channel == Channel.email,
        )
        .order_by(OutreachMessage.sent_at, OutreachMessage.id)
        .limit(count)
    )
    with db.unit_of_work(runtime.session_factory) as session:
        rows = session.execute(query).all()
        if not rows:
            console.print("No email would go out in these days.")
            return
        console.print(f"[bold]The first {len(rows)} emails the cycle would send:[/bold]")
        for message, lead in rows:
            console.print(
                cli_views.email_preview(
                    lead.email,
                    message.subject or "",
                    message.body or "",
                    message.sent_at or message.scheduled_at,
                )
            )
