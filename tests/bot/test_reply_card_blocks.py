"""The reply card and the watcher's line in the status, rendered as Slack receives them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.blocks.approval import PendingApproval
from bot.blocks.reply_card import ReplyCard, offered, reply_card_post
from bot.blocks.status import Status, status_blocks
from bot.ids import ActionId
from bot.payloads import CardAction, CardRef
from bot.signing import Signer
from cam.core.models import (
    Answer,
    Approval,
    ApprovalKind,
    ApprovalStatus,
    LabelTrust,
    Lead,
    MailboxWatch,
    OutreachStatus,
    Reply,
    ReplyClass,
    ReplyLabel,
    ReplyReview,
    TriageChoice,
    WatchMode,
)
from cam.leads.referrals import Referred

AT = datetime(2026, 11, 30, 8, 5, tzinfo=UTC)
SIGNER = Signer("test-key")
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
    post = reply_card_post(_card(), SIGNER)
    # The header is plain_text, which Slack shows as typed: no mention, no link.
    assert post.blocks[0]["text"]["type"] == "plain_text"
    shown = json.dumps(post.blocks[1:]) + post.text
    assert "<!channel>" not in shown and "<https://evil" not in shown
    assert "&lt;!channel&gt; &lt;https://evil.example|Acme&gt; &amp; co" in shown


def test_an_undecided_card_offers_the_four_decisions() -> None:
    [actions, answer] = [
        b for b in reply_card_post(_card(), SIGNER).blocks if b["type"] == "actions"
    ]
    assert [e["action_id"] for e in answer["elements"]] == [ActionId.answer_open]
    assert answer["block_id"] == "cam_answer_actions:3"
    assert [e["action_id"] for e in actions["elements"]] == [
        ActionId.triage_interested,
        ActionId.triage_not_interested,
        ActionId.triage_unsubscribe,
        ActionId.triage_snooze,
    ]
    # A date picker has no value: its block carries the card's signed value, as the buttons do.
    token = actions["elements"][0]["value"]
    assert actions["block_id"] == f"cam_triage_actions:{token}"
    ref = SIGNER.read(token, CardRef)
    assert (ref.reply_id, ref.actions) == (
        3,
        (
            CardAction.interested,
            CardAction.not_interested,
            CardAction.unsubscribe,
            CardAction.snooze,
        ),
    )
    assert actions["elements"][3]["type"] == "datepicker"
    # Slack's confirm dialog is the client's alone: the server asks instead (two steps).
    assert "confirm" not in actions["elements"][2]


# The card's Reply button (reply 3): a decided card can still be answered.
REPLY_BUTTON = "cam_answer_actions:3"


def test_a_teammates_label_waits_for_a_second_person_and_an_approvers_does_not() -> None:
    label = ReplyLabel(
        reply_id=3,
        choice=TriageChoice.unsubscribe,
        predicted=ReplyClass.question,
        label=ReplyClass.unsubscribe,
        decided_by="USALES1",
        decided_at=AT,
    )
    blocks = reply_card_post(_card(label=label), SIGNER).blocks
    [actions] = [b for b in blocks if b["type"] == "actions" and b["block_id"] != REPLY_BUTTON]
    [agree] = actions["elements"]
    assert agree["action_id"] == ActionId.label_agree
    assert SIGNER.read(agree["value"], CardRef).actions == (CardAction.agree,)
    label.trust, label.trusted_by, label.trusted_at = LabelTrust.approver, "UAPPROVER1", AT
    blocks = reply_card_post(_card(label=label), SIGNER).blocks
    assert [b["block_id"] for b in blocks if b["type"] == "actions"] == [REPLY_BUTTON]


def test_a_decided_card_says_who_decided_what_and_when() -> None:
    label = ReplyLabel(
        reply_id=3,
        choice=TriageChoice.snooze,
        predicted=ReplyClass.question,
        snooze_until=datetime(2027, 1, 5).date(),
        decided_by="USALES1",
        decided_at=AT,
    )
    blocks = reply_card_post(_card(label=label), SIGNER).blocks
    # Decided, it can still be answered: only the Reply button is left.
    assert [b["block_id"] for b in blocks if b["type"] == "actions"] == ["cam_answer_actions:3"]
    assert ":zzz: *Snoozed* until 2027-01-05 by <@USALES1> <!date^" in json.dumps(blocks)


def test_an_answered_card_says_so_and_a_card_without_a_lead_has_no_reply() -> None:
    answer = Answer(answered_by="USALES1", status=OutreachStatus.sent, mailbox="maya")
    shown = json.dumps(reply_card_post(_card(answer=answer), SIGNER).blocks)
    assert ":leftwards_arrow_with_hook: *Answered* by <@USALES1>" in shown
    dry = Answer(answered_by="USALES1", status=OutreachStatus.simulated, mailbox="maya")
    assert "(dry run: not sent)" in json.dumps(reply_card_post(_card(answer=dry), SIGNER).blocks)
    alone = reply_card_post(ReplyCard(reply=_card().reply), SIGNER).blocks
    assert ActionId.answer_open not in json.dumps(alone)


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
        for b in reply_card_post(card, SIGNER).blocks
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


def test_a_named_stand_in_is_offered_as_a_lead_then_shown_added_all_escaped() -> None:
    card = _card()
    card.reply.referral_email = "jonas.keller@wayne.example"
    card.reply.referral_name = HOSTILE
    post = reply_card_post(card, SIGNER)
    [button] = [
        e for b in post.blocks if b.get("block_id") == "cam_referral_actions" for e in b["elements"]
    ]
    # A button's text is plain_text: shown as typed, at most Slack's 75 characters.
    assert button["text"] == {
        "type": "plain_text",
        "text": f"Add {HOSTILE} as a lead",
        "emoji": True,
    }
    ref = SIGNER.read(button["value"], CardRef)
    assert (ref.reply_id, ref.actions) == (3, (CardAction.add_referral,))
    assert CardAction.add_referral in offered(card)

    added = Referred(3, 8, "jonas.keller@wayne.example", HOSTILE, "U0MAYA", AT, changed=True)
    card = ReplyCard(reply=card.reply, lead=card.lead, referred=added)
    # Past the header (plain_text), every text is mrkdwn.
    shown = json.dumps(reply_card_post(card, SIGNER).blocks[1:])
    assert "cam_referral_actions" not in shown and CardAction.add_referral not in offered(card)
    assert (
        "*&lt;!channel&gt; &lt;https://evil.example|Acme&gt; &amp; co* added as a lead by" in shown
    )
    assert "<@U0MAYA>" in shown and "<!channel>" not in shown


def _decisions(card: ReplyCard) -> list[str]:
    return [
        e["action_id"]
        for b in reply_card_post(card, SIGNER).blocks
        if b["type"] == "actions" and not b.get("block_id", "").startswith("cam_answer_actions")
        for e in b["elements"]
    ]


def _escalation(status: ApprovalStatus, note: str | None = None) -> PendingApproval:
    approval = Approval(
        id=9,
        kind=ApprovalKind.escalate_lead,
        status=status,
        lead_id=7,
        reply_id=3,
        decided_by=None if status is ApprovalStatus.pending else "U0TEAMMATE",
        decided_at=None if status is ApprovalStatus.pending else AT,
        note=note,
    )
    return PendingApproval(approval=approval)


def test_an_opt_out_phrase_beside_a_request_is_asked_above_the_escalation() -> None:
    card = _card(approval=_escalation(ApprovalStatus.pending))
    card.reply.classification = ReplyClass.interested
    card.reply.review = ReplyReview.opt_out_guess
    text = json.dumps(reply_card_post(card, SIGNER).blocks)
    assert "Also has an opt-out phrase" in text and "withdraws the escalation below" in text
    assert "Looks like an opt-out" not in text
    assert _decisions(card) == [
        ActionId.confirm_opt_out,
        ActionId.not_opt_out,
        ActionId.approve,
        ActionId.reject,
    ]
    # A question has no escalation: only the opt-out is asked.
    card = _card()
    card.reply.review = ReplyReview.opt_out_guess
    text = json.dumps(reply_card_post(card, SIGNER).blocks)
    assert "Also has an opt-out phrase" in text and "escalation" not in text
    assert _decisions(card) == [ActionId.confirm_opt_out, ActionId.not_opt_out]


def test_an_escalation_withdrawn_by_a_confirmed_opt_out_says_why() -> None:
    withdrawn = _escalation(ApprovalStatus.rejected, note="withdrawn: the opt-out was confirmed")
    label = ReplyLabel(
        reply_id=3, choice=TriageChoice.confirm_opt_out, decided_by="U1", decided_at=AT
    )
    card = _card(approval=withdrawn, label=label)
    card.reply.classification = ReplyClass.interested
    card.reply.review = ReplyReview.opt_out_guess
    text = json.dumps(reply_card_post(card, SIGNER).blocks)
    assert "Opt-out confirmed*" in text
    assert "*Rejected* by <@U0TEAMMATE>" in text
    assert "(withdrawn: the opt-out was confirmed)" in text
    assert "Also has an opt-out phrase" not in text and _decisions(card) == []
