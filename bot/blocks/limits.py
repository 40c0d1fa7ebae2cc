"""`/cam limits`: each channel's and mailbox's cap, use and room today, and the other limits."""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from bot.blocks.approval import who
from bot.blocks.common import context, escape, fields, header, section
from bot.blocks.report import mode_label
from cam.core.config import SendWindow
from cam.outreach.limits import ChannelLimits, DailyUse, LimitsSnapshot, MailboxLimits

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
CHANNEL_NAMES = {"email": "Email", "linkedin": "LinkedIn"}


def limits_blocks(snapshot: LimitsSnapshot) -> list[Block]:
    """Blocks that show how much room today's limits leave."""
    counted = "simulated sends" if snapshot.dry_run else "real sends"
    blocks: list[Block] = [
        header(f"CAM limits · {snapshot.day.isoformat()} · {mode_label(snapshot.dry_run)}"),
        context(f"Counted in {counted}, day in {snapshot.timezone}."),
    ]
    blocks += [section(_channel_text(channel)) for channel in snapshot.channels]
    blocks += [section(mailbox_text(mailbox)) for mailbox in snapshot.mailboxes]
    blocks += fields(
        [
            ("Per domain", f"{snapshot.per_domain_daily_cap} a day"),
            ("Send window", window_text(snapshot.send_window)),
            ("Blocked domains", snapshot.blocked_domains),
            ("Suppressed", snapshot.suppressions),
        ]
    )
    return blocks


def limits_text(snapshot: LimitsSnapshot) -> str:
    """The fallback text: remaining room per channel."""
    parts = [f"{c.channel.value} {c.used_today}/{c.cap_today}" for c in snapshot.channels]
    parts += [
        f"{m.key} {m.used_today}/{m.cap_today}" + (" paused" if m.paused else "")
        for m in snapshot.mailboxes
    ]
    return "CAM limits today: " + (", ".join(parts) or "no channels")


def window_text(window: SendWindow) -> str:
    days = sorted(window.weekdays)
    if len(days) > 1 and days == list(range(days[0], days[-1] + 1)):
        named = f"{DAY_NAMES[days[0]]} to {DAY_NAMES[days[-1]]}"
    else:
        named = ", ".join(DAY_NAMES[day] for day in days) or "no days"
    return f"{named} {window.start:%H:%M} to {window.end:%H:%M}, recipient's time"


def _channel_text(channel: ChannelLimits) -> str:
    name = CHANNEL_NAMES.get(channel.channel.value, channel.channel.value)
    lines = [
        f"*{name}*: {channel.used_today} of {channel.cap_today} used today, "
        f"*{channel.remaining} left*"
    ]
    return "\n".join(lines + _hour_and_ramp(channel))


def mailbox_text(mailbox: MailboxLimits) -> str:
    """One mailbox: whose it is, its use and cap today, its ramp day, and whether it is paused."""
    owner = f" · {who(mailbox.owner)}" if mailbox.owner else ""
    state = ""
    if mailbox.paused:
        state = " · :double_vertical_bar: *paused* (`/cam resume " + mailbox.key + "`)"
    elif not mailbox.active:
        state = " · finishing its sequences, no new leads"
    lines = [
        f"*Mailbox {escape(mailbox.key)}* ({escape(mailbox.address)}){owner}{state}",
        f"{mailbox.used_today} of {mailbox.cap_today} used today, *{mailbox.remaining} left*",
    ]
    return "\n".join(lines + _hour_and_ramp(mailbox))


def _hour_and_ramp(use: DailyUse) -> list[str]:
    """The hourly cap's use and the warm-up day, where there are any."""
    lines = []
    if use.hourly_cap is not None:
        lines.append(f"This hour: {use.used_this_hour} of {use.hourly_cap}")
    if use.warmup_day is not None:
        lines.append(f"Warm-up: day {use.warmup_day + 1} of the ramp")
    return lines
