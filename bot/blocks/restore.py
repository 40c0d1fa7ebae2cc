"""The confirm step of `/cam restore`: what the suppression rests on, and what restoring does.

Shown only to the approver who asked. A person's own opt-out gets no buttons, only why it
stands; anything else gets Restore, Restore and resume the sequence, or Cancel, with what to
check first where a rule read the reply.
"""

from __future__ import annotations

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement

from bot.blocks.approval import who
from bot.blocks.common import SlackPost, context, escape, fallback, section, slack_date, to_dicts
from bot.ids import ActionId, BlockId
from bot.payloads import RestoreRef
from cam.replies.ledger_row import LedgerRow
from cam.replies.suppressions import caution, refusal


def restore_confirm_post(row: LedgerRow, reason: str) -> SlackPost:
    """Ask the approver to confirm restoring `row` for `reason`, or say why it stands."""
    blocks: list[Block] = [section(_ledger_line(row))]
    refused = refusal(row.source)
    if refused is not None:
        blocks.append(section(f":no_entry: *Not restorable*: {escape(refused)}."))
        return SlackPost(text=fallback(f"{row.value} stays suppressed"), blocks=to_dicts(blocks))
    if (check := caution(row.source)) is not None:
        blocks.append(section(f":warning: {escape(check[0].upper() + check[1:])}."))
    value = RestoreRef(email=row.value, reason=reason).dump()
    blocks += [
        context(f"Reason you gave: {escape(reason)}"),
        ActionsBlock(
            block_id=BlockId.restore_actions,
            elements=[
                ButtonElement(
                    text="Restore", action_id=ActionId.restore_confirm, value=value, style="primary"
                ),
                ButtonElement(
                    text="Restore and resume sequence",
                    action_id=ActionId.restore_resume,
                    value=value,
                ),
                ButtonElement(text="Cancel", action_id=ActionId.restore_cancel, value=value),
            ],
        ),
    ]
    return SlackPost(text=fallback(f"Restore {row.value}?"), blocks=to_dicts(blocks))


def _ledger_line(row: LedgerRow) -> str:
    by = f", decided by {who(row.decided_by)}" if row.decided_by else ""
    reply = f", reply #{row.reply_id}" if row.reply_id else ""
    evidence = escape(row.evidence or row.reason or "no evidence recorded")
    return (
        f"*{escape(row.value)}* is suppressed since {slack_date(row.created_at)}: "
        f"*{row.source.value.replace('_', ' ')}*{by}{reply}\n> {evidence}"
    )
