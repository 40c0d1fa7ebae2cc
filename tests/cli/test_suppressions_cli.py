"""`cam suppressions`: the ledger at 80 columns, restoring a machine's decision, refusing to
restore a person's own opt-out, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from cam.core.db import SessionFactory, unit_of_work
from cam.core.models import (
    Campaign,
    CampaignStep,
    Channel,
    Event,
    Lead,
    LeadStatus,
    OutreachMessage,
    OutreachStatus,
    Suppression,
    SuppressionKind,
    SuppressionSource,
)
from cam.replies.event_payloads import SuppressionRestored
from tests.cli.helpers import cam_in_process

SENT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
BOUNCED = "ada@northwind-trading-company.example"
OPTED_OUT = "bo@contoso.example"
CLICKED = "cy@fabrikam.example"
EVIDENCE = "our message <cam.1.1@acme.example> returned, status 5.1.1"


def _seed(sessions: SessionFactory) -> int:
    """A lead stopped by a verified bounce (step 2 skipped), and one who opted out."""
    with unit_of_work(sessions) as session:
        campaign = Campaign(key="c", name="C")
        campaign.steps = [
            CampaignStep(position=n, channel=Channel.email, delay_days=7 * (n - 1)) for n in (1, 2)
        ]
        session.add(campaign)
        session.flush()
        for email, status in ((BOUNCED, LeadStatus.bounced), (OPTED_OUT, LeadStatus.unsubscribed)):
            session.add(
                Lead(
                    email=email,
                    domain=email.split("@")[1],
                    status=status,
                    campaign_id=campaign.id,
                    last_contacted_at=SENT,
                    steps_planned=2,
                )
            )
        session.flush()
        bounced = session.scalars(select(Lead).where(Lead.email == BOUNCED)).one()
        steps = ((1, OutreachStatus.sent, None), (2, OutreachStatus.skipped, "bounced"))
        for step, sent, reason in steps:
            session.add(
                OutreachMessage(
                    lead_id=bounced.id,
                    campaign_id=campaign.id,
                    step=step,
                    channel=Channel.email,
                    scheduled_at=SENT + timedelta(days=7 * (step - 1)),
                    status=sent,
                    reason=reason,
                    sent_at=SENT if step == 1 else None,
                )
            )
        session.add_all(
            [
                Suppression(
                    kind=SuppressionKind.email,
                    value=BOUNCED,
                    reason="hard bounce: delivery report: failed 5.1.1",
                    source=SuppressionSource.bounce,
                    evidence=EVIDENCE,
                ),
                Suppression(
                    kind=SuppressionKind.email,
                    value=OPTED_OUT,
                    reason="unsubscribed (phrase)",
                    source=SuppressionSource.phrase,
                    evidence="unsubscribe.request: 'remove me'",
                ),
                Suppression(
                    kind=SuppressionKind.email,
                    value=CLICKED,
                    reason="unsubscribed (one-click link)",
                    source=SuppressionSource.one_click,
                ),
            ]
        )
        return bounced.id


def _cam(tmp_path: Path, db_url: str, *args: str) -> tuple[int, str, str]:
    done = cam_in_process(tmp_path, *args, DATABASE_URL=db_url, COLUMNS="80")
    return done.returncode, done.stdout, done.stderr


def test_the_ledger_shows_sources_and_evidence_at_80_columns(
    tmp_path: Path, db_url: str, sessions: SessionFactory
) -> None:
    _seed(sessions)
    code, out, err = _cam(tmp_path, db_url, "suppressions")
    assert code == 0, err
    assert max(len(line) for line in out.splitlines()) <= 80
    flat = " ".join(out.split())
    assert "bounce" in flat and "phrase" in flat
    assert "<cam.1.1@acme.example>" in out.replace("\n", "").replace(" ", "")
    assert "northwind" in flat

    code, out, _ = _cam(tmp_path, db_url, "suppressions", "--source", "phrase")
    assert code == 0 and OPTED_OUT in out and "northwind" not in out
    code, out, _ = _cam(tmp_path, db_url, "suppressions", "--email", OPTED_OUT.upper())
    assert code == 0 and OPTED_OUT in out and "northwind" not in out


def test_a_bounce_is_restored_with_a_reason_and_a_persons_opt_out_is_not(
    tmp_path: Path, db_url: str, sessions: SessionFactory
) -> None:
    lead_id = _seed(sessions)
    code, _, err = _cam(
        tmp_path, db_url, "suppressions", "restore", CLICKED, "--reason", "they called us"
    )
    assert code == 1
    assert "their word stands" in " ".join(err.split())

    code, out, err = _cam(
        tmp_path,
        db_url,
        "suppressions",
        "restore",
        BOUNCED,
        "--reason",
        "the report was about another domain",
        "--resume",
        "--by",
        "maria",
    )
    assert code == 0, err
    assert "sequence resumed (1 steps back in the plan)" in " ".join(out.split())
    with unit_of_work(sessions) as session:
        left = set(session.scalars(select(Suppression.value)))
        lead = session.get_one(Lead, lead_id)
        step2 = session.scalars(
            select(OutreachMessage).where(
                OutreachMessage.lead_id == lead_id, OutreachMessage.step == 2
            )
        ).one()
        event = session.scalars(select(Event).where(Event.name == SuppressionRestored.name)).one()
    assert left == {OPTED_OUT, CLICKED}
    assert lead.status is LeadStatus.contacted
    assert step2.status is OutreachStatus.planned
    assert (event.details["by"], event.details["reason"]) == (
        "cli:maria",
        "the report was about another domain",
    )
    assert event.details["lifted"]["evidence"] == EVIDENCE

    code, _, err = _cam(tmp_path, db_url, "suppressions", "restore", BOUNCED, "--reason", "x")
    assert code == 1 and "is not suppressed" in err


def test_an_opt_out_phrase_a_rule_read_is_restored_after_a_warning(
    tmp_path: Path, db_url: str, sessions: SessionFactory
) -> None:
    _seed(sessions)
    code, out, err = _cam(
        tmp_path,
        db_url,
        "suppressions",
        "restore",
        OPTED_OUT,
        "--reason",
        "the reply asked for the price list; 'remove me' was about the newsletter",
    )
    assert code == 0, err
    flat = " ".join(out.split())
    assert "a rule read an opt-out phrase in their reply" in flat
    assert f"Restored {OPTED_OUT} (phrase)" in flat
    with unit_of_work(sessions) as session:
        assert set(session.scalars(select(Suppression.value))) == {BOUNCED, CLICKED}
