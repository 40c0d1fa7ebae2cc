"""What every message builder shares: the post type, Slack's limits and safe text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ConfirmObject,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

MAX_BLOCKS = 50
MAX_HOME_BLOCKS = 100
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_FIELD = 2000
MAX_FIELDS = 10
MAX_FALLBACK = 3000
MAX_CONFIRM = 300


@dataclass
class SlackPost:
    """One message ready for `chat.postMessage`, and the replies that go in its thread."""

    text: str
    blocks: list[dict[str, Any]]
    thread: list[SlackPost] = field(default_factory=list)


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """Cut `text` to `limit` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def header(text: str) -> HeaderBlock:
    return HeaderBlock(text=PlainTextObject(text=clip(text, MAX_HEADER), emoji=True))


def section(text: str, *, block_id: str | None = None) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=clip(text, MAX_SECTION)), block_id=block_id)


def fields(pairs: Sequence[tuple[str, object]]) -> list[SectionBlock]:
    """Lay out label/value pairs as section fields, ten to a section."""
    items = [
        MarkdownTextObject(text=clip(f"*{label}*\n{value}", MAX_FIELD)) for label, value in pairs
    ]
    return [
        SectionBlock(fields=items[start : start + MAX_FIELDS])
        for start in range(0, len(items), MAX_FIELDS)
    ]


def context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=clip(text, MAX_SECTION))])


def slack_date(moment: datetime, fmt: str = "{date_short_pretty} {time}") -> str:
    """Show `moment` in each reader's own time zone, with a UTC fallback."""
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{fmt}|{fallback}>"


def bulleted(
    lines: Sequence[str], *, limit: int, chars: int = MAX_SECTION, noun: str = "more"
) -> list[str]:
    """Pack up to `limit` lines into section texts of at most `chars`, ending "and N more"."""
    shown = list(lines[:limit])
    hidden = len(lines) - len(shown)
    texts: list[str] = []
    current = ""
    for line in shown:
        line = clip(line, chars)
        if current and len(current) + 1 + len(line) > chars:
            texts.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    if hidden:
        tail = f"_and {hidden} {noun}_"
        if current and len(current) + 1 + len(tail) > chars:
            texts.append(current)
            current = ""
        current = f"{current}\n{tail}" if current else tail
    if current:
        texts.append(current)
    return texts


def to_dicts(blocks: Sequence[Block], *, limit: int = MAX_BLOCKS) -> list[dict[str, Any]]:
    """Render blocks for the API; past `limit`, the last block says how many were left out."""
    if len(blocks) > limit:
        left_out = len(blocks) - limit + 1
        blocks = [*blocks[: limit - 1], context(f"_{left_out} more blocks left out_")]
    return [block.to_dict() for block in blocks]


def fallback(text: str) -> str:
    """Return the notification text shown where blocks are not (push, search, screen readers).

    Slack reads this text as mrkdwn, so it is escaped here: pass plain words, never markup.
    """
    return clip(escape(text), MAX_FALLBACK)


def link(url: str, label: str) -> str:
    """Return a mrkdwn link; `url` must already have passed its own check (e.g. LinkedIn's)."""
    return f"<{escape(url)}|{escape(label)}>"


def confirm(title: str, text: str, *, button: str) -> ConfirmObject:
    """Return a confirm dialog whose text (mrkdwn in Slack) is `text` escaped: plain words."""
    return ConfirmObject(
        title=title,
        text=MarkdownTextObject(text=clip(escape(text), MAX_CONFIRM)),
        confirm=button,
        deny="Cancel",
    )
