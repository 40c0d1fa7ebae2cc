"""Wire the engine from `Settings`: the process's config, database, sessions and gateways."""

from __future__ import annotations

from collections.abc import Sequence
from email.utils import parseaddr
from types import TracebackType

from sqlalchemy import Engine

from cam.core.config import CAMCycleConfig, ChannelLimitConfig, SafetySettings, SendWindow
from cam.core.db import SessionFactory, make_engine, session_factory
from cam.core.enums import SendMode
from cam.core.mailboxes import (
    MailboxConfig,
    default_mailbox,
    load_mailboxes,
    owner_names,
    owners,
)
from cam.core.models import Channel, RuntimeState
from cam.core.ports import Gateways
from cam.core.settings import Settings
from cam.gateways.factory import build_gateways

FALLBACK_SENDER_DOMAIN = "cam.invalid"


class ProcessConfig:
    """What a process reads from its settings once, at start (and again on an explicit reload):
    the mailboxes file, read and checked, and the cycle's config built from both.

    Only dry run changes with the database: both configs, dry and live, are built here, so a
    request picks one instead of building it. Nothing here changes after it is built.
    """

    def __init__(self, settings: Settings, mailboxes: Sequence[MailboxConfig]) -> None:
        self.settings = settings
        # The mailboxes file's, checked; empty without one (the settings make the one mailbox).
        self.mailboxes = list(mailboxes)
        # Mailbox key -> its owner's Slack user ID.
        self.owners = owners(self.mailboxes)
        # An import's owner column -> mailbox key; None without a mailboxes file.
        self.owner_names = owner_names(self.mailboxes)
        dry = _cycle_config(settings, self.mailboxes)
        live = dry.model_copy(update={"dry_run": False})
        self._configs = {SendMode.dry: dry, SendMode.live: live}

    @classmethod
    def load(cls, settings: Settings) -> ProcessConfig:
        """Read and check the mailboxes file, if the settings name one.

        Raise `MailboxError` in one line naming the file, the line and the fix.
        """
        listed = load_mailboxes(settings) if settings.mailboxes_file is not None else []
        return cls(settings, listed)

    def cycle_config(self, state: RuntimeState) -> CAMCycleConfig:
        """The cycle's config, dry or live as the team's switch (`state`) says."""
        return self._configs[SendMode.of(state.dry_run)]

    def config_in(self, mode: SendMode) -> CAMCycleConfig:
        """The cycle's config in `mode`, whatever the switch says (a dry cycle asked for)."""
        return self._configs[mode]


class Runtime:
    """Everything a process (CLI, bot, scheduler) needs to run the engine.

    Pass `gateways` to replace the configured ones (tests, the demo); close it to release
    the database connections.
    """

    def __init__(self, config: ProcessConfig, *, gateways: Gateways | None = None) -> None:
        self.config = config
        self.settings = config.settings
        self.engine: Engine = make_engine(self.settings.database_url)
        self.session_factory: SessionFactory = session_factory(self.engine)
        self.gateways: Gateways = (
            gateways if gateways is not None else build_gateways(self.settings, config.mailboxes)
        )

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


def _cycle_config(settings: Settings, mailboxes: list[MailboxConfig]) -> CAMCycleConfig:
    """The cycle's config in dry run: limits, files and zone from settings, and the mailboxes."""
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
        dry_run=True,
        timezone=settings.timezone,
        answer_within_hours=settings.answer_within_hours,
        campaign_file=settings.campaign_file,
        scoring_file=settings.scoring_file,
        reply_rules_file=settings.replies_file,
        sender_domain=sender_domain(settings.mail_from),
        secret_key=settings.secret_key,
        mailboxes=mailboxes,
        default_sender=default_mailbox(settings).sender,
    )
