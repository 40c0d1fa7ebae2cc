"""The digest message: funnel, rates with their warnings, what waits (linked), limits.

However much waits (500 approvals, say), the message stays within Slack's limits: each kind of
waiting item shows a total, its oldest age and the oldest few, never the whole list.
"""

from __future__ import annotations

from slack_sdk.models.blocks import Block, DividerBlock

from bot.blocks.common import (
    SlackPost,
    bulleted,
    context,
    escape,
    fallback,
    fields,
    header,
    section,
    slack_date,
    to_dicts,
)
from bot.blocks.limits import CHANNEL_NAMES
from bot.blocks.report import late_text, mode_label
from cam.digest import rows
from cam.digest.model import Digest, DigestKind, RateName, WaitingItem

CHART_NOTE = ":chart_with_upwards_trend: The 14-day chart is in the thread."
CHART_MISSING = (
    ":warning: The chart is missing: uploading it to Slack failed ({error}). "
    "`cam digest --png chart.png` draws it."
)


def digest_post(digest: Digest, *, workspace_url: str | None = None) -> SlackPost:
    """Build the digest message; `workspace_url` (from auth.test) turns items into links."""
    blocks: list[Block] = [header(rows.title(digest)), context(_about(digest))]
    blocks += fields(
        [
            (label.replace("  ", "↳ ", 1), f"{now}  ({rows.change(now, before)})")
            for label, now, before in rows.funnel_rows(digest)
            if not label.startswith(" ") or now or before
        ]
    )
    blocks += _reps(digest)
    blocks.append(section(rows.speed_text(digest) + "\n" + escape(rows.unanswered_text(digest))))
    blocks.append(section(_bounces(digest)))
    blocks.append(section(_rates(digest)))
    blocks.append(DividerBlock())
    blocks += _waiting(digest, workspace_url)
    blocks.append(section(_limits(digest)))
    blocks.append(context(CHART_NOTE))
    return SlackPost(text=fallback(_summary(digest)), blocks=to_dicts(blocks))


def chart_missing_post(error: str) -> SlackPost:
    """The thread reply that stands in for a chart Slack would not take."""
    shown = CHART_MISSING.format(error=escape(error))
    # The fallback escapes its own text: it gets the plain words.
    return SlackPost(
        text=fallback(CHART_MISSING.format(error=error)), blocks=to_dicts([section(shown)])
    )


def _about(digest: Digest) -> str:
    parts = [mode_label(digest.dry_run)]
    if digest.paused:
        parts.append(":double_vertical_bar: paused")
    parts.append(f"days in {escape(digest.timezone)}")
    parts.append(f"changes against {rows.compared_with(digest)}")
    if digest.due_at is not None:
        parts.append(late_text(digest.due_at))
    return " · ".join(parts)


def _summary(digest: Digest) -> str:
    funnel = digest.funnel
    warnings = [rate.label for rate in digest.rates if rate.warning]
    text = f"{rows.title(digest)}: {funnel.sent} emails sent, "
    if funnel.simulated:
        text += f"{funnel.simulated} would send (dry run), "
    text += f"{funnel.replies} replies, {funnel.interested} interested, {funnel.bounced} bounced"
    waiting = sum(digest.waiting.totals.values())
    if waiting:
        text += f", {waiting} waiting for people"
    if warnings:
        text += f". Warning: {', '.join(warnings)}"
    return text


def _reps(digest: Digest) -> list[Block]:
    """One field per mailbox (ten to a section): 20 mailboxes take three blocks."""
    period = "this week" if digest.kind is DigestKind.weekly else "the day"
    head = section(f"*Per rep* · {period}, the most interested first")
    pairs = []
    for rep in digest.reps:
        cells = rows.rep_cells(rep)
        text = " · ".join(
            f"{label} {value}"
            for (_short, label), value in zip(rows.REP_COLUMNS, cells, strict=True)
        )
        pairs.append((escape(rep.mailbox), text))
    return [head, *fields(pairs)]


def _bounces(digest: Digest) -> str:
    lines = ["*Bounces by reason*"]
    lines += [f"• {escape(rows.bounce_line(group))}" for group in digest.bounce_reasons]
    if not digest.bounce_reasons:
        lines.append("• No bounces.")
    lines.append(f"• {rows.unverified_text(digest)}")
    return "\n".join(lines)


def _rates(digest: Digest) -> str:
    lines = ["*Rates* (share of the emails sent)"]
    for rate in digest.rates:
        if rate.warning:
            lines.append(f":warning: *{rows.rate_text(rate)}*: {rate.advice}")
        elif rate.name is RateName.spam:
            lines.append(f"• {rows.rate_text(rate)}: see Google Postmaster Tools")
        else:
            lines.append(f"• {rows.rate_text(rate)}")
    return "\n".join(lines)


def _waiting(digest: Digest, workspace_url: str | None) -> list[Block]:
    waiting = digest.waiting
    if not waiting.totals:
        return [section(":white_check_mark: Nothing waits for people.")]
    blocks: list[Block] = []
    for kind, total in waiting.totals.items():
        oldest = rows.age(waiting.oldest[kind], digest.generated_at)
        head = (
            f"*{rows.WAITING_TITLES[kind]}: {total}* · oldest {oldest} · {rows.WAITING_HINTS[kind]}"
        )
        shown = [item for item in waiting.items if item.kind is kind]
        lines = [_item_line(item, digest, workspace_url) for item in shown]
        if total > len(shown):
            lines.append(f"_and {total - len(shown)} more_")
        blocks += [section(text) for text in bulleted([head, *lines], limit=len(lines) + 1)]
    return blocks


def _item_line(item: WaitingItem, digest: Digest, workspace_url: str | None) -> str:
    label = escape(item.label)
    if workspace_url and item.slack_channel and item.slack_ts:
        url = f"{workspace_url}archives/{item.slack_channel}/p{item.slack_ts.replace('.', '')}"
        label = f"<{url}|{label}>"
    return f"• {label} · {rows.age(item.since, digest.generated_at)}"


def _limits(digest: Digest) -> str:
    lines = ["*Limits today*"]
    for use in digest.limits:
        name = CHANNEL_NAMES.get(use.channel.value, use.channel.value)
        line = f"• {name}: {use.used_today} of {use.cap_today} used"
        if use.held_back:
            line += f", {use.held_back} due steps held back"
            if use.held_until is not None:
                line += f" until {slack_date(use.held_until)} (today's cap is used up)"
        lines.append(line)
    return "\n".join(lines)
