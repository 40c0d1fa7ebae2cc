"""`/cam restore` over signed requests: approvers only, an ephemeral confirm step whose click is
checked again on the server, a person's own opt-out refused, every restore an event."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.event_payloads import CommandRefused
from bot.ids import ActionId
from bot.payloads import RestoreRef
from cam.core.db import unit_of_work
from cam.core.models import Event, Lead, LeadStatus, Suppression
from cam.replies.event_payloads import SuppressionRestored
from tests.cli.test_suppressions_cli import BOUNCED, CLICKED, EVIDENCE, OPTED_OUT
from tests.cli.test_suppressions_cli import _seed as seed_ledger
from tests.e2e.slack_client import APPROVER, OUTSIDER, RunningBot, shown

REASON = "The Report Was Forged"


def _buttons(answer: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for b in answer.get("blocks") or [] if b["type"] == "actions" for e in b["elements"]]


def _click(bot: RunningBot, action: ActionId, value: str, user: str, name: str) -> str:
    url = bot.fake_slack.response_url(name)
    assert bot.slack.action(action, value, user=user, response_url=url).status == 200
    bot.settle()
    told = [c for c in bot.fake_slack.of("response_url") if c.params["_response_name"] == name]
    return " ".join(str(c.params.get("text", "")) for c in told)


def _suppressed(bot: RunningBot) -> set[str]:
    with unit_of_work(bot.sessions) as session:
        return set(session.scalars(select(Suppression.value)))


def test_an_approver_restores_a_bounce_and_resumes_its_sequence(bot: RunningBot) -> None:
    lead_id = seed_ledger(bot.sessions)
    refused = bot.slack.command(f"restore {BOUNCED} {REASON}", user=OUTSIDER)
    assert refused.json["text"].startswith("Only approvers may restore")

    asked = bot.slack.command(f"restore {BOUNCED} {REASON}", user=APPROVER)
    assert asked.json["response_type"] == "ephemeral"
    text = shown(asked.json)
    assert "*bounce*" in text and EVIDENCE.replace("<", "&lt;").replace(">", "&gt;") in text
    buttons = _buttons(asked.json)
    assert [b["action_id"] for b in buttons] == [
        ActionId.restore_confirm,
        ActionId.restore_resume,
        ActionId.restore_cancel,
    ]
    value = buttons[1]["value"]
    assert _suppressed(bot) == {BOUNCED, OPTED_OUT, CLICKED}  # asking changed nothing

    # The confirm click is its own request: a non-approver's is refused on the server.
    told = _click(bot, ActionId.restore_resume, value, OUTSIDER, "outsider")
    assert "Only approvers may restore" in told
    assert _suppressed(bot) == {BOUNCED, OPTED_OUT, CLICKED}
    with unit_of_work(bot.sessions) as session:
        refusals = session.scalars(select(Event).where(Event.name == CommandRefused.name))
        # The command's refusal, then the click's: both kept, though each request failed.
        assert [e.details["action"] for e in refusals] == [
            "restore a suppressed address",
            f"restore {BOUNCED}",
        ]

    told = _click(bot, ActionId.restore_resume, value, APPROVER, "approver")
    assert f"Restored {BOUNCED} (bounce): its sequence resumes." in told
    assert _suppressed(bot) == {OPTED_OUT, CLICKED}
    with unit_of_work(bot.sessions) as session:
        lead = session.get_one(Lead, lead_id)
        restored = session.scalars(
            select(Event).where(Event.name == SuppressionRestored.name)
        ).one()
        assert (lead.status, lead.next_step_at) == (LeadStatus.contacted, None)
        assert restored.details["by"] == APPROVER and restored.details["reason"] == REASON
        assert restored.details["resume"] is True and restored.details["steps_revived"] == 1


def test_a_persons_own_opt_out_cannot_be_restored_even_by_a_forged_click(
    bot: RunningBot,
) -> None:
    seed_ledger(bot.sessions)
    asked = bot.slack.command(f"restore {CLICKED} they phoned us", user=APPROVER)
    text = shown(asked.json)
    assert "Not restorable" in text and "their word stands" in text
    assert _buttons(asked.json) == []

    forged = RestoreRef(email=CLICKED, reason="they phoned us").dump()
    told = _click(bot, ActionId.restore_confirm, forged, APPROVER, "forged")
    assert "Not done: one-click is the person's own opt-out: their word stands" in told
    assert _suppressed(bot) == {BOUNCED, OPTED_OUT, CLICKED}


def test_restore_says_what_it_needs(bot: RunningBot) -> None:
    seed_ledger(bot.sessions)
    no_reason = bot.slack.command(f"restore {BOUNCED}", user=APPROVER)
    assert no_reason.json["text"].startswith("`/cam restore &lt;email&gt; &lt;why&gt;`")
    unknown = bot.slack.command("restore nobody@nowhere.example because", user=APPROVER)
    assert unknown.json["text"] == "nobody@nowhere.example is not suppressed: nothing to restore."
    cancelled = _click(
        bot,
        ActionId.restore_cancel,
        RestoreRef(email=BOUNCED, reason="x").dump(),
        APPROVER,
        "cancel",
    )
    assert "Cancelled: nothing restored." in cancelled
    assert _suppressed(bot) == {BOUNCED, OPTED_OUT, CLICKED}


def test_an_opt_out_phrase_is_restored_after_the_approver_is_told_what_to_check(
    bot: RunningBot,
) -> None:
    seed_ledger(bot.sessions)
    why = "the reply asked for the price list"
    asked = bot.slack.command(f"restore {OPTED_OUT} {why}", user=APPROVER)
    text = shown(asked.json)
    assert "remove me" in text and "A rule read an opt-out phrase in their reply" in text
    [restore, *_] = _buttons(asked.json)
    told = _click(bot, ActionId.restore_confirm, restore["value"], APPROVER, "phrase")
    assert f"Restored {OPTED_OUT} (phrase)" in told
    assert _suppressed(bot) == {BOUNCED, CLICKED}
    with unit_of_work(bot.sessions) as session:
        restored = session.scalars(
            select(Event).where(Event.name == SuppressionRestored.name)
        ).one()
    assert (restored.details["by"], restored.details["reason"]) == (APPROVER, why)
