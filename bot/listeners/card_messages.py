"""Where a reply's card was posted, and what it shows now: for updates after a decision."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot import queries
from bot.blocks.common import SlackPost
from bot.blocks.reply_card import reply_card_post
from bot.signing import Signer
from cam.core.db import SessionFactory, unit_of_work
from cam.core.models import Answer, NotificationTopic
from cam.core.notices import ReplyCardPayload
from cam.core.report import describe

log = logging.getLogger(__name__)


def card_places(session: Session, reply_id: int) -> set[tuple[str, str]]:
    """The (channel, ts) of each card posted for the reply, as stored when it was posted."""
    rows = queries.posted(session, NotificationTopic.reply_card, "reply_id", reply_id)
    return {(channel, ts) for channel, ts, _payload in rows}


def card_at(session: Session, channel: str, ts: str) -> int | None:
    """The reply whose card was posted at (channel, ts), if a card was posted there."""
    return queries.posted_at(session, NotificationTopic.reply_card, channel, ts, "reply_id")


def card_updates(
    session: Session,
    *,
    signer: Signer,
    reply_id: int | None = None,
    lead_id: int | None = None,
    owners: queries.Owners = queries.NO_OWNERS,
) -> dict[tuple[str, str], SlackPost]:
    """The posted cards of a reply (or of every reply of a lead), each in its current form.

    Only the places stored when the cards were posted: never one a request names.
    """
    key, wanted = ("reply_id", reply_id) if reply_id is not None else ("lead_id", lead_id)
    if wanted is None:
        return {}
    rows = queries.posted(session, NotificationTopic.reply_card, key, wanted)
    updates: dict[tuple[str, str], SlackPost] = {}
    for channel, ts, payload in rows:
        if not isinstance(payload, ReplyCardPayload):
            continue
        card = queries.reply_card(session, payload.reply_id, owners)
        if card is not None:
            updates[(channel, ts)] = reply_card_post(card, signer)
    return updates


def show_reply(
    client: WebClient,
    session_factory: SessionFactory,
    signer: Signer,
    owners: queries.Owners,
    reply_id: int,
) -> None:
    """Show the reply's cards as they are now, where they were posted."""
    with unit_of_work(session_factory) as session:
        updates = card_updates(session, signer=signer, reply_id=reply_id, owners=owners)
    for (channel, ts), post in sorted(updates.items()):
        client.chat_update(channel=channel, ts=ts, text=post.text, blocks=post.blocks)


def show_answer(
    client: WebClient,
    session_factory: SessionFactory,
    signer: Signer,
    owners: queries.Owners,
    answer_id: int,
) -> None:
    """Update the cards of the answer's reply to show it as it is now (scheduled, gone...).

    A card that cannot be updated stays as it was; the thread says what became of the answer,
    and the server checks any click against the answer as it is.
    """
    with unit_of_work(session_factory) as session:
        answer = session.get(Answer, answer_id)
        if answer is None:
            return
        updates = card_updates(session, signer=signer, reply_id=answer.reply_id, owners=owners)
    for (channel, ts), card in sorted(updates.items()):
        try:
            client.chat_update(channel=channel, ts=ts, text=card.text, blocks=card.blocks)
        except Exception as exc:  # a view of the truth the thread holds: never stop delivery
            log.warning("reply card %s not updated: %s", ts, describe(exc))
