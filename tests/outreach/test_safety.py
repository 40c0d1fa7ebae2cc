"""Send window (with daylight saving), blocks, suppression and quota counters."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time

from cam.core import safety
from cam.core.config import ChannelLimitConfig, SendWindow, default_safety_settings
from cam.core.db import unit_of_work
from cam.core.models import Channel, SendQuota, Suppression, SuppressionKind, SuppressionSource
from cam.core.state import get_state
from cam.outreach import limits
from tests.outreach.helpers import WEDNESDAY, config

WINDOW = SendWindow()
NEW_YORK = safety.zone("America/New_York")
MANUAL = safety.Grounds(SuppressionSource.manual, "added by hand")


def test_defaults_are_conservative():
    settings = default_safety_settings()
    assert settings.channels[Channel.email].daily_cap == 20
    assert settings.channels[Channel.linkedin].daily_cap == 10
    assert settings.send_window.start == time(9) and settings.send_window.end == time(17)
    assert settings.send_window.weekdays == frozenset(range(5))


def test_window_follows_daylight_saving_in_the_recipients_zone():
    # Friday 6 March 2026: New York is on EST (UTC-5); 9:00 local is 14:00 UTC.
    assert not safety.in_send_window(datetime(2026, 3, 6, 13, 59, tzinfo=UTC), NEW_YORK, WINDOW)
    assert safety.in_send_window(datetime(2026, 3, 6, 14, 0, tzinfo=UTC), NEW_YORK, WINDOW)
    # Monday 9 March 2026, after the switch to EDT (UTC-4): 9:00 local is 13:00 UTC.
    assert safety.in_send_window(datetime(2026, 3, 9, 13, 0, tzinfo=UTC), NEW_YORK, WINDOW)
    assert not safety.in_send_window(datetime(2026, 3, 9, 21, 0, tzinfo=UTC), NEW_YORK, WINDOW)
    start, end = safety.window_on(date(2026, 3, 9), NEW_YORK, WINDOW) or (None, None)
    assert start == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)
    assert end == datetime(2026, 3, 9, 21, 0, tzinfo=UTC)


def test_window_is_closed_at_weekends_and_next_opening_skips_them():
    saturday_noon = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    assert not safety.in_send_window(saturday_noon, safety.zone("UTC"), WINDOW)
    opens = safety.next_window_start(saturday_noon, safety.zone("UTC"), WINDOW)
    assert opens == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def test_unknown_zone_falls_back_to_the_teams():
    assert safety.zone("Mars/Olympus", "Europe/Paris").key == "Europe/Paris"
    assert safety.zone(None, "Asia/Tokyo").key == "Asia/Tokyo"


def test_blocked_domain_blocks_its_subdomains_case_insensitively():
    blocked = frozenset({"Competitor.com"})
    assert safety.blocked_by("mail.eu.competitor.com", blocked) == "competitor.com"
    assert safety.blocked_by("COMPETITOR.COM", blocked) == "competitor.com"
    assert safety.blocked_by("notcompetitor.com", blocked) is None


def test_warm_up_ramp_rises_to_the_cap():
    limits = ChannelLimitConfig(daily_cap=20, warmup_start=5, warmup_increment=5)
    assert [limits.cap_on_day(d) for d in range(5)] == [5, 10, 15, 20, 20]
    settings = default_safety_settings().model_copy(update={"channels": {Channel.email: limits}})
    assert safety.channel_cap(settings, Channel.email, date(2026, 1, 3), date(2026, 1, 1)) == 15
    assert safety.channel_cap(settings, Channel.email, date(2026, 1, 3), None) == 5


def test_suppression_matches_any_case_and_parent_domains(sessions):
    with unit_of_work(sessions) as session:
        session.add(Suppression(kind=SuppressionKind.email, value="Joe@Acme.com", reason="asked"))
        safety.suppress(session, SuppressionKind.domain, "Rival.IO", "competitor", MANUAL)
    with unit_of_work(sessions) as session:
        assert "asked" in (safety.suppression_reason(session, "JOE@acme.COM") or "")
        assert safety.suppression_reason(session, "ann@eu.rival.io") is not None
        assert safety.suppression_reason(session, "ann@acme.com") is None
        assert safety.suppressed_domains(session) == {"rival.io"}
        # Adding it again changes nothing.
        assert not safety.suppress(session, SuppressionKind.domain, "rival.io", "again", MANUAL)


def test_reserve_stops_at_the_cap_and_release_gives_back(sessions):
    with unit_of_work(sessions) as session:
        taken = [safety.reserve(session, "live:email", "2026-11-25", 3) for _ in range(5)]
        assert taken == [True, True, True, False, False]
        safety.release(session, "live:email", "2026-11-25")
        assert safety.reserve(session, "live:email", "2026-11-25", 3)
        assert not safety.reserve(session, "live:email", "2026-11-25", 3)
        assert safety.reserve_up_to(session, "plan:first", "2026-11-25", 10, 7) == 7
        assert safety.reserve_up_to(session, "plan:first", "2026-11-25", 10, 7) == 3
        assert safety.quota_used(session, "plan:first", "2026-11-25") == 10


def test_concurrent_reservations_never_exceed_the_cap(sessions):
    """Eight threads race for a cap of 5 on a counter row none of them has created yet."""
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        for _ in range(3):
            with unit_of_work(sessions) as session:
                results.append(safety.reserve(session, "live:email", "2026-11-25", 5))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(True) == 5
    with unit_of_work(sessions) as session:
        row = session.get(SendQuota, ("live:email", "2026-11-25"))
        assert row is not None and row.used == 5


def test_limits_snapshot_reports_caps_usage_and_counts(sessions):
    cfg = config(dry_run=False)
    with unit_of_work(sessions) as session:
        get_state(session).mailbox_started_on = date(2026, 11, 24)
        for _ in range(4):
            safety.reserve(session, "live:email", "2026-11-25", 20)
        safety.reserve(session, "dry:email", "2026-11-25", 20)
        safety.suppress(session, SuppressionKind.email, "x@y.com", "bounce", MANUAL)
    with unit_of_work(sessions) as session:
        snap = limits.limits_snapshot(session, cfg, WEDNESDAY)
    email = next(c for c in snap.channels if c.channel is Channel.email)
    assert (email.cap_today, email.used_today, email.remaining) == (20, 4, 16)
    assert snap.per_domain_daily_cap == 3
    assert snap.suppressions == 1 and snap.blocked_domains == 0
    assert snap.day == date(2026, 11, 25) and not snap.dry_run
