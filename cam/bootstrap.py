"""Wire the engine from `Settings`: database, sessions, gateways and the cycle's config."""

from __future__ import annotations

from email.utils import parseaddr
from types import TracebackType

from sqlalchemy import Engine

from cam.core.config import CAMCycleConfig, ChannelLimitConfig, SafetySettings, SendWindow
from cam.core.db import SessionFactory, make_engine, session_factory
from cam.core.mailboxes import default_mailbox, load_mailboxes
from cam.core.models import Channel, RuntimeState
from cam.core.ports import Gateways
from cam.core.settings import Settings
from cam.gateways.factory import build_gateways

FALLBACK_SENDER_DOMAIN = "cam.invalid"


class Runtime:
    """Everything a process (CLI, bot, scheduler) needs to run the engine.

    Pass `gateways` to replace the configured ones (tests, the demo); close it to release
    the database connections.
    """

    def __init__(self, settings: Settings, *, gateways: Gateways | None = None) -> None:
        self.settings = settings
        self.engine: Engine = make_engine(settings.database_url)
        self.session_factory: SessionFactory = session_factory(self.engine)
        self.gateways: Gateways = gateways if gateways is not None else build_gateways(settings)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Runtime:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def sender_domain(mail_from: str) -> str:
    """Return the domain of the From address (`Sales <a@acme.com>` -> `acme.com`)."""
    _, address = parseaddr(mail_from)
    _, at, domain = address.rpartition("@")
    domain = domain.strip().lower()
    return domain if at and domain else FALLBACK_SENDER_DOMAIN


def cycle_config(settings: Settings, state: RuntimeState) -> CAMCycleConfig:
    """Return the cycle's config: limits, files and zone from settings, dry-run from the state."""
    start, end = settings.send_window_hours
    email = ChannelLimitConfig(
        daily_cap=settings.email_daily_cap,
        hourly_cap=settings.email_hourly_cap,
        warmup_start=settings.warmup_start,
        warmup_increment=settings.warmup_increment,
    )
    safety_settings = SafetySettings(
        channels={
            Channel.email: email,
            Channel.linkedin: ChannelLimitConfig(daily_cap=settings.linkedin_daily_cap),
        },
        per_domain_daily_cap=settings.domain_daily_cap,
        send_window=SendWindow(start=start, end=end, weekdays=settings.send_weekdays),
        blocked_domains=settings.blocked_domain_set,
        min_gap_seconds=settings.min_gap_seconds,
    )
    return CAMCycleConfig(
        max_new_leads_per_day=settings.max_new_leads_per_day,
        max_outreach_per_day=settings.max_outreach_per_day,
        max_followups_per_day=settings.max_followups_per_day,
        safety_settings=safety_settings,
        dry_run=state.dry_run,
        timezone=settings.timezone,
        answer_within_hours=settings.answer_within_hours,
        campaign_file=settings.campaign_file,
        scoring_file=settings.scoring_file,
        reply_rules_file=settings.replies_file,
        sender_domain=sender_domain(settings.mail_from),
        secret_key=settings.secret_key,
        mailboxes=load_mailboxes(settings) if settings.mailboxes_file is not None else [],
        default_sender=default_mailbox(settings).sender,
    )
