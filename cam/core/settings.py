"""Settings read from the environment and `.env`; one class for the whole engine."""

from __future__ import annotations

from datetime import time
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from cam.core import db

DATA_DIR = Path(__file__).parent.parent / "data"


DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_hours(value: str) -> tuple[time, time]:
    """Parse `HH:MM-HH:MM` into its start and end; raise ValueError saying what is wrong.

    `24:00` ends a window at midnight: a window may cover the whole day.
    """
    start, _, end = value.partition("-")
    try:
        ends = time.max if end.strip() == "24:00" else time.fromisoformat(end.strip())
        hours = time.fromisoformat(start.strip()), ends
    except ValueError as exc:
        raise ValueError(f"expected HH:MM-HH:MM ({exc})") from exc
    if hours[0] >= hours[1]:
        raise ValueError("expected HH:MM-HH:MM (the window must start before it ends)")
    return hours


def parse_days(value: str) -> frozenset[int]:
    """Parse days such as `mon-fri` or `sun-thu,sat` into weekday numbers (Monday is 0).

    Teams where the working week is not Monday to Friday (Sunday to Thursday in much of the
    Middle East) send on their own days.
    """
    days: set[int] = set()
    for part in filter(None, (p.strip().lower() for p in value.split(","))):
        first, _, last = part.partition("-")
        if first not in DAY_KEYS or (last and last not in DAY_KEYS):
            raise ValueError(f"expected days like mon-fri or sun-thu,sat, not {part!r}")
        start, end = DAY_KEYS.index(first), DAY_KEYS.index(last or first)
        days.update(day % 7 for day in range(start, end + (7 if end < start else 0) + 1))
    if not days:
        raise ValueError("expected at least one day, such as mon-fri")
    return frozenset(days)


# How a mail connection is secured; `tls` is what many providers call port 465's implicit TLS.
SECURITY_MODES = ("starttls", "ssl", "none")
SECURITY_ALIASES = {"tls": "ssl"}


def parse_security(value: str) -> str:
    """Return the security mode `value` names (any case, `tls` for `ssl`); raise ValueError."""
    mode = value.strip().lower()
    mode = SECURITY_ALIASES.get(mode, mode)
    if mode not in SECURITY_MODES:
        raise ValueError(
            f"expected starttls (port 587), ssl or tls (port 465) or none, not {value.strip()!r}"
        )
    return mode


class Settings(BaseSettings):
    """Everything the engine needs to know about its environment.

    Secrets are `SecretStr` so that printing or logging a `Settings` never shows them.
    """

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str = Field(default_factory=db.default_database_url, alias="DATABASE_URL")
    timezone: str = Field(default="UTC", alias="CAM_TIMEZONE")
    campaign_file: Path = Field(default=DATA_DIR / "campaign.toml", alias="CAM_CAMPAIGN_FILE")
    scoring_file: Path = Field(default=DATA_DIR / "scoring.toml", alias="CAM_SCORING_FILE")
    replies_file: Path = Field(default=DATA_DIR / "replies.toml", alias="CAM_REPLY_RULES_FILE")
    snippets_file: Path = Field(default=DATA_DIR / "snippets.toml", alias="CAM_SNIPPETS_FILE")
    # Working hours (in the lead's zone) an interested reply may wait for an answer before
    # its owner is reminded in the card's thread.
    answer_within_hours: float = Field(default=2.0, gt=0, le=80, alias="CAM_ANSWER_WITHIN")
    instance_name: str = Field(default="cam", alias="CAM_INSTANCE_NAME")
    secret_key: SecretStr = Field(default=SecretStr(""), alias="CAM_SECRET_KEY")
    public_url: str = Field(default="http://localhost:3000", alias="CAM_PUBLIC_URL")
    # Slack member IDs of the approvers (the bot requires them); the CLI checks who undoes a
    # label against them.
    approvers: str = Field(default="", alias="CAM_APPROVERS")

    # Safety limits (the defaults are the conservative ones of `default_safety_settings`).
    email_daily_cap: int = Field(default=20, ge=0, alias="CAM_EMAIL_DAILY_CAP")
    email_hourly_cap: int | None = Field(default=None, ge=1, alias="CAM_EMAIL_HOURLY_CAP")
    linkedin_daily_cap: int = Field(default=10, ge=0, alias="CAM_LINKEDIN_DAILY_CAP")
    warmup_start: int | None = Field(default=None, ge=0, alias="CAM_WARMUP_START")
    warmup_increment: int = Field(default=5, ge=1, alias="CAM_WARMUP_INCREMENT")
    domain_daily_cap: int = Field(default=3, ge=0, alias="CAM_DOMAIN_DAILY_CAP")
    send_window: str = Field(default="09:00-17:00", alias="CAM_SEND_WINDOW")
    send_days: str = Field(default="mon-fri", alias="CAM_SEND_DAYS")
    min_gap_seconds: int = Field(default=120, ge=0, alias="CAM_MIN_GAP_SECONDS")
    blocked_domains: str = Field(default="", alias="CAM_BLOCKED_DOMAINS")
    max_new_leads_per_day: int = Field(default=500, ge=0, alias="CAM_MAX_NEW_LEADS_PER_DAY")
    max_outreach_per_day: int = Field(default=30, ge=0, alias="CAM_MAX_OUTREACH_PER_DAY")
    max_followups_per_day: int = Field(default=30, ge=0, alias="CAM_MAX_FOLLOWUPS_PER_DAY")

    # Several sender mailboxes (TOML); without it, the SMTP/IMAP settings below are the one.
    mailboxes_file: Path | None = Field(default=None, alias="CAM_MAILBOXES_FILE")

    # Outgoing mail (SMTP).
    smtp_host: str = Field(default="", alias="CAM_SMTP_HOST")
    smtp_port: int = Field(default=587, alias="CAM_SMTP_PORT")
    smtp_username: str = Field(default="", alias="CAM_SMTP_USERNAME")
    smtp_password: SecretStr = Field(default=SecretStr(""), alias="CAM_SMTP_PASSWORD")
    smtp_security: str = Field(default="starttls", alias="CAM_SMTP_SECURITY")
    smtp_ca_file: Path | None = Field(default=None, alias="CAM_SMTP_CA_FILE")
    smtp_timeout: float = Field(default=30.0, alias="CAM_SMTP_TIMEOUT")
    mail_from: str = Field(default="", alias="CAM_FROM")
    reply_to: str = Field(default="", alias="CAM_REPLY_TO")
    # The default mailbox's sender, for `sender.*` in templates (a mailboxes file sets its own).
    sender_name: str = Field(default="", alias="CAM_SENDER_NAME")
    sender_title: str = Field(default="", alias="CAM_SENDER_TITLE")
    sender_signature: str = Field(default="", alias="CAM_SENDER_SIGNATURE")
    booking_url: str = Field(default="", pattern=r"^(https?://\S+)?$", alias="CAM_BOOKING_URL")
    postal_address: str = Field(default="", alias="CAM_POSTAL_ADDRESS")
    first_contact_notice: str = Field(default="", alias="CAM_FIRST_CONTACT_NOTICE")
    dkim_selector: str = Field(default="", alias="CAM_DKIM_SELECTOR")
    dkim_private_key_file: Path | None = Field(default=None, alias="CAM_DKIM_PRIVATE_KEY_FILE")

    # Incoming mail (IMAP).
    imap_host: str = Field(default="", alias="CAM_IMAP_HOST")
    imap_port: int = Field(default=993, alias="CAM_IMAP_PORT")
    imap_username: str = Field(default="", alias="CAM_IMAP_USERNAME")
    imap_password: SecretStr = Field(default=SecretStr(""), alias="CAM_IMAP_PASSWORD")
    imap_folder: str = Field(default="INBOX", alias="CAM_IMAP_FOLDER")
    # Each mailbox's folder of sent mail: an answer sent from a mail app counts for speed to lead.
    imap_sent_folder: str = Field(default="", alias="CAM_IMAP_SENT_FOLDER")
    imap_security: str = Field(default="ssl", alias="CAM_IMAP_SECURITY")
    imap_ca_file: Path | None = Field(default=None, alias="CAM_IMAP_CA_FILE")
    # The reply watcher polls this often when the server does not offer IMAP IDLE.
    reply_poll_seconds: float = Field(default=60.0, gt=0, le=3600, alias="CAM_REPLY_POLL_SECONDS")

    # CRM.
    hubspot_token: SecretStr = Field(default=SecretStr(""), alias="CAM_HUBSPOT_TOKEN")
    hubspot_base_url: str = Field(default="https://api.hubapi.com", alias="CAM_HUBSPOT_BASE_URL")
    hubspot_pipeline: str = Field(default="default", alias="CAM_HUBSPOT_PIPELINE")
    hubspot_stage: str = Field(default="appointmentscheduled", alias="CAM_HUBSPOT_STAGE")
    crm_webhook_url: str = Field(default="", alias="CAM_CRM_WEBHOOK_URL")
    crm_webhook_secret: SecretStr = Field(default=SecretStr(""), alias="CAM_CRM_WEBHOOK_SECRET")

    # LinkedIn steps become manual tasks; off unless enabled.
    linkedin_tasks: bool = Field(default=True, alias="CAM_LINKEDIN_TASKS")

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        return db.check_url(value)

    @field_validator("smtp_security", "imap_security")
    @classmethod
    def _security(cls, value: str) -> str:
        return parse_security(value)

    @field_validator("send_window")
    @classmethod
    def _window(cls, value: str) -> str:
        parse_hours(value)
        return value

    @field_validator("send_days")
    @classmethod
    def _days(cls, value: str) -> str:
        parse_days(value)
        return value

    @property
    def send_window_hours(self) -> tuple[time, time]:
        return parse_hours(self.send_window)

    @property
    def send_weekdays(self) -> frozenset[int]:
        return parse_days(self.send_days)

    @property
    def approver_ids(self) -> frozenset[str]:
        return frozenset(part.strip() for part in self.approvers.split(",") if part.strip())

    @property
    def blocked_domain_set(self) -> frozenset[str]:
        """The blocked domains, lower-cased; each also blocks its subdomains."""
        parts = (part.strip().lower().lstrip("@") for part in self.blocked_domains.split(","))
        return frozenset(part for part in parts if part)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("not an IANA time zone name such as Europe/Berlin") from exc
        return value
