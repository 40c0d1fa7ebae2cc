"""A reply card's buttons act on that card only, as it offers them, from where it lives.

Slack signs each request but not what it names: these send genuine, signed requests whose
values, channel and ts are another card's, forged, or not the card's, and check that nothing
but the card's own click counts, and that only the card's stored message is updated.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import select

from bot.ids import ActionId
from bot.payloads import CardAction, CardRef
from bot.signing import Signer, signer_of
from cam.core.models import Event, Lead, LeadStatus, ReplyClass, ReplyLabel, Suppression, utcnow
from cam.replies.event_payloads import TriageRefusal
from tests.e2e import cards
from tests.e2e.slack_client import APPROVER, OUTSIDER, REPORT_CHANNEL, RunningBot, blocks_of

ANA, BEN = "ana@litware.example", "ben@contoso.example"


def _labels(bot: RunningBot) -> list[ReplyLabel]:
    with bot.sessions() as session:
        return list(session.scalars(select(ReplyLabel)))


def _refusals(bot: RunningBot) -> list[dict[str, object]]:
    with bot.sessions() as session:
        return [
            e.details
            for e in session.scalars(select(Event).where(Event.name == TriageRefusal.name))
        ]


def _status(bot: RunningBot, email: str) -> LeadStatus:
    with bot.sessions() as session:
        return session.scalars(select(Lead.status).where(Lead.email == email)).one()


def _value(bot: RunningBot, reply_id: int, action: ActionId) -> str:
    return cards.shown_elements(bot, reply_id)[action][0]


def test_another_cards_value_on_a_card_is_refused_and_neither_changes(bot: RunningBot) -> None:
    a = cards.posted_card(bot, ANA, "Where did you get my address from?")
    b = cards.posted_card(bot, BEN, "How does the pricing work?")
    b_value = _value(bot, b, ActionId.triage_not_interested)
    cards.click(bot, ActionId.triage_not_interested, b_value, ts=cards.card_ts(bot, a))

    assert bot.fake_slack.of("chat.update") == []
    assert _labels(bot) == []
    assert (_status(bot, ANA), _status(bot, BEN)) == (LeadStatus.contacted, LeadStatus.contacted)
    assert any("belongs to another card" in text for text in cards.told(bot))
    [refused] = _refusals(bot)
    assert refused["reply_id"] == b and refused["by"] == OUTSIDER


def test_a_forged_value_is_refused(bot: RunningBot) -> None:
    a = cards.posted_card(bot, ANA, "Where did you get my address from?")
    ts = cards.card_ts(bot, a)
    ref = CardRef(reply_id=a, actions=(CardAction.not_interested,))
    unsigned = f"{ref.dump()}.{'A' * 43}"
    other_key = Signer("not-our-key").sign(ref)
    for value in (unsigned, other_key, ref.dump()):
        cards.click(bot, ActionId.triage_not_interested, value, ts=ts)

    assert _labels(bot) == [] and bot.fake_slack.of("chat.update") == []
    assert sum("not one CAM made" in text for text in cards.told(bot)) == 3
    assert len(_refusals(bot)) == 3


def test_a_channel_and_ts_not_the_cards_are_never_updated(bot: RunningBot) -> None:
    a = cards.posted_card(bot, ANA, "Where did you get my address from?")
    ts = cards.card_ts(bot, a)
    value = _value(bot, a, ActionId.triage_not_interested)
    # From another channel: refused, and that channel is never written to.
    cards.click(bot, ActionId.triage_not_interested, value, ts=ts, channel="C0ELSEWHERE")
    assert _labels(bot) == [] and bot.fake_slack.of("chat.update") == []
    assert any("in the report channel" in text for text in cards.told(bot))
    # From another message of the report channel: the decision counts, only the card changes.
    cards.click(bot, ActionId.triage_not_interested, value, ts="1700000999.000999")
    [update] = bot.fake_slack.of("chat.update")
    assert (update.params["channel"], update.params["ts"]) == (REPORT_CHANNEL, ts)
    [label] = _labels(bot)
    assert (label.card_channel, label.card_ts) == (REPORT_CHANNEL, "1700000999.000999")


def test_snooze_on_an_interested_card_is_refused(bot: RunningBot) -> None:
    a = cards.posted_card(
        bot, ANA, "Yes, let's talk on Tuesday.", ReplyClass.interested, "rule meeting: 'talk'"
    )
    shown = cards.shown_elements(bot, a)
    assert ActionId.triage_snooze not in shown and ActionId.approve in shown
    # Even signed with our own key, a snooze this card does not offer is refused.
    token = signer_of(bot.settings).sign(CardRef(reply_id=a, actions=(CardAction.snooze,)))
    day = utcnow().date() + timedelta(days=7)
    cards.pick_date(bot, f"cam_triage_actions:{token}", day, ts=cards.card_ts(bot, a))

    assert _labels(bot) == [] and _status(bot, ANA) is LeadStatus.hot
    assert any("does not offer that now" in text for text in cards.told(bot))


def test_a_snooze_further_than_a_year_is_refused(bot: RunningBot) -> None:
    a = cards.posted_card(bot, ANA, "Ask me again after the holidays.")
    block = cards.snooze_block(bot, a)
    cards.pick_date(bot, block, date(9999, 12, 31), ts=cards.card_ts(bot, a))
    assert _labels(bot) == []
    assert any("no later than" in text for text in cards.told(bot))


def test_unsubscribe_without_its_second_step_is_refused(bot: RunningBot) -> None:
    a = cards.posted_card(bot, ANA, "Not now, maybe later.")
    ts = cards.card_ts(bot, a)
    value = _value(bot, a, ActionId.triage_unsubscribe)
    # The card's own value sent as the second step: refused.
    cards.click(bot, ActionId.triage_unsubscribe_confirm, value, ts=ts)
    # The first step only asks.
    cards.click(bot, ActionId.triage_unsubscribe, value, ts=ts)
    with bot.sessions() as session:
        assert session.scalars(select(Suppression)).all() == []
    assert _labels(bot) == [] and _status(bot, ANA) is LeadStatus.contacted
    assert any("does not do this" in text for text in cards.told(bot))
    question = bot.fake_slack.of("response_url")[-1]
    [button] = [e for b in blocks_of(question) if b["type"] == "actions" for e in b["elements"]]
    cards.click(bot, ActionId.triage_unsubscribe_confirm, button["value"], ts="1700000999.1")
    assert _status(bot, ANA) is LeadStatus.unsubscribed


def test_only_named_triagers_decide_and_a_label_waits_for_a_second_person(
    start_bot: Callable[..., RunningBot],
) -> None:
    bot = start_bot(CAM_TRIAGERS="UTRIAGER1,UTRIAGER2", CAM_LABELS_PER_HOUR="1")
    a = cards.posted_card(bot, ANA, "Where did you get my address from?")
    b = cards.posted_card(bot, BEN, "How does the pricing work?")
    ts_a, ts_b = cards.card_ts(bot, a), cards.card_ts(bot, b)
    value = _value(bot, a, ActionId.triage_unsubscribe)
    cards.click(bot, ActionId.triage_not_interested, value, ts=ts_a, user=OUTSIDER)
    assert _labels(bot) == []
    assert any("CAM_TRIAGERS" in text for text in cards.told(bot))

    cards.click(bot, ActionId.triage_not_interested, value, ts=ts_a, user="UTRIAGER1")
    [label] = _labels(bot)
    assert (label.decided_by, label.trust) == ("UTRIAGER1", None)
    # One label an hour here: the next one is refused, the lead left as it is.
    b_value = _value(bot, b, ActionId.triage_not_interested)
    cards.click(bot, ActionId.triage_not_interested, b_value, ts=ts_b, user="UTRIAGER1")
    assert _status(bot, BEN) is LeadStatus.contacted
    assert any("labels within the last hour" in text for text in cards.told(bot))

    agree = _value(bot, a, ActionId.label_agree)
    cards.click(bot, ActionId.label_agree, agree, ts=ts_a, user="UTRIAGER1")
    assert _labels(bot)[0].trust is None
    cards.click(bot, ActionId.label_agree, agree, ts=ts_a, user=APPROVER)
    [label] = _labels(bot)
    assert (label.trust, label.trusted_by) == ("approver", APPROVER)
    assert ActionId.label_agree not in cards.shown_elements(bot, a)
    reasons = [str(r["why"]) for r in _refusals(bot)]
    assert any("CAM_TRIAGERS" in why for why in reasons)
    assert any("within the last hour" in why for why in reasons)
