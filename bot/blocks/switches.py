"""The post that tells the channel a kill switch was pulled from the terminal (`cam pause`)."""

from __future__ import annotations

from bot.blocks.common import SlackPost, escape, fallback, section, to_dicts
from cam.core.enums import SwitchAction
from cam.core.notices import SwitchPayload


def switch_post(change: SwitchPayload) -> SlackPost:
    """Say what changed, who changed it (OS user and host) and how to undo it."""
    mailbox = change.mailbox
    if change.action is SwitchAction.dry:
        title = "Dry run switched on from the terminal"
        body = "Nothing is sent for real from now on. Going live again: `/cam live`."
        icon = ":large_yellow_circle:"
    elif change.action is SwitchAction.pause:
        title = f"Mailbox `{mailbox}` paused" if mailbox else "CAM paused"
        title += " from the terminal"
        undo = f"`/cam resume {mailbox}`" if mailbox else "`/cam resume`"
        what = "it sends nothing" if mailbox else "no cycle runs and nothing is sent"
        body = f"From now on {what} until {undo} (or `cam resume` in a terminal)."
        icon = ":octagonal_sign:"
    else:
        title = f"Mailbox `{mailbox}` resumed" if mailbox else "CAM resumed"
        title += " from the terminal"
        body = "Sends run on schedule again." if mailbox else "Cycles and sends run on schedule."
        icon = ":arrow_forward:"
    # The mailbox key and the OS user are typed by people: escaped as data.
    text = f"{icon} *{escape(title)}* by `{escape(change.by)}`. {escape(body)}"
    return SlackPost(text=fallback(f"{title} by {change.by}"), blocks=to_dicts([section(text)]))
