"""Per rep and bounce reasons: counted per mailbox on both databases, shown within Slack's
limits at 1, 3 and 20 mailboxes, and readable in an 80-column terminal."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from rich.console import Console
from sqlalchemy import select

from bot.blocks.common import MAX_BLOCKS, MAX_FIELD, MAX_FIELDS, MAX_SECTION
from bot.blocks.digest import digest_post
from cam.core import events
from cam.core.db import unit_of_work
from cam.core.models import Lead, NotificationTopic, Reply, ReplyClass
from cam.core.notices import ReplyCardPayload, notice
from cam.digest import rows
from cam.digest.bounce_reasons import reason_of
from cam.digest.build import build_digest
from cam.digest.model import BounceReason, Digest
from cam.digest.terminal import digest_view
from cam.replies.event_payloads import BounceUnverified
from tests.digest import fortnight


def build(sessions, mailboxes: int = 3, *, dry_run: bool = False) -> Digest:
    with unit_of_work(sessions) as session:
        return build_digest(
            session, config=fortnight.config(mailboxes, dry_run=dry_run), now=fortnight.NOW
        )


def test_each_mailbox_counts_its_own_sends_replies_and_bounces(sessions):
    seeded = fortnight.seed(sessions, dry_run=False)
    digest = build(sessions)
    assert [rep.mailbox for rep in digest.reps] == ["maya", "jonas", "petra"]  # by interested
    for rep in digest.reps:
        kinds = seeded.replies_last_day[rep.mailbox]
        assert rep.sent == seeded.sent[rep.mailbox]
        assert rep.replies == len(kinds)
        assert rep.interested == kinds.count(ReplyClass.interested)
        assert rep.opt_outs == kinds.count(ReplyClass.unsubscribe)
        assert rep.bounces == seeded.bounces_last_day[rep.mailbox]
        assert rep.cap == 30 and rep.simulated == 0
        # Nobody answered from Slack or a mail app yet: none answered, no median.
        assert rep.answered == 0 and rep.median_answer_minutes is None
        assert rows.rep_cells(rep)[3:5] == ["0", rows.UNKNOWN]
    assert sum(rep.sent for rep in digest.reps) == digest.funnel.sent


def test_the_days_bounces_are_grouped_by_reason_with_their_domains(sessions):
    fortnight.seed(sessions, dry_run=False)
    groups = {group.reason: group for group in build(sessions).bounce_reasons}
    # Every notice says 5.1.1; the refusals at send time say 5.1.1, 5.2.2 and 5.7.1.
    assert {reason: group.count for reason, group in groups.items()} == {
        BounceReason.user_unknown: 4,
        BounceReason.mailbox_full: 1,
        BounceReason.blocked: 1,
    }
    assert [d.domain for d in groups[BounceReason.mailbox_full].domains] == [
        "jonas-client0.example"
    ]
    assert len(groups[BounceReason.user_unknown].domains) == 3


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("rejected: 550 5.1.1 <a@b.example>: Recipient address rejected", "user_unknown"),
        ("rejected: 550 No such user here", "user_unknown"),
        ("delivery report: failed 5.2.2 for a@b.example", "mailbox_full"),
        ("452 4.2.2 The email account that you tried to reach is over quota", "mailbox_full"),
        ("rejected: 550 5.1.2 Host unknown", "host_unknown"),
        ("Domain not found", "host_unknown"),
        ("rejected: 554 5.7.1 Service unavailable; client host blocked using Spamhaus", "blocked"),
        ("rejected: 550 message refused by local policy", "blocked"),
        ("mail-system notice (auto-submitted) without a failed recipient", "other"),
        ("rejected: 550 5.2.1 This account has been disabled", "suspended"),
        ("rejected: 552 5.3.4 Message too large", "other"),
    ],
)
def test_a_bounce_reason_is_read_from_its_code_then_its_words(text, reason):
    assert reason_of(text) is BounceReason(reason)


@pytest.mark.parametrize(
    ("stored", "reason"),
    [
        ("mailbox_full", BounceReason.mailbox_full),
        ("policy", BounceReason.blocked),
        ("expired", BounceReason.other),
        (None, BounceReason.user_unknown),  # stored before reasons were: its words decide
    ],
)
def test_a_notices_stored_reason_decides_its_group(stored, reason):
    assert reason_of("delivery report: failed 5.1.1 for a@b.example", stored) is reason


def test_a_dry_run_marks_each_reps_would_sends(sessions):
    fortnight.seed(sessions, dry_run=True)
    digest = build(sessions, dry_run=True)
    assert {rep.mailbox: rows.rep_cells(rep)[0] for rep in digest.reps} == {
        "maya": "4 dry",
        "jonas": "5 dry",
        "petra": "6 dry",
    }
    assert [rep.mailbox for rep in digest.reps] == ["petra", "jonas", "maya"]
    assert "0 emails sent, 15 would send (dry run)" in digest_post(digest).text


@pytest.mark.parametrize("mailboxes", [1, 3, 20])
def test_per_rep_stays_within_slacks_limits(sqlite_sessions, mailboxes):
    keys = tuple(fortnight.config(mailboxes).mailboxes[n].key for n in range(mailboxes))
    fortnight.seed(sqlite_sessions, dry_run=False, keys=keys)
    digest = build(sqlite_sessions, mailboxes)
    assert len(digest.reps) == mailboxes
    post = digest_post(digest)
    assert len(post.blocks) <= MAX_BLOCKS
    assert not any("blocks left out" in str(block) for block in post.blocks)
    rep_fields = []
    for block in post.blocks:
        assert len(block.get("text", {}).get("text", "")) <= MAX_SECTION
        found = block.get("fields", [])
        assert len(found) <= MAX_FIELDS
        assert all(len(field["text"]) <= MAX_FIELD for field in found)
        rep_fields += [field["text"] for field in found if "Cap used today" in field["text"]]
    assert [text.split("\n")[0] for text in rep_fields] == [f"*{r.mailbox}*" for r in digest.reps]
    assert all("Answered 0" in text for text in rep_fields)
    text = str(post.blocks)
    assert "Bounces by reason" in text and "Unverified bounce notices (not acted on): 0" in text
    assert "Speed to lead: no replies from people yet." in text


@pytest.mark.parametrize("mailboxes", [3, 8])
def test_per_rep_reads_in_an_80_column_terminal(sqlite_sessions, mailboxes):
    keys = tuple(fortnight.config(mailboxes).mailboxes[n].key for n in range(mailboxes))
    fortnight.seed(sqlite_sessions, dry_run=False, keys=keys)
    digest = build(sqlite_sessions, mailboxes)
    console = Console(width=80, record=True, color_system=None)
    console.print(digest_view(digest))
    lines = console.export_text().splitlines()
    assert max(len(line) for line in lines) <= 80
    header = next(line for line in lines if "Mailbox" in line)
    for short, _label in rows.REP_COLUMNS:
        assert short in header
    for rep in digest.reps:
        (line,) = [line for line in lines if f" {rep.mailbox} " in line]
        # The panel's border, the mailbox, then each value on the same line.
        assert line.split()[2 : 2 + len(rows.REP_COLUMNS)] == rows.rep_cells(rep)
    assert any("User unknown" in line for line in lines)


def test_speed_to_lead_and_unverified_notices_reach_the_digest(sessions):
    fortnight.seed(sessions, dry_run=False)
    landed = fortnight.NOW - timedelta(hours=3)
    with unit_of_work(sessions) as session:
        lead = session.scalars(select(Lead).where(Lead.mailbox == "jonas").limit(1)).one()
        for card, answer in ((1, 12), (3, 30), (2, None)):
            reply = Reply(
                lead_id=lead.id,
                from_address=lead.email,
                classification=ReplyClass.question,
                received_at=landed,
                landed_at=landed,
                card_posted_at=landed + timedelta(minutes=card),
                answered_at=None if answer is None else landed + timedelta(minutes=answer),
            )
            session.add(reply)
            session.flush()
            card_of = ReplyCardPayload(reply_id=reply.id, lead_id=lead.id)
            session.add(notice(NotificationTopic.reply_card, card_of))
        notice_of = BounceUnverified(
            mailbox="jonas", message_id="<n1@mx.example>", sender="MAILER-DAEMON", why="no match"
        )
        events.record(session, notice_of, at=landed)
        # An interested reply of the morning, carded and never answered: past its 2 hours.
        lead.first_name, lead.last_name = "<!channel>", "Ada"
        waiting = Reply(
            lead_id=lead.id,
            from_address=lead.email,
            classification=ReplyClass.interested,
            received_at=fortnight.NOW - timedelta(hours=6),
            landed_at=fortnight.NOW - timedelta(hours=6),
            card_posted_at=fortnight.NOW - timedelta(hours=6),
        )
        session.add(waiting)
        session.flush()
        session.add(notice(NotificationTopic.reply_card, ReplyCardPayload(reply_id=waiting.id)))
    digest = build(sessions)
    assert [w.reply_id for w in digest.unanswered] == [waiting.id]
    said = rows.unanswered_text(digest)
    assert (
        said
        == "Interested replies not answered in time: 1, oldest <!channel> Ada (jonas) waiting 6 h"
    )
    shown = json.dumps(digest_post(digest).blocks, ensure_ascii=False)
    assert "oldest &lt;!channel&gt; Ada (jonas) waiting 6 h" in shown and "<!channel>" not in shown
    [jonas] = [rep for rep in digest.reps if rep.mailbox == "jonas"]
    assert (jonas.answered, jonas.median_answer_minutes) == (2, 21.0)
    assert rows.rep_cells(jonas)[3:5] == ["2", "21 min"]
    assert digest.unverified_notices == 1
    text = rows.speed_text(digest)
    assert "reply → card 2 min (p90 3 min, 4)" in text
    assert "→ answer 21 min (p90 28 min, 2)" in text
    assert text in shown
    assert "Unverified bounce notices (not acted on): 1" in rows.unverified_text(digest)
