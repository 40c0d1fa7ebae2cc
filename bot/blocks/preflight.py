"""The preflight list in Slack: what sending needs, each with ok or what is missing."""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from bot.blocks.common import SlackPost, bulleted, context, escape, fallback, section, to_dicts
from cam.preflight import CheckStatus, Preflight, PreflightItem


def preflight_line(item: PreflightItem) -> str:
    if item.status is CheckStatus.ok:
        icon = ":white_check_mark:"
    else:
        icon = ":x:" if item.required else ":heavy_minus_sign:"
    return f"{icon} *{escape(item.name)}*: {escape(item.detail)}"


def preflight_post(preflight: Preflight, *, asked_to_go_live: bool = False) -> SlackPost:
    """The list with a verdict on top; when going live was asked, say why it was not."""
    failures = preflight.failures
    if not failures:
        title = "*Ready to go live.* Everything sending needs is in place."
        hint = "`/cam live` asks a second approver to switch dry run off."
    elif asked_to_go_live:
        title = f"*Not asking to go live yet:* {len(failures)} to fix first."
        hint = "Fix these, then `/cam check` again or `/cam live`."
    else:
        title = f"*Not ready to go live:* {len(failures)} to fix first."
        hint = "Fix these, then `/cam check` again."
    lines = [preflight_line(item) for item in preflight.items]
    blocks: list[Block] = [section(title)]
    blocks += [section(text) for text in bulleted(lines, limit=len(lines))]
    blocks.append(context(hint))
    missing = "; ".join(f"{item.name}: {item.detail}" for item in failures)
    text = title.replace("*", "") + (f" {missing}" if missing else "")
    return SlackPost(text=fallback(text), blocks=to_dicts(blocks))
