"""`cam limits` and `cam mailboxes` with several mailboxes, read on an 80-column terminal."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from cam.core.db import make_engine, session_factory, unit_of_work
from cam.core.models import Campaign, Channel, Lead, OutreachMessage, OutreachStatus
from cam.core.settings import DATA_DIR
from tests.cli.helpers import cam_in_process

PASSWORDS = {
    "MAYA_SMTP_PASSWORD": "a",
    "MAYA_IMAP_PASSWORD": "b",
    "JONAS_SMTP_PASSWORD": "c",
    "JONAS_IMAP_PASSWORD": "d",
}
THIRD = """
[[mailbox]]
key = "leonie-vertrieb-sued"
from = "Leonie Brandtner-Oberhauser <leonie.brandtner-oberhauser@sued.acme-vertrieb.example>"
owner = "U0789LEONIE"
daily_cap = 15
hourly_cap = 4
"""


def _team(tmp_path: Path, url: str) -> dict[str, str]:
    text = (DATA_DIR / "mailboxes.example.toml").read_text() + THIRD
    (tmp_path / "mailboxes.toml").write_text(text)
    engine = make_engine(url)
    with unit_of_work(session_factory(engine)) as session:
        campaign = Campaign(key="c", name="C")
        lead = Lead(email="ann@globex.example", domain="globex.example", mailbox="jonas")
        session.add_all([campaign, lead])
        session.flush()
        session.add(
            OutreachMessage(
                lead_id=lead.id,
                campaign_id=campaign.id,
                step=1,
                channel=Channel.email,
                scheduled_at=datetime(2026, 11, 30, 9, tzinfo=UTC),
                status=OutreachStatus.failed,
                reason="SMTP refused the login of jonas@acme.example (535)",
                updated_at=datetime(2026, 11, 30, 9, 5, tzinfo=UTC),
            )
        )
    engine.dispose()
    return {"DATABASE_URL": url, "CAM_MAILBOXES_FILE": "mailboxes.toml", "COLUMNS": "80"}


def test_limits_and_mailboxes_read_at_80_columns(tmp_path: Path, db_url: str) -> None:
    env = _team(tmp_path, db_url) | PASSWORDS
    limits = cam_in_process(tmp_path, "limits", **env)
    assert limits.returncode == 0, limits.stderr
    lines = limits.stdout.splitlines()
    assert max(map(len, lines)) <= 80
    header = next(line for line in lines if line.split()[:1] == ["Mailbox"])
    assert header.split() == ["Mailbox", "Today", "Left", "This", "hour", "Warm-up", "State"]
    rows = {line.split()[0]: line.split()[1:] for line in lines if line.strip()}
    assert rows["maya"] == ["0/5", "5", "0/8", "0", "active"]
    assert rows["jonas"] == ["0/20", "20", "0", "-", "active"]
    assert rows["leonie-vertrieb-sued"] == ["0/15", "15", "0/4", "-", "active"]

    listed = cam_in_process(tmp_path, "mailboxes", **env)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert max(map(len, lines)) <= 80
    text = "\n".join(line.strip() for line in lines)
    assert any(line.split()[:2] == ["maya", "Maya"] for line in lines)
    assert "owner: U0123MAYA\ncap 30 a day, 8 an hour, warm-up day 0; today 0/5\nactive" in text
    assert "owner: U0456JONAS\ncap 20 a day; today 0/20\nactive\nlast error 2026-11-30" in text
    assert "SMTP refused the login of jonas@acme.example (535)" in " ".join(text.split())
    assert "owner: U0789LEONIE\ncap 15 a day, 4 an hour; today 0/15" in text
