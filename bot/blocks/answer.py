"""The answer modal of a reply card, and what the card's thread says once it is sent.

The prospect's words are escaped (mrkdwn) or shown as plain text; the draft is a plain-text
input the rep edits. In dry run the modal says that nothing will be sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.blocks.common import SlackPost, clip, context, escape, fallback, section, to_dicts
from bot.ids import ActionId, BlockId, CallbackId
from bot.payloads import AnswerRef
from cam.core.models import Answer, OutreachStatus

# Slack's limits: a plain-text input holds 3,000 characters, an option's text 75.
MAX_BODY = 3000
MAX_OPTION = 75
EXCERPT = 600


@dataclass(frozen=True)
class AnswerForm:
    """What the modal shows: the lead, their words, where the answer goes from, the draft."""

    reply_id: int
    lead: str
    last_message: str
    subject: str
    # (key, label) of each mailbox one may answer from; the first is the lead's owner's.
    mailboxes: list[tuple[str, str]]
    mailbox: str
    # Approvers may pick another mailbox than the owner's.
    may_pick_mailbox: bool
    # (key, title) of the snippets of the reply's class, and the one drafted.
    snippets: list[tuple[str, str]]
    snippet: str
    draft: str
    dry_run: bool
    # Why the snippet could not be drafted (a sender field the mailbox lacks), if so.
    note: str = ""
    # When an answer for the prospect's return goes, in words; "" for an answer sent at once.
    due: str = ""


def answer_modal(form: AnswerForm) -> dict[str, Any]:
    """The modal as `views.open` takes it."""
    blocks: list[Block] = [
        section(f"*{escape(form.lead)}* wrote:\n" + _quoted(form.last_message)),
        context(f"Subject: {escape(form.subject)} (in the prospect's thread)"),
    ]
    if form.due:
        blocks.append(section(f":alarm_clock: Goes {form.due}."))
    if form.dry_run:
        blocks.append(section(_DRY_LATER if form.due else _DRY_NOW))
    blocks.append(_mailbox_block(form))
    if len(form.snippets) > 1:
        blocks.append(_snippet_block(form))
    if form.note:
        blocks.append(context(f":warning: {escape(form.note)}"))
    blocks.append(
        InputBlock(
            block_id=f"{BlockId.answer_body}:{form.snippet}",
            label="Your answer",
            element=PlainTextInputElement(
                action_id=ActionId.answer_body,
                multiline=True,
                max_length=MAX_BODY,
                initial_value=form.draft[:MAX_BODY] or None,
            ),
            hint="The postal address and the unsubscribe link are added below it.",
        )
    )
    view = View(
        type="modal",
        callback_id=CallbackId.answer_later if form.due else CallbackId.answer,
        title="Answer when back" if form.due else "Reply",
        submit="Schedule" if form.due else "Save (dry run)" if form.dry_run else "Send",
        close="Cancel",
        private_metadata=AnswerRef(reply_id=form.reply_id).dump(),
        blocks=blocks,
    )
    return view.to_dict()


_DRY_NOW = (
    ":test_tube: *Dry run*: nothing will be sent. The answer is kept as simulated and shown "
    "in the card's thread."
)
_DRY_LATER = (
    ":test_tube: *Dry run* now: if CAM is still in dry run when the answer is due, nothing is "
    "sent; it is kept as simulated and shown in the card's thread."
)


def _quoted(text: str) -> str:
    lines = clip(text, EXCERPT).splitlines() or ["(nothing but quoted text)"]
    return "\n".join(f"> {escape(line)}" for line in lines)


def _mailbox_block(form: AnswerForm) -> Block:
    labels = dict(form.mailboxes)
    if not form.may_pick_mailbox:
        return context(f"From: {escape(labels.get(form.mailbox, form.mailbox))}")
    options = [Option(value=key, text=clip(label, MAX_OPTION)) for key, label in form.mailboxes]
    chosen = next((o for o in options if o.value == form.mailbox), options[0])
    return InputBlock(
        block_id=BlockId.answer_mailbox,
        label="From",
        element=StaticSelectElement(
            action_id=ActionId.answer_mailbox, options=options, initial_option=chosen
        ),
    )


def _snippet_block(form: AnswerForm) -> Block:
    options = [Option(value=key, text=clip(title, MAX_OPTION)) for key, title in form.snippets]
    chosen = next((o for o in options if o.value == form.snippet), options[0])
    return ActionsBlock(
        block_id=BlockId.answer_snippet,
        elements=[
            StaticSelectElement(
                action_id=ActionId.answer_snippet,
                placeholder="Start from a snippet",
                options=options,
                initial_option=chosen,
            )
        ],
    )


def answered_post(answer: Answer, landed_at: datetime | None) -> SlackPost:
    """The card's thread after an answer: who answered how soon, and the text sent."""
    after = f" {_duration(answer.created_at - landed_at)} after the reply" if landed_at else ""
    who = f"<@{answer.answered_by}>"
    if answer.status is OutreachStatus.simulated:
        head = f":leftwards_arrow_with_hook: {who} would have answered{after}, from "
        head += f"{escape(answer.mailbox)} (dry run: nothing was sent)"
    else:
        head = (
            f":leftwards_arrow_with_hook: Answered by {who}{after}, from {escape(answer.mailbox)}"
        )
    text = f"{head}\n" + _quoted_body(answer.body)
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=clip(text, 3000)))]
    return SlackPost(text=fallback(_plain(answer, after)), blocks=to_dicts(blocks))


def not_sent_post(answer: Answer) -> SlackPost:
    """The card's thread when the server did not take an answer (or may have)."""
    who = f"<@{answer.answered_by}>"
    if answer.status is OutreachStatus.unknown:
        text = (
            f":warning: {who}, the link to the mail server broke after your answer was handed "
            f"over: it may have gone out. Check the Sent folder of {escape(answer.mailbox)} "
            "before answering again."
        )
    else:
        reason = escape(answer.reason or "the mail server refused it")
        text = f":warning: {who}, your answer was *not sent*: {reason}"
    block = SectionBlock(text=MarkdownTextObject(text=clip(text, 3000)))
    return SlackPost(text=fallback("An answer was not sent"), blocks=to_dicts([block]))


def reminder_post(owner: str, lead: str, waited: str) -> SlackPost:
    """The one reminder in the card's thread: an interested reply still waits for an answer."""
    who = f"<@{owner}>" if owner else "Team"
    text = (
        f":alarm_clock: {who}, {escape(lead)} said they are interested {waited} ago and has no "
        "answer yet. *Reply* on the card answers from their mailbox."
    )
    block = SectionBlock(text=MarkdownTextObject(text=clip(text, 3000)))
    plain = f"{lead} is waiting for an answer ({waited})"
    return SlackPost(text=fallback(plain), blocks=to_dicts([block]))


def answered_line(answer: Answer) -> ContextBlock:
    """The card's line once answered."""
    if answer.status is OutreachStatus.simulated:
        return context(
            f":leftwards_arrow_with_hook: *Answered* (dry run: not sent) by <@{answer.answered_by}>"
        )
    return context(f":leftwards_arrow_with_hook: *Answered* by <@{answer.answered_by}>")


def _quoted_body(body: str) -> str:
    return "\n".join(f"> {escape(line)}" for line in clip(body, 2500).splitlines())


def _plain(answer: Answer, after: str) -> str:
    verb = "Would have answered" if answer.status is OutreachStatus.simulated else "Answered"
    return f"{verb} by a teammate{after}"


def _duration(delta: timedelta) -> str:
    """'3 min', '2 h 5 min', '3 days': how long something took, for people."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    return f"{hours // 24} days"


def duration(seconds: float) -> str:
    """The same words for a number of seconds."""
    return _duration(timedelta(seconds=seconds))
