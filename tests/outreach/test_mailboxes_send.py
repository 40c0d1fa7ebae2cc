"""Three sender mailboxes on three real SMTP servers and three IMAP servers, both databases.

Each mailbox sends only its own leads, through its own server, within its own cap and warm-up;
the per-domain cap counts across mailboxes; follow-ups leave from the lead's mailbox in the
first email's thread; a mailbox paused alone sends nothing while the others go on; a reply to
any mailbox reaches its lead, and its card mentions the owner of the lead's mailbox.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from sqlalchemy import select

from bot.notifier import Notifier, notifier_client
from cam.core.context import CycleContext
from cam.core.db import SessionFactory, unit_of_work
from cam.core.models import (
    Lead,
    LeadStatus,
    MailboxState,
    OutreachMessage,
    OutreachStatus,
    Reply,
)
from cam.core.ports import SocialTask
from cam.core.report import CAMCycleReport
from cam.gateways.factory import build_gateways
from cam.gateways.linkedin_tasks import LinkedInTaskPoster
from cam.leads.qualify import process_new_leads
from cam.outreach import sender_mailboxes
from cam.outreach.limits import limits_snapshot
from cam.outreach.scheduling import schedule_outreach
from cam.outreach.send_pass import send_due_outreach
from cam.outreach.task_posting import open_task
from cam.replies.escalation_requests import Candidate, request_escalations
from cam.replies.reading import detect_replies
from tests.e2e.slack_client import blocks_of, settings_for, shown
from tests.fakes.slack_api import FakeSlack
from tests.gateways.imap_server import imap_ca
from tests.gateways.mailbox_team import (
    JONAS,
    LEA,
    MAYA,
    SPECS,
    Team,
    reply_to,
    running_team,
    team_config,
)
from tests.gateways.smtp_server import smtp_ca
from tests.outreach.helpers import Clock, add_leads, outreach
from tests.outreach.test_send_pass import TWO_EMAILS, make_due

__all__ = ["imap_ca", "smtp_ca"]


@pytest.fixture
def team(
    smtp_ca: tuple[trustme.CA, Path],
    imap_ca: tuple[trustme.CA, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Team]:
    with running_team(smtp_ca, imap_ca, tmp_path) as running:
        for name, value in running.env.items():
            monkeypatch.setenv(name, value)
        (tmp_path / "campaign.toml").write_text(TWO_EMAILS)
        yield running


def context(sessions: SessionFactory, team: Team, clock: Clock, **config: object) -> CycleContext:
    settings = team.settings()
    campaign = team.file.parent / "campaign.toml"
    cfg = team_config(settings, campaign_file=campaign, **config)  # type: ignore[arg-type]
    return CycleContext(
        config=cfg,
        session_factory=sessions,
        gateways=build_gateways(settings, cfg.mailboxes),
        clock=clock,
        rng=random.Random(7),
        report=CAMCycleReport(start=clock(), dry_run=False),
    )


def enrol(
    sessions: SessionFactory,
    team: Team,
    clock: Clock,
    count: int,
    *,
    owner: str,
    start: int,
    domain: str | None = None,
) -> None:
    """Import `count` leads whose `owner` column names a mailbox; qualify and plan them."""
    add_leads(sessions, count, start=start, domain=domain, custom_fields={"owner": owner})
    process_new_leads(context(sessions, team, clock))
    schedule_outreach(context(sessions, team, clock))


def send(sessions: SessionFactory, team: Team, clock: Clock, **config: object) -> CAMCycleReport:
    make_due(sessions, clock)
    ctx = context(sessions, team, clock, **config)
    send_due_outreach(ctx)
    return ctx.report


def received_per_mailbox(team: Team) -> dict[str, int]:
    return {key: len(team.received(key)) for key in team.mailboxes}


def owned(sessions: SessionFactory) -> dict[str, str]:
    """Each lead's address -> the key of its mailbox."""
    with unit_of_work(sessions) as session:
        rows = session.execute(select(Lead.email, Lead.mailbox))
        return {email: mailbox or "" for email, mailbox in rows}


def test_each_mailbox_sends_its_own_leads_within_its_own_cap_and_warm_up(
    sessions: SessionFactory, team: Team
) -> None:
    clock = Clock()
    # The owner column names a mailbox by key, by From address or by its owner's Slack ID.
    enrol(sessions, team, clock, 8, owner="maya", start=0)
    enrol(sessions, team, clock, 8, owner=JONAS.address.upper(), start=100)
    enrol(sessions, team, clock, 8, owner=LEA.owner, start=200)
    by_lead = owned(sessions)
    assert {key: list(by_lead.values()).count(key) for key in team.mailboxes} == {
        "maya": 8,
        "jonas": 8,
        "lea": 8,
    }

    report = send(sessions, team, clock)
    # Maya is on day 1 of her ramp (2); Jonas and Lea at their caps (3 and 4).
    assert received_per_mailbox(team) == {"maya": 2, "jonas": 3, "lea": 4}
    assert report.outreach_sent == 9 and report.errors == []
    for key, mailbox in team.mailboxes.items():
        for mail in mailbox.smtp.handler.messages:
            message = mail.message
            assert message["From"].addresses[0].addr_spec == mailbox.spec.address
            assert str(message["Message-ID"]).endswith(f"@{key}-sales.example>")
            assert by_lead[mail.rcpt_tos[0]] == key
    assert team.mailboxes["maya"].smtp.handler.logins, "maya logs in (STARTTLS, then AUTH)"

    with unit_of_work(sessions) as session:
        config = context(sessions, team, clock).config
        shown_limits = {m.key: m for m in limits_snapshot(session, config, clock()).mailboxes}
        maya = session.get(MailboxState, "maya")
        assert maya is not None and maya.started_on == clock().date()
    assert (shown_limits["maya"].used_today, shown_limits["maya"].cap_today) == (2, 2)
    assert shown_limits["maya"].warmup_day == 0 and shown_limits["jonas"].warmup_day is None
    assert (shown_limits["lea"].remaining, shown_limits["lea"].owner) == (0, LEA.owner)

    clock.advance(hours=2)
    assert send(sessions, team, clock).outreach_sent == 0
    clock.advance(days=1)
    send(sessions, team, clock)
    # Day 2 of Maya's ramp: 4; the others at their caps again.
    assert received_per_mailbox(team) == {"maya": 6, "jonas": 6, "lea": 8}


def test_the_per_domain_cap_counts_across_mailboxes(sessions: SessionFactory, team: Team) -> None:
    clock = Clock()
    for n, spec in enumerate(SPECS):
        enrol(sessions, team, clock, 2, owner=spec.key, start=10 * n, domain="shared.example")
    report = send(sessions, team, clock, per_domain=3)
    assert sum(received_per_mailbox(team).values()) == 3
    assert report.skipped_by_limits["domain_daily_cap"] >= 3
    clock.advance(days=1)
    send(sessions, team, clock, per_domain=3)
    delivered = [rcpt for key in team.mailboxes for rcpt in team.received(key)]
    assert sorted(delivered) == sorted(set(delivered)) and len(delivered) == 6


def test_followups_leave_from_the_leads_mailbox_in_the_first_emails_thread(
    sessions: SessionFactory, team: Team
) -> None:
    clock = Clock()
    for n, spec in enumerate(SPECS):
        enrol(sessions, team, clock, 1, owner=spec.key, start=10 * n)
    send(sessions, team, clock)
    clock.advance(days=1)
    schedule_outreach(context(sessions, team, clock))
    report = send(sessions, team, clock)
    assert report.followups_sent == 3
    for key, mailbox in team.mailboxes.items():
        first, second = (mail.message for mail in mailbox.smtp.handler.messages)
        assert first["To"] == second["To"]
        assert second["From"].addresses[0].addr_spec == f"{key}@{key}-sales.example"
        assert second["In-Reply-To"] == first["Message-ID"]
        assert first["Message-ID"] in str(second["References"])
        assert str(second["Subject"]).startswith("Re: ")


def test_a_mailbox_paused_alone_sends_nothing_while_the_others_go_on(
    sessions: SessionFactory, team: Team
) -> None:
    clock = Clock()
    for n, spec in enumerate(SPECS):
        enrol(sessions, team, clock, 2, owner=spec.key, start=10 * n)
    config = context(sessions, team, clock).config
    with unit_of_work(sessions) as session:
        assert sender_mailboxes.set_paused(session, config, "jonas", paused=True, by="U0APPROVER")
    report = send(sessions, team, clock)
    assert received_per_mailbox(team) == {"maya": 2, "jonas": 0, "lea": 2}
    assert report.skipped_by_limits["mailbox_paused"] == 2
    with unit_of_work(sessions) as session:
        jonas_rows = session.scalars(
            select(OutreachMessage.status).join(Lead).where(Lead.mailbox == "jonas")
        ).all()
    assert set(jonas_rows) == {OutreachStatus.planned}

    with unit_of_work(sessions) as session:
        with pytest.raises(sender_mailboxes.UnknownMailbox):
            sender_mailboxes.set_paused(session, config, "nobody", paused=True, by="U0APPROVER")
        assert sender_mailboxes.set_paused(session, config, "jonas", paused=False, by="U0APPROVER")
    send(sessions, team, clock)
    assert received_per_mailbox(team) == {"maya": 2, "jonas": 2, "lea": 2}


def test_a_reply_to_any_mailbox_reaches_its_lead_and_its_card_mentions_the_owner(
    sessions: SessionFactory, team: Team, fake_slack: FakeSlack, db_url: str
) -> None:
    clock = Clock()
    for n, spec in enumerate(SPECS):
        enrol(sessions, team, clock, 1, owner=spec.key, start=10 * n)
    send(sessions, team, clock)
    answered: dict[str, str] = {}
    for key, mailbox in team.mailboxes.items():
        [mail] = mailbox.smtp.handler.messages
        lead = mail.rcpt_tos[0]
        answered[lead] = key
        text = "Sounds interesting, can we talk on Thursday?"
        mailbox.imap.append(reply_to(lead, mailbox.spec.address, mail.message["Message-ID"], text))
    clock.advance(hours=1)
    ctx = context(sessions, team, clock)
    detect_replies(ctx)
    assert ctx.report.errors == []
    with unit_of_work(sessions) as session:
        replies = session.execute(select(Reply.from_address, Lead.email, Lead.status).join(Lead))
        reached = {sender: (email, status) for sender, email, status in replies}
    # Each interested reply makes its lead hot, whichever mailbox it reached.
    assert reached == {lead: (lead, LeadStatus.hot) for lead in answered}

    # The cards reach Slack through the notifier, each mentioning its mailbox's owner.
    settings = settings_for(fake_slack, db_url, CAM_MAILBOXES_FILE=str(team.file))
    Notifier(notifier_client(settings), sessions, settings).deliver_pending()
    cards = fake_slack.of("chat.postMessage")
    owners = {spec.key: spec.owner for spec in SPECS}
    for lead, key in answered.items():
        [card] = [shown(blocks_of(call)) for call in cards if lead in shown(blocks_of(call))]
        assert f"<@{owners[key]}>" in card
        assert all(f"<@{o}>" not in card for k, o in owners.items() if k != key)


def test_the_owner_is_mentioned_on_approval_and_linkedin_task_cards(
    sessions: SessionFactory, team: Team, fake_slack: FakeSlack, db_url: str
) -> None:
    clock = Clock()
    enrol(sessions, team, clock, 1, owner=MAYA.key, start=0)
    enrol(sessions, team, clock, 1, owner=JONAS.owner, start=10)
    [maya_row, jonas_row] = [row for row in outreach(sessions) if row.step == 1]
    with unit_of_work(sessions) as session:
        request_escalations(session, [Candidate(maya_row.lead_id, None)], clock())
        open_task(
            session,
            LinkedInTaskPoster(),
            SocialTask(
                outreach_id=jonas_row.id,
                lead_id=jonas_row.lead_id,
                lead_name="First10 Last10",
                company="Company 10",
                title="VP Sales",
                profile_url=None,
                message="Hi First10",
            ),
        )
    settings = settings_for(fake_slack, db_url, CAM_MAILBOXES_FILE=str(team.file))
    Notifier(notifier_client(settings), sessions, settings).deliver_pending()
    approval, task = (shown(blocks_of(call)) for call in fake_slack.of("chat.postMessage"))
    assert "Hot lead" in approval and f"<@{MAYA.owner}>" in approval
    assert "LinkedIn" in task and f"<@{JONAS.owner}>" in task and MAYA.owner not in task
