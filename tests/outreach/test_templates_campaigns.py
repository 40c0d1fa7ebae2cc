"""Templates (strict, sandboxed), the campaign file sync, and scoring rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from cam.core.db import unit_of_work
from cam.core.models import Campaign, CampaignStep, Channel, Lead
from cam.core.settings import DATA_DIR
from cam.leads.scoring import ScoringFileError, load_rules, score_lead
from cam.outreach.campaigns import (
    CampaignFileError,
    active_campaign,
    load_campaign,
    sync_campaign,
    sync_campaign_file,
)
from cam.outreach.templates import TemplateRenderError, flowing, lead_variables, render


def test_missing_variable_fails_instead_of_rendering_half():
    with pytest.raises(TemplateRenderError, match="'company' is undefined"):
        render("Hi {{ first_name }} at {{ company }}", {"first_name": "Ann"})


def test_empty_lead_fields_are_missing_but_a_default_can_fill_them():
    lead = Lead(email="a@b.com", first_name="", last_name="Lee", company="Acme", title="CEO")
    lead.custom_fields = {"industry": "SaaS"}
    variables = lead_variables(lead)
    with pytest.raises(TemplateRenderError):
        render("Hi {{ first_name }}", variables)
    assert render('Hi {{ first_name | default("there") }}', variables) == "Hi there"
    assert render("{{ custom.industry }} at {{ company }}", variables) == "SaaS at Acme"


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__.os }}",
        "{{ lipsum.__globals__['os'].popen('id').read() }}",
        "{{ 'x' * 100000000 }}",
        "{{ 10 ** 100000 }}",
        "{% for i in range(10**9) %}{% endfor %}",
    ],
)
def test_the_sandbox_refuses_python_internals_and_huge_values(source):
    with pytest.raises(TemplateRenderError):
        render(source, {})


def test_html_is_escaped_and_text_is_not():
    assert render("{{ c }}", {"c": "<b>&</b>"}) == "<b>&</b>"
    assert render("{{ c }}", {"c": "<b>&</b>"}, html=True) == "&lt;b&gt;&amp;&lt;/b&gt;"


def test_sample_campaign_has_a_realistic_sequence():
    spec = load_campaign(DATA_DIR / "campaign.toml")
    assert [s.channel for s in spec.steps] == [
        Channel.email,
        Channel.linkedin,
        Channel.email,
        Channel.email,
    ]
    assert spec.steps[0].subject and spec.steps[0].html
    assert all(s.delay_days >= 0 for s in spec.steps)


def test_campaign_sync_is_an_idempotent_upsert(sessions, tmp_path: Path):
    path = tmp_path / "campaign.toml"
    source = (DATA_DIR / "campaign.toml").read_text()
    path.write_text(source)
    with unit_of_work(sessions) as session:
        first = sync_campaign_file(session, path)
        step_ids = [s.id for s in first.steps]
    with unit_of_work(sessions) as session:
        again = sync_campaign_file(session, path)
        assert again.id == first.id and [s.id for s in again.steps] == step_ids
        assert session.scalar(select(func.count(CampaignStep.id))) == 4
    # Edit a delay and drop the last step: rows are updated in place and removed.
    spec = load_campaign(path)
    spec.steps[1].delay_days = 4
    del spec.steps[3]
    with unit_of_work(sessions) as session:
        sync_campaign(session, spec, default_threshold=10)
    with unit_of_work(sessions) as session:
        campaign = active_campaign(session)
        assert campaign is not None and campaign.id == first.id
        assert [s.delay_days for s in campaign.steps] == [0, 4, 3]
        assert [s.id for s in campaign.steps] == step_ids[:3]
        assert campaign.score_threshold == 50


def test_syncing_another_campaign_makes_it_the_only_active_one(sessions, tmp_path: Path):
    other = tmp_path / "other.toml"
    other.write_text(
        'key = "other"\nname = "Other"\n[[steps]]\nchannel = "email"\n'
        'subject = "Hello {{ company }}"\nbody = "Hi"\n'
    )
    with unit_of_work(sessions) as session:
        sync_campaign_file(session, DATA_DIR / "campaign.toml")
        sync_campaign_file(session, other, default_threshold=70)
    with unit_of_work(sessions) as session:
        active = session.scalars(select(Campaign.key).where(Campaign.active.is_(True))).all()
        assert active == ["other"]
        assert session.scalar(select(Campaign.score_threshold).where(Campaign.key == "other")) == 70


def test_a_template_typo_stops_the_load_with_its_reason(tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'key = "k"\nname = "n"\n[[steps]]\nchannel = "email"\nsubject = "{{ oops"\nbody = "x"\n'
    )
    with pytest.raises(CampaignFileError, match="syntax"):
        load_campaign(bad)
    with pytest.raises(CampaignFileError, match="cannot read"):
        load_campaign(tmp_path / "missing.toml")


def test_scores_carry_their_reasons():
    rules = load_rules(DATA_DIR / "scoring.toml")
    boss = score_lead(
        rules, title="Head of Sales", domain="acme.com", custom_fields={"Industry": "B2B SaaS"}
    )
    assert boss.points == 35 + 15 + 20 + 15
    assert "+35 title has 'head of sales'" in boss.reasons
    assert "+20 company domain (acme.com)" in boss.reasons
    intern = score_lead(rules, title="Sales Intern", domain="gmail.com", custom_fields={})
    assert intern.points == 15 - 30 - 25
    assert any("free-mail" in reason for reason in intern.reasons)
    # Whole words only: "vp" does not match inside another word.
    assert score_lead(rules, title="MVP builder", domain="", custom_fields={}).points == 0


def test_scoring_file_errors_are_clear(tmp_path: Path):
    bad = tmp_path / "scoring.toml"
    bad.write_text('[[custom_fields]]\nfield = "x"\npoints = 3\n')
    with pytest.raises(ScoringFileError, match="exactly one"):
        load_rules(bad)


def test_paragraphs_flow_and_short_lines_keep_their_breaks():
    source = (
        "Hi Ada,\n\nI work with sales teams at companies like Acme who want more qualified"
        " meetings\nwithout adding headcount. Most of them lose a third of their pipeline.\n\n"
        "Three things we look at:\n- response times\n- follow-up cadence\n\n\n\nBest,\nMaya\n"
    )
    assert flowing(source) == (
        "Hi Ada,\n\nI work with sales teams at companies like Acme who want more qualified"
        " meetings without adding headcount. Most of them lose a third of their pipeline.\n\n"
        "Three things we look at:\n- response times\n- follow-up cadence\n\nBest,\nMaya"
    )
    assert flowing("  \n\n ") == ""
