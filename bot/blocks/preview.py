"""`/cam preview`: the next message CAM would send, shown privately as its recipient gets it.

The subject and body are the prospect's data and the team's templates: they go in `plain_text`
sections, which Slack shows as written, never as markup, so no escaping can be forgotten.
"""

from __future__ import annotations

from slack_sdk.models.blocks import Block, PlainTextObject, SectionBlock

from bot.blocks.common import (
    MAX_SECTION,
    SlackPost,
    context,
    escape,
    fallback,
    fields,
    header,
    slack_date,
    to_dicts,
)
from cam.core.models import Channel
from cam.outreach.preview import MessagePreview

# Sections the body may fill (3,000 characters each): a message is far shorter.
MAX_BODY_SECTIONS = 10


def preview_post(preview: MessagePreview) -> SlackPost:
    """The message with its From, To, subject, body and footer, and when it would leave."""
    kind = "Email" if preview.channel is Channel.email else "LinkedIn message"
    blocks: list[Block] = [
        header(f"Preview: {kind}, step {preview.step} of {preview.campaign}"),
        *fields(
            [
                ("From", escape(preview.sender)),
                ("Mailbox", escape(preview.mailbox)),
                ("To", f"{escape(preview.lead_name)} ({escape(preview.lead_email)})"),
                ("Planned", slack_date(preview.planned_at)),
                ("Goes out", _when(preview)),
            ]
        ),
    ]
    if preview.subject:
        blocks.append(_plain(f"Subject: {preview.subject}"))
    blocks += [_plain(part) for part in _parts(preview.text)]
    notes = [f"• {escape(reason)}" for reason in preview.held]
    if preview.has_html:
        notes.append("An HTML version goes with it, with the same footer.")
    if notes:
        blocks.append(context("\n".join(notes)))
    text = f"Preview of the next {kind.lower()} to {preview.lead_email}"
    return SlackPost(text=fallback(text), blocks=to_dicts(blocks))


def _when(preview: MessagePreview) -> str:
    when = slack_date(preview.goes_out_at)
    if preview.goes_out_at > preview.planned_at:
        return f"{when} at the earliest (the next send pass in the recipient's window)"
    return when


def _plain(text: str) -> SectionBlock:
    return SectionBlock(text=PlainTextObject(text=text, emoji=False))


def _parts(text: str) -> list[str]:
    """Cut the body into section-sized parts at line ends, the last one marking any cut."""
    parts: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while len(line) > MAX_SECTION:
            parts.append(line[:MAX_SECTION])
            line = line[MAX_SECTION:]
        if len(current) + len(line) > MAX_SECTION:
            parts.append(current)
            current = ""
        current += line
    parts.append(current)
    kept = [part.rstrip("\n") or " " for part in parts if part]
    if len(kept) > MAX_BODY_SECTIONS:
        kept = [*kept[: MAX_BODY_SECTIONS - 1], "[… the rest of the message is cut here]"]
    return kept
