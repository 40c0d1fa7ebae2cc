"""Remind a lead's owner, once, in the card's thread, that an interested reply waits for them.

Run by every instance's scheduler: the reminder is taken by a conditional UPDATE in the same
transaction that queues its post, so one instance reminds and the notifier posts it once.
"""

from __future__ import annotations

from datetime import datetime

from bot.blocks.answer import duration, reminder_post
from cam.bootstrap import ProcessConfig
from cam.core.db import SessionFactory, unit_of_work
from cam.core.models import NotificationTopic
from cam.core.notices import ThreadReplyPayload, notice
from cam.core.state import get_state
from cam.replies import cards, speed


def remind_unanswered(
    process: ProcessConfig, session_factory: SessionFactory, now: datetime
) -> int:
    """Queue a reminder for each interested reply past its deadline (to its mailbox's owner);
    return how many."""
    reminded = 0
    with unit_of_work(session_factory) as session:
        config = process.cycle_config(get_state(session))
        within = config.answer_within_hours
        for waiting in speed.unanswered(session, config, now, within, not_reminded=True):
            parent = cards.card_thread(session, waiting.reply_id)
            if parent is None or not speed.take_reminder(session, waiting.reply_id, now):
                continue
            waited = duration((now - waiting.landed_at).total_seconds())
            post = reminder_post(process.owners.get(waiting.mailbox, ""), waiting.lead_name, waited)
            payload = ThreadReplyPayload(text=post.text, blocks=post.blocks)
            session.add(notice(NotificationTopic.thread_reply, payload, parent_id=parent))
            reminded += 1
    return reminded
