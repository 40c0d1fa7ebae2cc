"""The App Home tab: status, limits, the last report and the approvals with their buttons."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import Block, DividerBlock

from bot.blocks.approval import PendingApproval, approval_blocks
from bot.blocks.common import MAX_HOME_BLOCKS, context, header, section, to_dicts
from bot.blocks.limits import limits_blocks
from bot.blocks.report import report_blocks
from bot.blocks.status import Status, status_blocks
from cam.outreach.limits import LimitsSnapshot

# Room kept for the approvals after status and limits; the rest are counted, not shown.
MAX_APPROVALS_SHOWN = 8


def home_view(
    status: Status, limits: LimitsSnapshot, *, notice: str | None = None
) -> dict[str, Any]:
    """Build the `home` view published with `views.publish` (at most 100 blocks).

    `notice` answers the user's last click from the Home, where no ephemeral message can go.
    """
    blocks: list[Block] = [section(f":information_source: {notice}")] if notice else []
    blocks += [*status_blocks(status), DividerBlock(), *limits_blocks(limits)]
    if status.last_run is not None:
        last = status.last_run
        blocks += [DividerBlock(), *report_blocks(last.report, trigger=last.trigger)]
        if last.report.errors:
            blocks.append(context(f":x: {len(last.report.errors)} errors: see the report's thread"))
    blocks += [DividerBlock(), *_approvals(status.pending)]
    return {"type": "home", "blocks": to_dicts(blocks, limit=MAX_HOME_BLOCKS)}


def _approvals(pending: Sequence[PendingApproval]) -> list[Block]:
    if not pending:
        return [header("Approvals"), context("Nothing is waiting for approval.")]
    blocks: list[Block] = [header(f"Approvals · {len(pending)} waiting")]
    for item in pending[:MAX_APPROVALS_SHOWN]:
        blocks += [*approval_blocks(item), DividerBlock()]
    hidden = len(pending) - MAX_APPROVALS_SHOWN
    if hidden > 0:
        blocks.append(context(f"_and {hidden} more in the report channel_"))
    return blocks
