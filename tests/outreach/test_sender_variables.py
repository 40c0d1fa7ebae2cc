"""Sender variables: each mailbox signs its own leads' mail, and a field a mailbox lacks stops
the campaign at load with the mailbox named; snippets load from a checked file."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from cam.bootstrap import ProcessConfig
from cam.core.db import SessionFactory, unit_of_work
from cam.core.mailboxes import DEFAULT_KEY, SenderProfile, load_mailboxes
from cam.core.models import (
    Campaign,
    CampaignStep,
    Channel,
    Lead,
    OutreachMessage,
    OutreachStatus,
    ReplyClass,
    RuntimeState,
)
from cam.core.settings import DATA_DIR, Settings
from cam.outreach.campaigns import CampaignFileError, check_sender_fields, sync_campaign_file
from cam.outreach.outbox import Renderer
from cam.replies.snippets import SnippetFileError, draft, load_snippets, snippet_variables

TEAM = """
[[mailbox]]
key = "maya"
from = "Maya Lind <maya@acme.example>"
title = "Head of Partnerships"
signature = \"\"\"Maya Lind
Head of Partnerships, ACME
+49 30 1234\"\"\"
booking_url = "https://cal.example/maya"

[[mailbox]]
key = "jonas"
from = "Jonas Berg <jonas@acme.example>"
"""

CAMPAIGN = """
key = "signed"
name = "Signed"

[[steps]]
channel = "email"
subject = "Hello {{ company }}"
body = \"\"\"
Hi {{ first_name }},

{{ BOOKING }}Best,
{{ sender.signature }}
\"\"\"
"""


def _settings(tmp_path: Path, **values: Any) -> Settings:
    team = tmp_path / "mailboxes.toml"
    team.write_text(TEAM)
    return Settings(_env_file=None, CAM_MAILBOXES_FILE=team, **values)


def _campaign(tmp_path: Path, booking: str = "") -> Path:
    path = tmp_path / "campaign.toml"
    path.write_text(CAMPAIGN.replace("{{ BOOKING }}", booking))
    return path


def test_each_mailbox_has_its_sender_and_jonas_is_named_by_his_from(tmp_path: Path) -> None:
    maya, jonas = load_mailboxes(_settings(tmp_path))
    assert maya.sender.variables() == {
        "first_name": "Maya",
        "name": "Maya Lind",
        "title": "Head of Partnerships",
        "signature": "Maya Lind\nHead of Partnerships, ACME\n+49 30 1234",
        "booking_url": "https://cal.example/maya",
    }
    assert jonas.sender.variables() == {
        "first_name": "Jonas",
        "name": "Jonas Berg",
        "signature": "Jonas Berg",
    }


def test_each_lead_is_signed_by_its_own_mailbox(tmp_path: Path, sessions: SessionFactory) -> None:
    config = ProcessConfig.load(_settings(tmp_path)).cycle_config(RuntimeState(dry_run=True))
    renderer = Renderer(config.sender_profiles())
    with unit_of_work(sessions) as session:
        campaign = sync_campaign_file(
            session, _campaign(tmp_path), senders=config.sender_profiles()
        )
        step = campaign.steps[0]
        bodies = {}
        for key in ("maya", "jonas"):
            lead = Lead(email=f"{key}-lead@x.example", first_name="Ann", company="X", mailbox=key)
            row = OutreachMessage(
                lead_id=0,
                campaign_id=campaign.id,
                step=1,
                channel=Channel.email,
                status=OutreachStatus.planned,
            )
            bodies[key] = renderer.render(session, step, lead, row).text
    assert bodies["maya"].endswith("Best,\nMaya Lind\nHead of Partnerships, ACME\n+49 30 1234")
    assert bodies["jonas"].endswith("Best,\nJonas Berg")


def test_a_field_one_mailbox_lacks_stops_the_campaign_naming_it(
    tmp_path: Path, sessions: SessionFactory
) -> None:
    config = ProcessConfig.load(_settings(tmp_path)).cycle_config(RuntimeState(dry_run=True))
    path = _campaign(tmp_path, "Book a time: {{ sender.booking_url }}\n\n")
    with (
        unit_of_work(sessions) as session,
        pytest.raises(
            CampaignFileError,
            match=r"step 1 \(body\) uses sender.booking_url, which mailbox 'jonas' does not set: "
            r"add booking_url to its \[\[mailbox\]\]",
        ),
    ):
        sync_campaign_file(session, path, senders=config.sender_profiles())
    with unit_of_work(sessions) as session:
        assert session.query(Campaign).count() == 0
    typo = _campaign(tmp_path, "{{ sender.phone }}\n\n")
    with (
        unit_of_work(sessions) as session,
        pytest.raises(CampaignFileError, match=r"sender\.phone: there is none"),
    ):
        sync_campaign_file(session, typo, senders=config.sender_profiles())


def test_the_default_mailbox_takes_its_sender_from_the_settings(tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None,
        CAM_FROM="Ana Sales <ana@acme.example>",
        CAM_SENDER_TITLE="Founder",
        CAM_SENDER_SIGNATURE="Ana Sales\\nFounder, ACME",
    )
    profiles = (
        ProcessConfig.load(settings).cycle_config(RuntimeState(dry_run=True)).sender_profiles()
    )
    assert profiles[DEFAULT_KEY].variables() == {
        "first_name": "Ana",
        "name": "Ana Sales",
        "title": "Founder",
        "signature": "Ana Sales\nFounder, ACME",
    }
    with pytest.raises(CampaignFileError, match="mailbox 'default' does not set: set CAM_BOOKING"):
        check_sender_fields("{{ sender.booking_url }}", profiles, "step 1 (body)")


def test_the_shipped_campaign_signs_with_the_sender_and_loads_for_every_mailbox(
    tmp_path: Path, sessions: SessionFactory
) -> None:
    config = ProcessConfig.load(_settings(tmp_path)).cycle_config(RuntimeState(dry_run=True))
    with unit_of_work(sessions) as session:
        campaign = sync_campaign_file(
            session, DATA_DIR / "campaign.toml", senders=config.sender_profiles()
        )
        steps: list[CampaignStep] = list(campaign.steps)
    assert "{{ sender.signature }}" in steps[0].body_template
    assert "Maya" not in steps[0].body_template + (steps[0].html_template or "")


def test_the_shipped_snippets_draft_each_class_with_the_sender() -> None:
    snippets = load_snippets(DATA_DIR / "snippets.toml")
    for reply_class in (
        ReplyClass.interested,
        ReplyClass.question,
        ReplyClass.out_of_office,
        ReplyClass.not_interested,
    ):
        assert snippets.of_class(reply_class), reply_class
    lead = Lead(email="ann@x.example", first_name="Ann", company="X")
    sender = SenderProfile(
        first_name="Maya", name="Maya Lind", signature="Maya Lind", booking_url="https://c.example"
    )
    variables = snippet_variables(lead, sender, date(2026, 12, 14))
    [interested, *_] = snippets.of_class(ReplyClass.interested)
    assert "https://c.example" in draft(interested, variables)
    [now, later] = snippets.of_class(ReplyClass.out_of_office)
    assert "I'll follow up after Monday 14 December." in draft(now, variables)
    # Answer when back opens with the one written to go on their return.
    [back, _] = snippets.of_class(ReplyClass.out_of_office, when_back=True)
    assert back is later and "Welcome back" in draft(back, variables)
    assert "https://c.example" in draft(back, variables)


def test_an_invalid_snippet_fails_at_load_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "snippets.toml"
    path.write_text(
        '[[snippet]]\nclass = "interested"\nkey = "ok"\ntitle = "Fine"\nbody = "Hi"\n\n'
        '[[snippet]]\nclass = "question"\nkey = "bad"\ntitle = "Broken"\n'
        'body = "Hi {{ first_name"\n'
    )
    with pytest.raises(SnippetFileError, match=r"line 11: snippet.1.body: .*template syntax"):
        load_snippets(path)
    path.write_text('[[snippet]]\nclass = "maybe"\nkey = "x"\ntitle = "X"\nbody = "Hi"\n')
    with pytest.raises(SnippetFileError, match=r"line 2: snippet\.0\.class"):
        load_snippets(path)
