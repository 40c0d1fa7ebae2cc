"""A notice that someone left and whom to write to instead: its card offers "Add <name> as a
lead", and the click adds them once, from the running bot.

The notice reaches a real IMAP box the bot watches; its card is posted to the fake Slack; the
clicks are signed requests over HTTP, on both databases.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.ids import ActionId, BlockId
from cam.core.db import unit_of_work
from cam.core.models import (
    Event,
    Lead,
    LeadStatus,
    Suppression,
    SuppressionKind,
    SuppressionSource,
)
from cam.leads.event_payloads import LeadReferred, ReferralRefused
from cam.replies.event_payloads import TriageRefusal
from tests.e2e import cards
from tests.e2e.slack_client import OUTSIDER, blocks_of, shown
from tests.e2e.test_reply_cards import Watched, _reply_id, _ts_of, watched
from tests.fakes.slack_api import Call
from tests.gateways.imap_server import imap_ca
from tests.replies.prospects import add_prospect

__all__ = ["imap_ca", "watched"]

HELGA, JONAS = "helga.berg@wayne.example", "jonas.keller@wayne.example"
LEFT = (
    "Guten Tag,\n\nich bin seit dem 1. November nicht mehr bei Wayne tätig. Bitte wenden Sie "
    f"sich\nkünftig an meinen Nachfolger Jonas Keller, {JONAS}.\n\nViele Grüße\nHelga Berg"
)
TRIAGER = "UTRIAGER1"


def _gone(watched: Watched, email: str, text: str, company: str) -> tuple[int, Call]:
    """A contacted lead's notice of leaving, read by the watcher; (reply id, its card)."""
    with unit_of_work(watched.bot.sessions) as session:
        add_prospect(session, email, company=company)
    card = watched.reply(email, text)
    return _reply_id(watched, email), card


def _button(card: Call) -> dict[str, Any]:
    button: dict[str, Any]
    [button] = [
        e
        for b in blocks_of(card)
        if b["type"] == "actions" and b.get("block_id") == BlockId.referral_actions
        for e in b["elements"]
    ]
    return button


def _lead(watched: Watched, email: str) -> Lead | None:
    with watched.bot.sessions() as session:
        return session.scalars(select(Lead).where(Lead.email == email)).first()


def _events(watched: Watched, name: str) -> list[dict[str, Any]]:
    with watched.bot.sessions() as session:
        return [e.details for e in session.scalars(select(Event).where(Event.name == name))]


def test_the_card_adds_the_successor_once_and_refuses_a_suppressed_one(
    watched: Watched,
) -> None:
    bot = watched.bot
    reply_id, card = _gone(watched, HELGA, LEFT, "Wayne Enterprises")
    # Not a person's answer, but the successor is worth a card.
    assert "Classified *out_of_office*" in shown(blocks_of(card))
    assert f"Named instead: Jonas Keller &lt;{JONAS}&gt;" in shown(blocks_of(card))
    button = _button(card)
    assert (button["text"]["text"], button["action_id"]) == (
        "Add Jonas Keller as a lead",
        ActionId.add_referral,
    )
    ts = _ts_of(watched, reply_id)
    cards.click(bot, ActionId.add_referral, button["value"], ts=ts, user=OUTSIDER)

    jonas = _lead(watched, JONAS)
    assert jonas is not None
    assert (jonas.first_name, jonas.last_name, jonas.company, jonas.status) == (
        "Jonas",
        "Keller",
        "Wayne Enterprises",
        LeadStatus.new,
    )
    assert jonas.source == f"referral: named by {HELGA} on reply {reply_id}"
    [update] = bot.fake_slack.of("chat.update")
    assert update.params["ts"] == ts
    assert f"*Jonas Keller* added as a lead by <@{OUTSIDER}>" in shown(blocks_of(update))
    assert ActionId.add_referral.value not in shown(blocks_of(update))

    # The card as it was, clicked again: nothing added, the clicker told who added them.
    cards.click(bot, ActionId.add_referral, button["value"], ts=ts, user=OUTSIDER)
    assert any(
        text.startswith(f"Already added as a lead: Jonas Keller, by <@{OUTSIDER}>")
        for text in cards.told(bot)
    )
    with bot.sessions() as session:
        assert session.scalars(select(Lead.email).where(Lead.email == JONAS)).all() == [JONAS]
    [added] = _events(watched, LeadReferred.name)
    assert (added["reply_id"], added["by"], added["named_by"]) == (reply_id, OUTSIDER, HELGA)

    # A stand-in who asked never to be written to is not added; the clicker is told why.
    with unit_of_work(bot.sessions) as session:
        session.add(
            Suppression(
                kind=SuppressionKind.email,
                value="kim.novak@umbrella.example",
                source=SuppressionSource.phrase,
            )
        )
    other_id, other = _gone(
        watched,
        "rita.moss@umbrella.example",
        "I have left the company. Please contact Kim Novak, kim.novak@umbrella.example.",
        "Umbrella",
    )
    updates = len(bot.fake_slack.of("chat.update"))
    value = _button(other)["value"]
    cards.click(bot, ActionId.add_referral, value, ts=_ts_of(watched, other_id), user=OUTSIDER)
    assert "Not added: kim.novak@umbrella.example: suppressed address." in cards.told(bot)
    assert _lead(watched, "kim.novak@umbrella.example") is None
    assert len(bot.fake_slack.of("chat.update")) == updates
    [refused] = _events(watched, ReferralRefused.name)
    assert (refused["reply_id"], refused["email"]) == (other_id, "kim.novak@umbrella.example")


@pytest.mark.parametrize("watched", [{"CAM_TRIAGERS": TRIAGER}], indirect=True)
def test_only_who_may_triage_adds_and_only_with_the_cards_own_button(watched: Watched) -> None:
    bot = watched.bot
    reply_id, card = _gone(watched, HELGA, LEFT, "Wayne Enterprises")
    ts = _ts_of(watched, reply_id)
    # Another of the card's buttons, sent as Add: refused, whoever sends it.
    triage_value = cards.shown_elements(bot, reply_id)[ActionId.triage_not_interested][0]
    cards.click(bot, ActionId.add_referral, triage_value, ts=ts, user=TRIAGER)
    value = _button(card)["value"]
    cards.click(bot, ActionId.add_referral, value, ts=ts, user=OUTSIDER)
    assert _lead(watched, JONAS) is None and bot.fake_slack.of("chat.update") == []
    told = cards.told(bot)
    assert any("does not do this" in text for text in told)
    assert any("CAM_TRIAGERS" in text for text in told)
    refusals = _events(watched, TriageRefusal.name)
    assert [(r["action"], r["by"]) for r in refusals] == [
        ("add_referral", TRIAGER),
        ("add_referral", OUTSIDER),
    ]

    cards.click(bot, ActionId.add_referral, value, ts=ts, user=TRIAGER)
    assert _lead(watched, JONAS) is not None
    [update] = bot.fake_slack.of("chat.update")
    assert f"added as a lead by <@{TRIAGER}>" in shown(blocks_of(update))
