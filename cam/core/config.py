"""What one cycle may do: caps, channels, send window and dry-run, as pydantic models."""

from __future__ import annotations

from datetime import time
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from cam.core.enums import SendMode
from cam.core.mailboxes import DEFAULT_KEY, MailboxConfig, SenderProfile
from cam.core.models import Channel
from cam.core.settings import DATA_DIR


class ChannelLimitConfig(BaseModel):
    """Caps of one channel: daily, optional hourly, and an optional warm-up ramp."""

    daily_cap: int = Field(ge=0)
    hourly_cap: int | None = Field(default=None, ge=1)
    warmup_start: int | None = Field(default=None, ge=0)
    warmup_increment: int = Field(default=5, ge=1)

    def cap_on_day(self, days_since_start: int | None) -> int:
        """Return today's cap: the warm-up ramp, until it reaches the daily cap."""
        if self.warmup_start is None or days_since_start is None:
            return self.daily_cap
        ramp = self.warmup_start + self.warmup_increment * max(days_since_start, 0)
        return min(self.daily_cap, ramp)


class SendWindow(BaseModel):
    """Hours in which a message may go out, in the recipient's local time."""

    start: time = time(9, 0)
    end: time = time(17, 0)
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})

    @model_validator(mode="after")
    def _ordered(self) -> SendWindow:
        if self.start >= self.end:
            raise ValueError("send window must start before it ends")
        return self


class SafetySettings(BaseModel):
    channels: dict[Channel, ChannelLimitConfig]
    per_domain_daily_cap: int = Field(default=3, ge=0)
    send_window: SendWindow = SendWindow()
    blocked_domains: frozenset[str] = frozenset()
    min_gap_seconds: int = Field(default=120, ge=0)
    max_extra_gap_seconds: int = Field(default=300, ge=0)


def default_safety_settings() -> SafetySettings:
    """Return the conservative defaults: email 20 a day, LinkedIn 10, 3 per domain."""
    return SafetySettings(
        channels={
            Channel.email: ChannelLimitConfig(daily_cap=20),
            Channel.linkedin: ChannelLimitConfig(daily_cap=10),
        }
    )


class Sender(BaseModel):
    """One mailbox as the planner and the send pass see it: its caps, window and gap."""

    key: str
    address: str = ""
    owner: str = ""
    # Takes new leads; an inactive mailbox only finishes the sequences it started.
    active: bool = True
    limits: ChannelLimitConfig
    window: SendWindow
    min_gap_seconds: int


class CAMCycleConfig(BaseModel):
    # Built once per process and shared by its threads (cam/bootstrap.py): never changed.
    model_config = ConfigDict(frozen=True)

    max_new_leads_per_day: int = Field(default=500, ge=0)
    max_outreach_per_day: int = Field(default=30, ge=0)
    max_followups_per_day: int = Field(default=30, ge=0)
    channels_enabled: frozenset[Channel] = frozenset({Channel.email, Channel.linkedin})
    dry_run: bool = True
    timezone: str = "UTC"
    # Working hours (in the lead's zone) an interested reply may wait for its first answer.
    answer_within_hours: float = Field(default=2.0, gt=0)
    safety_settings: SafetySettings = Field(default_factory=default_safety_settings)
    campaign_file: Path = DATA_DIR / "campaign.toml"
    scoring_file: Path = DATA_DIR / "scoring.toml"
    reply_rules_file: Path = DATA_DIR / "replies.toml"
    # Domain of our Message-IDs (the From address's domain).
    sender_domain: str = "cam.invalid"
    # Signs unsubscribe links; empty means links cannot be made (dry-run only).
    secret_key: SecretStr = SecretStr("")
    # The team's mailboxes file; empty: one `default` mailbox with the email channel's caps.
    mailboxes: list[MailboxConfig] = Field(default_factory=list)
    # Who signs the default mailbox's mail (CAM_SENDER_* and CAM_FROM's display name).
    default_sender: SenderProfile = SenderProfile(first_name="CAM", name="CAM", signature="CAM")

    @property
    def mode(self) -> SendMode:
        return SendMode.of(self.dry_run)

    def sender_profiles(self) -> dict[str, SenderProfile]:
        """Who signs each mailbox's mail, by key: `sender.*` in templates and snippets."""
        if not self.mailboxes:
            return {DEFAULT_KEY: self.default_sender}
        return {mailbox.key: mailbox.sender for mailbox in self.mailboxes}

    def senders(self) -> list[Sender]:
        """Return each mailbox with its caps, window and gap (the team's where it sets none)."""
        safety = self.safety_settings
        if not self.mailboxes:
            limits = safety.channels.get(Channel.email) or ChannelLimitConfig(daily_cap=0)
            return [
                Sender(
                    key=DEFAULT_KEY,
                    limits=limits,
                    window=safety.send_window,
                    min_gap_seconds=safety.min_gap_seconds,
                )
            ]
        return [_sender(mailbox, safety) for mailbox in self.mailboxes]


def _sender(mailbox: MailboxConfig, safety: SafetySettings) -> Sender:
    window = safety.send_window
    if mailbox.hours is not None:
        start, end = mailbox.hours
        window = SendWindow(start=start, end=end, weekdays=window.weekdays)
    gap = mailbox.min_gap_seconds
    return Sender(
        key=mailbox.key,
        address=mailbox.address,
        owner=mailbox.owner,
        active=mailbox.active,
        limits=ChannelLimitConfig(
            daily_cap=mailbox.daily_cap,
            hourly_cap=mailbox.hourly_cap,
            warmup_start=mailbox.warmup_start,
            warmup_increment=mailbox.warmup_increment,
        ),
        window=window,
        min_gap_seconds=safety.min_gap_seconds if gap is None else gap,
    )
