"""What waits for people: undecided replies (no label yet), unknown sends, going live."""

from __future__ import annotations

from datetime import timedelta

from cam.core.db import unit_of_work
from cam.core.models import (
    Approval,
    ApprovalKind,
    Campaign,
    Channel,
    Lead,
    Notification,
    NotificationStatus,
    NotificationTopic,
    OutreachMessage,
    OutreachStatus,
    Reply,
    ReplyClass,
    ReplyLabel,
    TriageChoice,
)
from cam.digest.model import WaitingKind
from cam.digest.waiting import waiting
from tests.digest.seed import LAST_DAY, local

NOW = local(LAST_DAY, 17, 30)


def test_replies_wait_until_someone_decides_and_link_to_their_card(sessions):
    with unit_of_work(sessions) as session:
        campaign = Campaign(key="c", name="C")
        ada, bob = Lead(email="ada@x.example", first_name="Ada"), Lead(email="bob@y.example")
        session.add_all([campaign, ada, bob])
        session.flush()
        replies = [
            Reply(lead_id=ada.id, classification=kind, received_at=NOW - timedelta(hours=h))
            for kind, h in (
                (ReplyClass.question, 5),
                (ReplyClass.question, 9),
                (ReplyClass.other, 3),
                (ReplyClass.interested, 20),
                (ReplyClass.out_of_office, 30),
            )
        ]
        session.add_all(replies)
        session.flush()
        session.add(
            ReplyLabel(
                reply_id=replies[1].id,
                choice=TriageChoice.not_interested,
                predicted=ReplyClass.question,
                label=ReplyClass.not_interested,
                decided_by="U1",
                decided_at=NOW,
            )
        )
        session.add(
            Notification(
                topic=NotificationTopic.reply_card,
                payload={"reply_id": replies[0].id},
                status=NotificationStatus.sent,
                channel="C0REPORTS",
                external_id="1700000001.000100",
            )
        )
        session.add(
            OutreachMessage(
                lead_id=bob.id,
                campaign_id=campaign.id,
                step=2,
                channel=Channel.email,
                scheduled_at=NOW,
                status=OutreachStatus.unknown,
                updated_at=NOW - timedelta(minutes=40),
            )
        )
        session.add(Approval(kind=ApprovalKind.go_live, requested_by="U1", requested_at=NOW))

    with unit_of_work(sessions) as session:
        found = waiting(session)
    assert found.totals == {
        WaitingKind.approval: 1,
        WaitingKind.reply: 2,
        WaitingKind.unknown_send: 1,
    }
    assert found.oldest[WaitingKind.reply] == NOW - timedelta(hours=5)
    by_kind = {(item.kind, item.label): item for item in found.items}
    assert set(by_kind) == {
        (WaitingKind.approval, "Go live"),
        (WaitingKind.reply, "Ada: question"),
        (WaitingKind.reply, "Ada: other"),
        (WaitingKind.unknown_send, "bob@y.example: step 2"),
    }
    question = by_kind[(WaitingKind.reply, "Ada: question")]
    assert (question.slack_channel, question.slack_ts) == ("C0REPORTS", "1700000001.000100")
    assert by_kind[(WaitingKind.reply, "Ada: other")].slack_ts is None
