"""Wiring from settings, and the read-side queries over runs and approvals."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from pydantic import SecretStr, ValidationError
from sqlalchemy import text

from cam.bootstrap import ProcessConfig, Runtime, sender_domain
from cam.core.config import default_safety_settings
from cam.core.db import SessionFactory, unit_of_work
from cam.core.models import Approval, ApprovalKind, ApprovalStatus, Channel, CycleRun, RuntimeState
from cam.core.ports import Gateways
from cam.core.runs import last_runs, pending_approvals, previous_run
from cam.core.settings import Settings
from cam.core.state import get_state, set_dry_run
from cam.gateways.noop import NoopCrmSyncer, NoopEmailSender, NoopInboxReader, NoopSocialPoster

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("mail_from", "domain"),
    [
        ("Maya Sales <Maya@Acme.COM>", "acme.com"),
        ("maya@mail.acme.io", "mail.acme.io"),
        ("", "cam.invalid"),
        ("not an address", "cam.invalid"),
    ],
)
def test_sender_domain(mail_from: str, domain: str) -> None:
    assert sender_domain(mail_from) == domain


def test_runtime_and_cycle_config_follow_settings_and_state(db_url: str, tmp_path) -> None:
    settings = Settings(
        DATABASE_URL=db_url,
        CAM_TIMEZONE="Europe/Berlin",
        CAM_FROM="Maya <maya@acme.com>",
        CAM_SECRET_KEY=SecretStr("k1"),
        CAM_CAMPAIGN_FILE=tmp_path / "c.toml",
    )
    with Runtime(ProcessConfig.load(settings)) as runtime:
        assert runtime.settings is settings
        assert not runtime.gateways.email.configured
        with unit_of_work(runtime.session_factory) as session:
            assert session.execute(text("select 1")).scalar() == 1
            config = runtime.config.cycle_config(get_state(session))
        assert config.dry_run is True
        assert (config.timezone, config.sender_domain) == ("Europe/Berlin", "acme.com")
        assert config.secret_key.get_secret_value() == "k1"
        assert config.campaign_file == tmp_path / "c.toml"
        assert config.reply_rules_file == settings.replies_file
        with unit_of_work(runtime.session_factory) as session:
            config = runtime.config.cycle_config(set_dry_run(session, dry_run=False, by="U1"))
        assert config.dry_run is False


def test_runtime_takes_given_gateways(db_url: str) -> None:
    given = Gateways(NoopEmailSender(), NoopInboxReader(), NoopSocialPoster(), NoopCrmSyncer())
    config = ProcessConfig.load(Settings(DATABASE_URL=db_url))
    with Runtime(config, gateways=given) as runtime:
        assert runtime.gateways is given


def test_runs_and_approvals_queries(sessions: SessionFactory) -> None:
    with unit_of_work(sessions) as session:
        first = CycleRun(kind="daily", started_at=T0, finished_at=T0, status="completed")
        send = CycleRun(kind="send", started_at=T0 + timedelta(hours=1), finished_at=T0)
        # Opened later with an earlier clock (a fixed-clock run): order is by opening.
        second = CycleRun(kind="daily", started_at=T0 - timedelta(days=1), finished_at=T0)
        running = CycleRun(kind="daily", started_at=T0 + timedelta(hours=2))
        session.add_all([first, send, second, running])
        session.flush()
        session.add_all(
            [
                Approval(kind=ApprovalKind.go_live, requested_at=T0 + timedelta(minutes=5)),
                Approval(kind=ApprovalKind.escalate_lead, requested_at=T0),
                Approval(
                    kind=ApprovalKind.escalate_lead,
                    status=ApprovalStatus.approved,
                    requested_at=T0 - timedelta(hours=1),
                ),
            ]
        )
    with unit_of_work(sessions) as session:
        assert [r.id for r in last_runs(session, 3)] == [running.id, second.id, send.id]
        assert previous_run(session, running).id == second.id  # type: ignore[union-attr]
        assert previous_run(session, second).id == first.id  # type: ignore[union-attr]
        assert previous_run(session, first) is None
        assert [a.kind for a in pending_approvals(session)] == [
            ApprovalKind.escalate_lead,
            ApprovalKind.go_live,
        ]


def test_safety_limits_come_from_settings() -> None:
    settings = Settings(
        CAM_EMAIL_DAILY_CAP=40,
        CAM_EMAIL_HOURLY_CAP=8,
        CAM_LINKEDIN_DAILY_CAP=4,
        CAM_WARMUP_START=5,
        CAM_DOMAIN_DAILY_CAP=2,
        CAM_SEND_WINDOW="08:30-16:00",
        CAM_BLOCKED_DOMAINS="Rival.com, @gmail.com,",
        CAM_MAX_OUTREACH_PER_DAY=12,
    )
    config = ProcessConfig.load(settings).cycle_config(RuntimeState(dry_run=True, paused=False))
    email = config.safety_settings.channels[Channel.email]
    assert (email.daily_cap, email.hourly_cap, email.warmup_start) == (40, 8, 5)
    assert email.cap_on_day(0) == 5
    assert config.safety_settings.channels[Channel.linkedin].daily_cap == 4
    assert config.safety_settings.per_domain_daily_cap == 2
    window = config.safety_settings.send_window
    assert (window.start, window.end) == (time(8, 30), time(16, 0))
    assert config.safety_settings.blocked_domains == frozenset({"rival.com", "gmail.com"})
    assert config.max_outreach_per_day == 12


def test_defaults_are_the_conservative_limits() -> None:
    config = ProcessConfig.load(Settings()).cycle_config(RuntimeState(dry_run=True, paused=False))
    assert config.safety_settings == default_safety_settings()


@pytest.mark.parametrize("window", ["17:00-09:00", "nine to five", "25:00-26:00"])
def test_a_bad_send_window_is_refused(window: str) -> None:
    with pytest.raises(ValidationError, match="CAM_SEND_WINDOW"):
        Settings(CAM_SEND_WINDOW=window)
