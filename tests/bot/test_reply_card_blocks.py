"""The reply card and the watcher's line in the status, rendered as Slack receives them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.blocks.reply_card import ReplyCard, reply_card_post
from bot.blocks.status import Status, status_blocks
from bot.ids import ActionId
from cam.core.models import (
    Lead,
    MailboxWatch,
    Reply,
    ReplyClass,
    ReplyLabel,
    TriageChoice,
    WatchMode,
)

AT = datetime(2026, 11, 30, 8, 5, tzinfo=UTC)
HOSTILE = "<!channel> <https://evil.example|Acme> & co"


def _card(**changes: object) -> ReplyCard:
    lead = Lead(
        id=7,
        email="x@acme.example",
        first_name=HOSTILE,
        company=HOSTILE,
        score=61,
        score_reasons=[HOSTILE],
    )
    reply = Reply(
        id=3,
        lead_id=7,
        from_address="x@acme.example",
        subject=HOSTILE,
        body_excerpt=f"{HOSTILE}\nThanks,\nX",
        classification=ReplyClass.question,
        matched_rule=HOSTILE,
        data_request=False,
        received_at=AT,
    )
    return ReplyCard(reply=reply, lead=lead, **changes)  # type: ignore[arg-type]


def test_every_prospect_text_on_the_card_is_escaped() -> None:
    post = reply_card_post(_card())
    # The header is plain_text, which Slack shows as typed: no mention, no link.
    assert post.blocks[0]["text"]["type"] == "plain_text"
    shown = json.dumps(post.blocks[1:]) + post.text
    assert "<!channel>" not in shown and "<https://evil" not in shown
    assert "&lt;!channel&gt; &lt;https://evil.example|Acme&gt; &amp; co" in shown


def test_an_undecided_card_offers_the_four_decisions() -> None:
    [actions] = [b for b in reply_card_post(_card()).blocks if b["type"] == "actions"]
    assert [e["action_id"] for e in actions["elements"]] == [
        ActionId.triage_interested,
        ActionId.triage_not_interested,
        ActionId.triage_unsubscribe,
        ActionId.triage_snooze,
    ]
    assert actions["block_id"] == "cam_triage_actions:3"
    assert actions["elements"][3]["type"] == "datepicker"


def test_a_decided_card_says_who_decided_what_and_when() -> None:
    label = ReplyLabel(
        reply_id=3,
        choice=TriageChoice.snooze,
        predicted=ReplyClass.question,
        snooze_until=datetime(2027, 1, 5).date(),
        decided_by="USALES1",
        decided_at=AT,
    )
    blocks = reply_card_post(_card(label=label)).blocks
    assert not [b for b in blocks if b["type"] == "actions"]
    assert ":zzz: *Snoozed* until 2027-01-05 by <@USALES1> <!date^" in json.dumps(blocks)


def test_the_status_names_each_mailbox_and_how_it_is_read() -> None:
    watches = [
        MailboxWatch(
            mailbox="imap://a@mail.example:993/INBOX",
            mode=WatchMode.idle,
            holder="cam@host:1",
            last_read_at=AT,
        ),
        MailboxWatch(
            mailbox="imap://b@mail.example:993/INBOX",
            mode=WatchMode.polling,
            holder="cam@host:1",
            last_read_at=None,
            last_error="IMAP connection for IDLE failed: <refused>",
        ),
    ]
    status = Status(dry_run=True, paused=False, next_run=None, last_run=None, replies=watches)
    text = json.dumps([b.to_dict() for b in status_blocks(status)])
    assert "imap://a@mail.example:993/INBOX: IDLE (the server pushes new mail); last read" in text
    assert "imap://b@mail.example:993/INBOX: polling; last read never" in text
    assert ":warning: IMAP connection for IDLE failed: &lt;refused&gt;" in text


def test_the_card_says_why_in_words_with_the_details_and_the_named_stand_in_below() -> None:
    card = _card()
    card.reply.explanation = f"asks before deciding: \u201c{HOSTILE}\u201d"
    card.reply.matched_rule = "model question 91%: concept 'price' +2.0"
    card.reply.referral_email = "jonas.keller@wayne.example"
    card.reply.referral_name = HOSTILE
    contexts = [
        json.dumps(b["elements"], ensure_ascii=False)
        for b in reply_card_post(card).blocks
        if b["type"] == "context"
    ]
    assert any(
        "Classified *question*: asks before deciding: \u201c&lt;!channel&gt;" in c for c in contexts
    )
    assert any("details: model question 91%: concept 'price' +2.0" in c for c in contexts)
    assert any(
        "Named instead: &lt;!channel&gt;" in c and "jonas.keller@wayne.example" in c
        for c in contexts
    )
