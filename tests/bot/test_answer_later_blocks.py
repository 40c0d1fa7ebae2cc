"""What a card and its thread show of an answer scheduled for a prospect's return."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from bot.blocks.answer_later import cancelled_post, due_post, local_slot, scheduled_post
from bot.blocks.reply_card import ReplyCard, reply_card_post
from bot.ids import ActionId
from bot.payloads import ScheduledRef
from bot.signing import Signer
from cam.core.models import Answer, Lead, OutreachStatus, Reply, ReplyClass

SIGNER = Signer("test-key")
HOSTILE = "<!channel> <https://evil.example|Acme> & co"
DUE = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def _answer(**changes: object) -> Answer:
    values: dict[str, object] = {
        "id": 5,
        "reply_id": 3,
        "answered_by": "U0MAYA001",
        "mailbox": "maya",
        "status": OutreachStatus.scheduled,
        "body": f"Hi,\n{HOSTILE}",
        "due_at": DUE,
        "due_zone": "Europe/Berlin",
        "created_at": datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
    }
    return Answer(**(values | changes))


def _card(**changes: object) -> ReplyCard:
    lead = Lead(id=7, email="dana@northwind.example", first_name="Dana", score=61, score_reasons=[])
    reply = Reply(
        id=3,
        lead_id=7,
        from_address="dana@northwind.example",
        subject="Automatic reply",
        body_excerpt="I am out of the office until Friday 4 December.",
        classification=ReplyClass.out_of_office,
        return_date=date(2026, 12, 4),
        received_at=DUE,
        data_request=False,
    )
    return ReplyCard(reply=reply, lead=lead, **changes)  # type: ignore[arg-type]


def _elements(card: ReplyCard) -> dict[str, str]:
    post = reply_card_post(card, SIGNER)
    return {
        e["action_id"]: str(e.get("value", ""))
        for b in post.blocks
        if b["type"] == "actions"
        for e in b["elements"]
    }


def test_times_are_the_leads() -> None:
    assert local_slot(DUE, "Europe/Berlin") == "Mon 7 Dec, 09:00"
    assert local_slot(DUE, "America/New_York") == "Mon 7 Dec, 03:00"


def test_the_thread_escapes_what_came_from_the_prospect() -> None:
    scheduled = json.dumps(scheduled_post(_answer()).blocks)
    assert "for Mon 7 Dec, 09:00 (lead's time), from maya" in scheduled
    assert "<!channel>" not in scheduled and "&lt;!channel&gt;" in scheduled
    gone = _answer(status=OutreachStatus.cancelled, reason=f"{HOSTILE} wrote again on Wed 2 Dec")
    cancelled = json.dumps(cancelled_post(gone).blocks) + cancelled_post(gone).text
    assert "<!channel>" not in cancelled and "<https://evil" not in cancelled
    assert "was *cancelled*: &lt;!channel&gt;" in cancelled
    refused = _answer(status=OutreachStatus.skipped, reason=f"not sent: {HOSTILE}")
    assert "<!channel>" not in json.dumps(due_post(refused).blocks)


def test_the_card_offers_answer_when_back_then_its_cancel() -> None:
    offered = _elements(_card())
    assert ActionId.answer_later_open in offered and ActionId.answer_open in offered
    assert ActionId.answer_cancel not in offered
    waiting = _elements(_card(scheduled=_answer()))
    assert ActionId.answer_later_open not in waiting
    assert SIGNER.read(waiting[ActionId.answer_cancel], ScheduledRef).answer_id == 5
    shown = json.dumps(reply_card_post(_card(scheduled=_answer()), SIGNER).blocks)
    assert "*Answer scheduled* by <@U0MAYA001> for Mon 7 Dec, 09:00 (lead's time)" in shown


def test_no_answer_when_back_without_a_return_date() -> None:
    card = _card()
    card.reply.return_date = None
    assert ActionId.answer_later_open not in _elements(card)
