"""`cam demo`: the sample leads in a fresh SQLite database, and a dry-run cycle over them."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from sqlalchemy import select, update

from cam import cli_views
from cam.bootstrap import Runtime, cycle_config
from cam.cli_common import DEMO_DATABASE, console, import_file, load_settings
from cam.core import db, safety
from cam.core.mailboxes import default_mailbox
from cam.core.models import Channel, Lead, OutreachMessage, OutreachStatus, utcnow
from cam.core.settings import DATA_DIR
from cam.core.state import get_state
from cam.leads.scoring import load_rules
from cam.outreach.campaigns import sync_campaign_file

SAMPLE_LEADS = DATA_DIR / "sample_leads.csv"
# The sample's competitor domain, blocked in the demo to show a disqualification.
DEMO_BLOCKED_DOMAINS = frozenset({"rivalreach.com"})
DEMO_SEED = 7
DEMO_TIME = time(9, 5)
# Who signs the demo's emails when the settings name no sender (CAM_SENDER_*, CAM_FROM).
DEMO_SENDER = {
    "sender_name": "Maya Lind",
    "sender_title": "Partnerships, ACME",
    "booking_url": "https://cal.example/maya",
}
SAMPLE_ARRIVES_BEFORE = timedelta(hours=1)


def demo_clock(timezone: str, today: date) -> datetime:
    """Return 09:05 in the team's zone on the last weekday before `today`.

    In the past, so the demo's whole day has happened: the digest of that day shows all the
    cycle planned and would have sent, not a day still to come.
    """
    day = today - timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return datetime.combine(day, DEMO_TIME, tzinfo=safety.zone(timezone)).astimezone(UTC)


def _parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"expected YYYY-MM-DD, not {value!r}") from None


def demo(
    database: Annotated[
        Path, typer.Option("--db", help="SQLite file to (re)create for the demo.")
    ] = DEMO_DATABASE,
    emails: Annotated[int, typer.Option(min=0, help="Rendered emails to preview.")] = 3,
    today: Annotated[
        date | None,
        typer.Option(
            parser=_parse_day,
            metavar="YYYY-MM-DD",
            help="The day to take as today (default: today); the demo runs the weekday before.",
        ),
    ] = None,
) -> None:
    """Import the sample leads into a fresh SQLite database and run a dry-run cycle."""
    from cam.cycle import run_daily_cam_cycle  # the whole engine: `cam` loads it when needed

    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{database.resolve()}"
    settings = load_settings(DATABASE_URL=url)
    if not default_mailbox(settings).name and not parseaddr(settings.mail_from)[0]:
        settings = settings.model_copy(update=DEMO_SENDER)
    db.upgrade(url)
    console.print(f"[bold]Demo database:[/bold] {escape(str(database))} (dry run: nothing is sent)")
    errors_path = database.with_name(f"{database.stem}-errors.csv")
    with Runtime(settings) as runtime:
        result = import_file(runtime, SAMPLE_LEADS, errors_path)
        console.print(cli_views.import_summary(result))
        with db.unit_of_work(runtime.session_factory) as session:
            rules = load_rules(settings.scoring_file)
            config = cycle_config(settings, get_state(session))
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
        safety_settings = config.safety_settings.model_copy(
            update={"blocked_domains": DEMO_BLOCKED_DOMAINS}
        )
        config = config.model_copy(update={"safety_settings": safety_settings})
        if today is None:
            today = utcnow().astimezone(safety.zone(settings.timezone)).date()
        now = demo_clock(settings.timezone, today)
        console.print(
            f"[bold]Clock:[/bold] {cli_views.when(now)} (a weekday morning, inside the send "
            f"window); blocked domain: {', '.join(sorted(DEMO_BLOCKED_DOMAINS))}"
        )
        with db.unit_of_work(runtime.session_factory) as session:
            # The sample arrives on the demo's morning, so its day counts it as leads in.
            session.execute(update(Lead).values(created_at=now - SAMPLE_ARRIVES_BEFORE))
        report = run_daily_cam_cycle(
            config,
            session_factory=runtime.session_factory,
            gateways=runtime.gateways,
            clock=lambda: now,
            rng=random.Random(DEMO_SEED),
            trigger="demo",
            instance=settings.instance_name,
        )
        console.print(cli_views.report_view(report, title="Dry-run cycle"))
        _preview(runtime, emails)
    if result.errors_file is not None:
        console.print(
            f"Rejected rows ({result.rejected}) are in [bold]{escape(str(errors_path))}[/bold], "
            "with their line numbers and reasons."
        )
    day = safety.team_day(now, settings.timezone)
    if database == DEMO_DATABASE:
        digest_command = "cam digest --demo --png chart.png"
    else:
        digest_command = f"DATABASE_URL={url} cam digest --day {day} --png chart.png"
    console.print(
        f"The digest of the demo's day ({day:%a %d %b}), with its chart: "
        f"[bold]{escape(digest_command)}[/bold]"
    )
    console.print(
        "Next: `cam report`, `cam limits`, `cam events` (with "
        f"DATABASE_URL={escape(url)} to read the demo database)."
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
            console.print("No email would go out in this cycle.")
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
