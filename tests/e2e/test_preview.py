"""`/cam preview`: the next message, shown privately, is the one the SMTP server then receives."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from bot.settings import BotSettings
from cam.bootstrap import ProcessConfig
from cam.core.db import SessionFactory, unit_of_work
from cam.core.models import (
    Campaign,
    CampaignStep,
    Channel,
    Lead,
    LeadStatus,
    OutreachMessage,
    OutreachStatus,
    SendQuota,
    Suppression,
    SuppressionKind,
)
from cam.core.state import get_state, set_paused
from cam.cycle import run_send_pass
from cam.gateways.factory import build_gateways
from cam.outreach import preview
from tests.e2e.slack_client import OUTSIDER, RunningBot, settings_for, shown
from tests.fakes.slack_api import FakeSlack
from tests.faults.outbox import Caps, live_config
from tests.gateways.smtp_server import MAIL_FROM, POSTAL_ADDRESS, PUBLIC_URL, SmtpServer

# A Wednesday, 10:00 UTC: inside the window of the live config below.
SENT_AT = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
SUBJECT = "{{ company }} & your <pipeline>"
BODY = "Hi {{ first_name }},\n\nA question for {{ company }}: <!channel> *bold*?\n\nMaya\n"
FOLLOW_UP = "Hi {{ first_name }},\n\nFollowing up on my note below.\n"
LINKEDIN = "Hi {{ first_name }}, glad to connect here too."


@pytest.fixture
def mail_bot(start_bot: Callable[..., RunningBot], plain_smtp_server: SmtpServer) -> RunningBot:
    """The bot, sending through the SMTP server on loopback as the send pass would."""
    return start_bot(
        CAM_SMTP_HOST=plain_smtp_server.host,
        CAM_SMTP_PORT=str(plain_smtp_server.port),
        CAM_SMTP_SECURITY="none",
        CAM_FROM=MAIL_FROM,
        CAM_POSTAL_ADDRESS=POSTAL_ADDRESS,
        CAM_PUBLIC_URL=PUBLIC_URL,
        CAM_FIRST_CONTACT_NOTICE="We found your address on acme.example's team page.",
    )


def plan(sessions: SessionFactory, email: str, *, at: datetime, step: int = 1, **lead: Any) -> int:
    """Plan `step` of a two-email campaign for the lead `email` (created if new) at `at`."""
    with unit_of_work(sessions) as session:
        campaign = session.scalar(select(Campaign).where(Campaign.key == "intro"))
        if campaign is None:
            campaign = Campaign(key="intro", name="Intro <b>", active=True, score_threshold=0)
            campaign.steps += [
                CampaignStep(
                    position=1,
                    channel=Channel.email,
                    subject_template=SUBJECT,
                    body_template=BODY,
                    html_template="<p>Hi {{ first_name }}</p>",
                ),
                CampaignStep(position=2, channel=Channel.email, body_template=FOLLOW_UP),
                CampaignStep(position=3, channel=Channel.linkedin, body_template=LINKEDIN),
            ]
            session.add(campaign)
        found = session.scalar(select(Lead).where(Lead.email == email))
        if found is None:
            found = Lead(
                email=email,
                domain=email.split("@")[1],
                status=LeadStatus.scheduled,
                **({"first_name": "Ada", "last_name": "<!here>", "company": "Acme <!here>"} | lead),
            )
            session.add(found)
        session.flush()
        row = OutreachMessage(
            lead_id=found.id,
            campaign_id=campaign.id,
            step=step,
            channel=Channel.linkedin if step == 3 else Channel.email,
            scheduled_at=at,
        )
        session.add(row)
        session.flush()
        return row.id


def preview_of(bot: RunningBot, text: str) -> dict[str, Any]:
    reply = bot.slack.command(text, user=OUTSIDER)
    assert reply.status == 200
    answer = reply.json
    assert answer["response_type"] == "ephemeral"
    return dict(answer)


def plain_sections(answer: dict[str, Any]) -> list[str]:
    return [
        b["text"]["text"]
        for b in answer["blocks"]
        if b["type"] == "section" and b.get("text", {}).get("type") == "plain_text"
    ]


def mrkdwn_texts(answer: dict[str, Any]) -> list[str]:
    """Every text Slack reads as markup: the fallback, and the mrkdwn of every block."""
    texts = [answer["text"]]
    for block in answer["blocks"]:
        for item in [block.get("text") or {}, *block.get("fields", []), *block.get("elements", [])]:
            if item.get("type") == "mrkdwn":
                texts.append(item["text"])
    return texts


def send(bot: RunningBot, at: datetime) -> None:
    report = run_send_pass(
        live_config(Caps(daily=10, per_domain=10), bot.settings),
        session_factory=bot.sessions,
        gateways=build_gateways(bot.settings, bot.config.process.mailboxes),
        clock=lambda: at,
    )
    assert report.outreach_sent == 1, report.errors


def test_the_preview_is_what_the_smtp_server_receives(
    mail_bot: RunningBot, plain_smtp_server: SmtpServer
) -> None:
    plan(mail_bot.sessions, "ada@acme.example", at=SENT_AT - timedelta(minutes=5))
    answer = preview_of(mail_bot, "preview ada@acme.example")
    with unit_of_work(mail_bot.sessions) as session:
        assert session.scalar(select(OutreachMessage.status)) is OutreachStatus.planned
        assert session.scalar(select(func.count()).select_from(SendQuota)) == 0

    send(mail_bot, SENT_AT)
    [mail] = plain_smtp_server.handler.messages
    received = mail.message
    body = received.get_body(preferencelist=("plain",))
    assert body is not None
    subject, *text = plain_sections(answer)
    assert subject == f"Subject: {received['Subject']}"
    assert subject == "Subject: Acme <!here> & your <pipeline>"
    assert "\n".join(text) == body.get_content().rstrip("\n")
    assert "A question for Acme <!here>: <!channel> *bold*?" in text[0]
    assert POSTAL_ADDRESS in text[0] and f"{PUBLIC_URL}/unsubscribe/" in text[0]
    assert "We found your address on acme.example's team page." in text[0]
    everything = shown(answer)
    assert "Ana Sales &lt;ana@acme.example&gt;" in everything
    assert "*Mailbox*\\nana@acme.example" in everything
    assert "Ada &lt;!here&gt; (ada@acme.example)" in everything
    assert "An HTML version goes with it" in everything
    assert "dry run: it will be simulated, not sent" in everything
    assert "step 1 of Intro <b>" in answer["blocks"][0]["text"]["text"]
    markup = " ".join(mrkdwn_texts(answer))
    assert "Ada &lt;!here&gt;" in markup
    assert "<!here>" not in markup and "<!channel>" not in markup

    # The follow-up: threaded, "Re:", the same footer without the first-contact notice.
    plan(mail_bot.sessions, "ada@acme.example", at=SENT_AT + timedelta(days=1), step=2)
    follow = preview_of(mail_bot, "preview <mailto:ada@acme.example|ada@acme.example>")
    send(mail_bot, SENT_AT + timedelta(days=1))
    second = plain_smtp_server.handler.messages[1].message
    second_body = second.get_body(preferencelist=("plain",))
    assert second_body is not None
    subject, *text = plain_sections(follow)
    assert (
        subject == f"Subject: {second['Subject']}" == "Subject: Re: Acme <!here> & your <pipeline>"
    )
    assert "\n".join(text) == second_body.get_content().rstrip("\n")
    assert "We found your address" not in text[0]
    assert second["In-Reply-To"] == received["Message-ID"]


def test_no_email_shows_the_next_in_line_and_unknown_ones_are_told(mail_bot: RunningBot) -> None:
    plan(mail_bot.sessions, "later@acme.example", at=SENT_AT + timedelta(days=1), first_name="Li")
    plan(mail_bot.sessions, "first@acme.example", at=SENT_AT, first_name="Fi")
    plan(mail_bot.sessions, "first@acme.example", at=SENT_AT - timedelta(days=9), step=2)
    with unit_of_work(mail_bot.sessions) as session:
        session.execute(
            update(OutreachMessage)
            .where(OutreachMessage.step == 2)
            .values(status=OutreachStatus.skipped)
        )
    answer = preview_of(mail_bot, "preview")
    assert "Fi &lt;!here&gt; (first@acme.example)" in shown(answer)

    unknown = preview_of(mail_bot, "preview nobody@<!here>.example")
    assert unknown["text"] == (
        "Nothing to preview: no lead has the address nobody@&lt;!here&gt;.example."
    )
    assert "blocks" not in unknown or not unknown["blocks"]
    too_many = preview_of(mail_bot, "preview a@b.example c@d.example")
    assert "takes one email address" in too_many["text"]


def test_a_linkedin_step_shows_the_task_text(mail_bot: RunningBot) -> None:
    plan(mail_bot.sessions, "ada@acme.example", at=SENT_AT, step=3)
    answer = preview_of(mail_bot, "preview ada@acme.example")
    assert plain_sections(answer) == ["Hi Ada, glad to connect here too."]
    assert "LinkedIn message, step 3 of Intro <b>" in answer["blocks"][0]["text"]["text"]
    assert "*Mailbox*\\nLinkedIn task" in shown(answer)


def test_a_lead_with_nothing_planned_is_told_so(mail_bot: RunningBot) -> None:
    with unit_of_work(mail_bot.sessions) as session:
        session.add(Lead(email="new@acme.example", domain="acme.example"))
    answer = preview_of(mail_bot, "preview NEW@acme.example")
    assert (
        answer["text"]
        == "Nothing to preview: nothing is planned for new@acme.example: the lead is new."
    )


def test_when_and_what_holds_it_back_follow_the_lead_and_the_state(
    sessions: SessionFactory, settings_for_preview: BotSettings
) -> None:
    # Planned for Wednesday 06:00 UTC: 01:00 in New York, before its 09:00 window opens.
    planned = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
    plan(sessions, "ny@acme.example", at=planned, timezone="America/New_York")
    with unit_of_work(sessions) as session:
        session.add(Suppression(kind=SuppressionKind.email, value="ny@acme.example"))
        set_paused(session, paused=True, by="UADMIN", now=planned)
    now = planned - timedelta(days=1)
    with unit_of_work(sessions) as session:
        state = get_state(session)
        shown_preview = preview.next_message(
            session,
            settings=settings_for_preview,
            config=ProcessConfig.load(settings_for_preview).cycle_config(state),
            paused=state.paused,
            now=now,
            email="ny@acme.example",
        )
    assert shown_preview.planned_at == planned
    assert shown_preview.goes_out_at == datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
    assert shown_preview.held[0].startswith("it will be skipped: ")
    assert "CAM is paused: nothing goes out until it is resumed" in shown_preview.held
    assert "dry run: it will be simulated, not sent" in shown_preview.held


@pytest.fixture
def settings_for_preview(fake_slack: FakeSlack, db_url: str) -> BotSettings:
    return settings_for(
        fake_slack,
        db_url,
        CAM_FROM=MAIL_FROM,
        CAM_POSTAL_ADDRESS=POSTAL_ADDRESS,
        CAM_SEND_WINDOW="09:00-17:00",
    )
