"""Only a person's own words suppress at once: replies read over IMAP by the running bot, cards in
the fake Slack, decisions as signed requests, on both databases.

A reply with no text of its own is never an opt-out; an opt-out only the model read stops the
sequence and waits for Confirm opt-out / Not an opt-out, and so does an opt-out phrase beside a
request (filed by the request); below the confidence floor the model abstains and the card asks
for a look.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from bot.ids import ActionId
from cam.core.models import (
    Approval,
    ApprovalStatus,
    Lead,
    LeadStatus,
    OutreachMessage,
    OutreachStatus,
    Reply,
    ReplyClass,
    ReplyLabel,
    Suppression,
    SuppressionSource,
    TriageChoice,
)
from tests.e2e.slack_client import OUTSIDER, blocks_of, shown
from tests.e2e.test_reply_cards import Watched, _actions, _click, _reply_id, watched
from tests.gateways.imap_server import imap_ca
from tests.replies.prospects import first_message_id

__all__ = ["imap_ca", "watched"]

# Our first message, quoted back with nothing above it.
QUOTED_ONLY = "> Hi, a quick question\n> Ana"
IMAGES_ONLY = (
    "MIME-Version: 1.0\r\n"
    'Content-Type: multipart/related; boundary="R"\r\n\r\n'
    "--R\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    '<html><body><img src="cid:logo" width="600"><img src="cid:logo"></body></html>\r\n'
    "--R\r\nContent-Type: image/png\r\nContent-ID: <logo>\r\n"
    "Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--R--\r\n"
)
NO_TEXT = {
    "blank@acme-a.example": "",
    "quotes@acme-b.example": QUOTED_ONLY,
    "amps@acme-c.example": "&" * 700,
    "angles@acme-d.example": "\n".join(["<"] * 400),
}


def _images_only(email: str) -> bytes:
    head = (
        f"From: {email}\r\nTo: ana@acme.example\r\nSubject: Re: A quick question\r\n"
        f"Message-ID: <r1.{email}>\r\nIn-Reply-To: {first_message_id(email)}\r\n"
        "Date: Mon, 30 Nov 2026 08:05:00 +0000\r\n"
    )
    return (head + IMAGES_ONLY).encode()


def _suppressions(watched: Watched) -> list[Suppression]:
    with watched.bot.sessions() as session:
        return list(session.scalars(select(Suppression)))


def _lead(watched: Watched, email: str) -> Lead:
    with watched.bot.sessions() as session:
        return session.scalars(select(Lead).where(Lead.email == email)).one()


def _step2(watched: Watched, lead_id: int) -> OutreachStatus:
    with watched.bot.sessions() as session:
        query = select(OutreachMessage.status).where(
            OutreachMessage.lead_id == lead_id, OutreachMessage.step == 2
        )
        return session.scalars(query).one()


def _ids(card: Any) -> list[str]:
    return [e["action_id"] for e in _actions(card)]


def test_replies_without_text_of_their_own_are_never_an_opt_out(watched: Watched) -> None:
    emails = [*NO_TEXT, "images@acme-e.example"]
    for email in emails:
        watched.prospect(email)
    cards = [watched.reply(email, text) for email, text in NO_TEXT.items()]
    before = len(watched.bot.fake_slack.of("chat.postMessage"))
    watched.imap.append(_images_only("images@acme-e.example"))
    cards.append(watched.bot.fake_slack.wait_for("chat.postMessage", before + 1)[before])

    assert len(cards) == 5
    for card in cards:
        assert "Classified *other*: no text" in shown(blocks_of(card))
        assert ActionId.triage_unsubscribe in _ids(card)  # the team decides, not the machine
    assert _suppressions(watched) == []
    for email in emails:
        lead = _lead(watched, email)
        assert lead.status is LeadStatus.replied, email
        assert _step2(watched, lead.id) is OutreachStatus.skipped


def test_an_opt_out_only_the_model_read_waits_for_a_person(watched: Watched) -> None:
    confirmed, kept, other = "ida@contoso.example", "jo@fabrikam.example", "kim@adatum.example"
    for email in (confirmed, kept, other):
        watched.prospect(email)
    # No opt-out phrase: the model alone reads these as unsubscribe.
    card = watched.reply(confirmed, "I do not want these emails")
    text = shown(blocks_of(card))
    assert "Looks like an opt-out" in text and "Classified *unsubscribe*: asks not to" in text
    assert "details: model unsubscribe" in text
    assert _ids(card) == [ActionId.confirm_opt_out, ActionId.not_opt_out]
    lead = _lead(watched, confirmed)
    assert (lead.status, _step2(watched, lead.id)) == (LeadStatus.replied, OutreachStatus.skipped)
    assert _suppressions(watched) == []

    _click(watched, ActionId.confirm_opt_out, _reply_id(watched, confirmed))
    [row] = _suppressions(watched)
    reply_id = _reply_id(watched, confirmed)
    assert (row.value, row.source, row.decided_by, row.reply_id) == (
        confirmed,
        SuppressionSource.model_confirmed,
        OUTSIDER,
        reply_id,
    )
    assert row.evidence.startswith("confirmed the model's reading: model unsubscribe")
    assert _lead(watched, confirmed).status is LeadStatus.unsubscribed
    [update] = watched.bot.fake_slack.of("chat.update")
    assert f"Opt-out confirmed*: unsubscribed for good by <@{OUTSIDER}>" in shown(blocks_of(update))

    watched.reply(kept, "I do not want these emails")
    _click(watched, ActionId.not_opt_out, _reply_id(watched, kept))
    assert len(_suppressions(watched)) == 1
    assert _lead(watched, kept).status is LeadStatus.replied
    with watched.bot.sessions() as session:
        label = session.scalars(
            select(ReplyLabel).where(ReplyLabel.reply_id == _reply_id(watched, kept))
        ).one()
    assert (label.choice, label.label, label.decided_by) == (
        TriageChoice.not_opt_out,
        None,
        OUTSIDER,
    )

    # Confirm opt-out on a card that never asked it changes nothing.
    plain = watched.reply(other, "What does it cost for a team of twelve?")
    assert ActionId.confirm_opt_out not in _ids(plain)
    _click(watched, ActionId.confirm_opt_out, _reply_id(watched, other))
    assert len(_suppressions(watched)) == 1
    assert _lead(watched, other).status is not LeadStatus.unsubscribed


def test_an_explicit_opt_out_phrase_still_suppresses_at_once(watched: Watched) -> None:
    watched.prospect("lu@northwind.example")
    card = watched.reply("lu@northwind.example", "Please stop emailing me.")
    assert "Looks like an opt-out" not in shown(blocks_of(card))
    [row] = _suppressions(watched)
    assert (row.source, row.reply_id) == (
        SuppressionSource.phrase,
        _reply_id(watched, "lu@northwind.example"),
    )
    assert row.evidence == "unsubscribe.request: 'stop emailing'"
    assert _lead(watched, "lu@northwind.example").status is LeadStatus.unsubscribed


def test_below_the_confidence_floor_the_model_abstains(watched: Watched) -> None:
    email = "max@contoso.example"
    lead_id = watched.prospect(email)
    # The model hesitates between interested and not interested (about 0.57 / 0.34).
    card = watched.reply(email, "We are interested.")
    text = shown(blocks_of(card))
    assert "Needs a look" in text
    assert re.search(r"needs a look: interested \d+% or not_interested \d+%", text)
    assert ActionId.triage_interested in _ids(card)
    with watched.bot.sessions() as session:
        reply = session.scalars(select(Reply).where(Reply.from_address == email)).one()
        approvals = session.scalars(select(Approval).where(Approval.lead_id == lead_id)).all()
    assert reply.classification is ReplyClass.other and approvals == []
    assert _lead(watched, email).status is LeadStatus.replied  # stopped, nothing more
    assert _suppressions(watched) == []


def test_an_opt_out_phrase_beside_a_request_asks_the_team(watched: Watched) -> None:
    email = "ola@northwind.example"
    lead_id = watched.prospect(email)
    card = watched.reply(
        email,
        "Take me off the weekly newsletter please.\n\n"
        "But can you book a demo with me and our ops lead next Tuesday?",
    )
    text = shown(blocks_of(card))
    # Filed by its request, the phrase named for the team; nothing suppressed.
    assert (
        "Classified *interested*: asks for a next step: \u201cBut can you book a demo" in text
        and "also has an opt-out phrase \u201cTake me off the weekly newsletter please.\u201d"
        in text
    )
    assert "Also has an opt-out phrase" in text and "withdraws the escalation below" in text
    assert _ids(card) == [
        ActionId.confirm_opt_out,
        ActionId.not_opt_out,
        ActionId.approve,
        ActionId.reject,
    ]
    lead = _lead(watched, email)
    assert (lead.status, _step2(watched, lead_id)) == (LeadStatus.hot, OutreachStatus.skipped)
    assert _suppressions(watched) == []

    _click(watched, ActionId.confirm_opt_out, _reply_id(watched, email))
    [row] = _suppressions(watched)
    assert (row.value, row.source, row.decided_by) == (
        email,
        SuppressionSource.model_confirmed,
        OUTSIDER,
    )
    assert row.evidence.startswith("confirmed the phrase: rule interested.beside_opt_out: ")
    assert _lead(watched, email).status is LeadStatus.unsubscribed
    with watched.bot.sessions() as session:
        approval = session.scalars(select(Approval).where(Approval.lead_id == lead_id)).one()
    # A person who opted out is not sent to the CRM: the escalation is withdrawn.
    assert (approval.status, approval.decided_by) == (ApprovalStatus.rejected, OUTSIDER)
    [update] = watched.bot.fake_slack.of("chat.update")
    shown_now = shown(blocks_of(update))
    assert "Opt-out confirmed*" in shown_now and f"*Rejected* by <@{OUTSIDER}>" in shown_now
    assert "opt-out was confirmed on the reply card" in shown_now and _ids(update) == []


def test_a_question_beside_an_opt_out_phrase_kept_as_a_reply(watched: Watched) -> None:
    email = "pia@fabrikam.example"
    lead_id = watched.prospect(email)
    card = watched.reply(
        email,
        "Bitte aus dem Newsletter-Verteiler austragen. Aber: was kostet das für 12 Nutzer, und "
        "gibt es eine Schnittstelle zu DATEV?",
    )
    text = shown(blocks_of(card))
    assert "Classified *question*: asks before deciding: \u201cAber: was kostet" in text
    assert "Also has an opt-out phrase" in text and "withdraws the escalation" not in text
    assert _ids(card) == [ActionId.confirm_opt_out, ActionId.not_opt_out]

    _click(watched, ActionId.not_opt_out, _reply_id(watched, email))
    assert _suppressions(watched) == []
    lead = _lead(watched, email)
    assert (lead.status, _step2(watched, lead_id)) == (LeadStatus.replied, OutreachStatus.skipped)
    [update] = watched.bot.fake_slack.of("chat.update")
    assert "Not an opt-out*: kept as a reply" in shown(blocks_of(update))
