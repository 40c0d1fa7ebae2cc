"""The bot's settings: the engine's, plus Slack's, validated all at once at start-up."""

from __future__ import annotations

import re

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator

from bot.cron import schedule_trigger
from cam.core.settings import Settings
from cam.replies.labels import PER_HOUR

SLACK_API_DEFAULT = "https://slack.com/api/"
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_MEMBER_ID_EXAMPLE = (
    "e.g. CAM_APPROVERS=U0123ABCD,U0456EFGH (in Slack: a profile, ⋮, Copy member ID)"
)
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_TEAM_ID = re.compile(r"^[TE][A-Z0-9]{2,}$")


class SettingsProblem(Exception):
    """Start-up settings are missing or invalid; the message names each problem."""


class BotSettings(Settings):
    slack_bot_token: SecretStr = Field(alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr = Field(alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(default=None, alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field(default=SLACK_API_DEFAULT, alias="SLACK_API_URL")
    # The one workspace whose requests are served; unset: any that signs with our secret.
    slack_team_id: str | None = Field(default=None, alias="SLACK_TEAM_ID")
    report_channel: str = Field(alias="CAM_REPORT_CHANNEL")
    approvers: str = Field(alias="CAM_APPROVERS")
    # Slack member IDs who may decide on reply cards; empty: anyone in the report channel.
    triagers: str = Field(default="", alias="CAM_TRIAGERS")
    # Labels one person may give on reply cards per hour.
    labels_per_hour: int = Field(default=PER_HOUR, ge=1, le=1000, alias="CAM_LABELS_PER_HOUR")
    # Who may answer a reply from its card besides the lead's owner and the approvers.
    responders: str = Field(default="", alias="CAM_RESPONDERS")
    schedule: str = Field(default="0 8 * * mon-fri", alias="CAM_SCHEDULE")
    # When the digest is posted; empty turns it off.
    digest_schedule: str = Field(default="30 17 * * mon-fri", alias="CAM_DIGEST_SCHEDULE")
    send_interval_minutes: int = Field(default=5, ge=1, le=60, alias="CAM_SEND_INTERVAL_MINUTES")
    port: int = Field(default=3000, ge=1, le=65535, alias="PORT")
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")

    @field_validator("slack_bot_token", "slack_signing_secret")
    @classmethod
    def _not_empty(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _slash_terminated(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value if value.endswith("/") else value + "/"

    @field_validator("slack_team_id")
    @classmethod
    def _team_id(cls, value: str | None) -> str | None:
        if value is not None and not _TEAM_ID.match(value.strip()):
            raise ValueError("must be a workspace ID such as T0123ABCD")
        return value.strip() if value else None

    @field_validator("report_channel")
    @classmethod
    def _channel_id(cls, value: str) -> str:
        if not _CHANNEL_ID.match(value):
            raise ValueError("must be a channel ID such as C0123ABCD, not a name")
        return value

    @field_validator("approvers", "triagers")
    @classmethod
    def _user_ids(cls, value: str, info: ValidationInfo) -> str:
        ids = [part.strip() for part in value.split(",") if part.strip()]
        if not ids and info.field_name == "approvers":
            raise ValueError(f"must name at least one Slack member ID, {_MEMBER_ID_EXAMPLE}")
        bad = [part for part in ids if not _USER_ID.match(part)]
        if bad:
            raise ValueError(f"not Slack member IDs: {', '.join(bad)}; {_MEMBER_ID_EXAMPLE}")
        return ",".join(ids)

    @field_validator("responders")
    @classmethod
    def _responder_ids(cls, value: str) -> str:
        ids = [part.strip() for part in value.split(",") if part.strip()]
        bad = [part for part in ids if not _USER_ID.match(part)]
        if bad:
            raise ValueError(f"not Slack member IDs: {', '.join(bad)}; {_MEMBER_ID_EXAMPLE}")
        return ",".join(ids)

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return level

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        try:
            schedule_trigger(value)
        except ValueError as exc:
            raise ValueError(f"not a cron expression: {exc}") from exc
        return value

    @field_validator("digest_schedule")
    @classmethod
    def _cron_or_off(cls, value: str) -> str:
        return cls._cron(value) if value.strip() else ""

    @property
    def triager_ids(self) -> frozenset[str]:
        """Who may decide on reply cards; empty: anyone in the report channel. Approvers may
        always."""
        named = frozenset(part for part in self.triagers.split(",") if part)
        return named | self.approver_ids if named else frozenset()

    @property
    def responder_ids(self) -> frozenset[str]:
        return frozenset(filter(None, self.responders.split(",")))


def load_bot_settings() -> BotSettings:
    """Read the settings, or raise `SettingsProblem` naming every problem (never a value)."""
    try:
        return BotSettings()
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "settings"
            message = "is required" if error["type"] == "missing" else error["msg"]
            lines.append(f"  {name}: {message}")
        raise SettingsProblem("invalid settings:\n" + "\n".join(lines)) from None
