"""What a card and its thread say of an answer scheduled for when the prospect is back.

Times are the lead's ("Tue 9 Dec, 09:00 (lead's time)"): the zone the due time was counted in
is kept on the answer. What CAM wrote of the prospect (the reason it cancelled) is escaped.
"""

from __future__ import annotations

from datetime import datetime

from slack_sdk.models.blocks import Block, ButtonElement, ContextBlock

from bot.blocks.answer import not_sent_post
from bot.blocks.common import (
    SlackPost,
    clip,
    confirm,
    context,
    escape,
    fallback,
    section,
    to_dicts,
)
from bot.ids import ActionId
from cam.core import safety
from cam.core.models import Answer, OutreachStatus
from cam.replies.answer_later import short_day

ICON = ":alarm_clock:"


def local_slot(moment: datetime, zone: str | None) -> str:
    """`moment` as the lead reads it: "Tue 9 Dec, 09:00"."""
    local = moment.astimezone(safety.zone(zone))
    return f"{short_day(local.date())}, {local:%H:%M}"


def due_words(answer: Answer) -> str:
    """When the answer goes: "Tue 9 Dec, 09:00 (lead's time)"."""
    due = answer.due_at or answer.created_at
    return f"{local_slot(due, answer.due_zone)} (lead's time)"


def scheduled_post(answer: Answer) -> SlackPost:
    """The thread's note once an answer is scheduled: who, for when, from where, the text."""
    head = (
        f"{ICON} Answer scheduled by <@{answer.answered_by}> for {due_words(answer)}, from "
        f"{escape(answer.mailbox)}"
    )
    lines = "\n".join(f"> {escape(line)}" for line in clip(answer.body, 2500).splitlines())
    return _post(f"{head}\n{lines}", f"Answer scheduled for {due_words(answer)}")


def cancelled_post(answer: Answer) -> SlackPost:
    """The thread's note once a scheduled answer is withdrawn: by whom, or CAM's reason."""
    what = f"{ICON} The answer <@{answer.answered_by}> scheduled for {due_words(answer)}"
    if answer.cancelled_by:
        text = f"{what} was *cancelled* by <@{answer.cancelled_by}>."
    else:
        reason = escape(answer.reason or "the prospect wrote again")
        text = (
            f"{what} was *cancelled*: {reason}. A person looks again before answering: "
            "*Reply* or *Answer when back* on the card."
        )
    return _post(text, "A scheduled answer was cancelled")


def due_post(answer: Answer) -> SlackPost:
    """The thread's note once its time came: sent, kept in dry run, refused or failed."""
    who = f"<@{answer.answered_by}>"
    when = local_slot(answer.sent_at or answer.claimed_at or answer.created_at, answer.due_zone)
    if answer.status is OutreachStatus.sent:
        text = f"{ICON} The answer {who} scheduled went out {when} (lead's time), from "
        return _post(f"{text}{escape(answer.mailbox)}.", "A scheduled answer went out")
    if answer.status is OutreachStatus.simulated:
        text = (
            f"{ICON} The answer {who} scheduled would have gone out {when} (lead's time), from "
            f"{escape(answer.mailbox)} (dry run: nothing was sent)."
        )
        return _post(text, "A scheduled answer was kept in dry run")
    if answer.status is OutreachStatus.skipped:
        reason = escape(answer.reason or "it may not go now")
        text = (
            f":warning: {who}, the answer you scheduled for {due_words(answer)} was *not sent*: "
            f"{reason}. Answer again from the card when it may go."
        )
        return _post(text, "A scheduled answer was not sent")
    return not_sent_post(answer)


def scheduled_line(answer: Answer) -> ContextBlock:
    """The card's line while an answer waits for the prospect's return."""
    return context(f"{ICON} *Answer scheduled* by <@{answer.answered_by}> for {due_words(answer)}")


def cancel_button(value: str) -> ButtonElement:
    """The card's Cancel of its scheduled answer; `value` is the signed `ScheduledRef`."""
    return ButtonElement(
        text="Cancel scheduled answer",
        action_id=ActionId.answer_cancel,
        value=value,
        confirm=confirm(
            "Cancel the scheduled answer?",
            "It will not be sent. You can answer again from the card.",
            button="Cancel it",
        ),
    )


def _post(text: str, plain: str) -> SlackPost:
    blocks: list[Block] = [section(text)]
    return SlackPost(text=fallback(plain), blocks=to_dicts(blocks))
