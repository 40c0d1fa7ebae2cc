"""Approval messages: a hot lead to escalate, or going live; pending with buttons, or decided."""

from __future__ import annotations

import re
from dataclasses import dataclass

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement

from bot.blocks.common import (
    SlackPost,
    clip,
    confirm,
    context,
    escape,
    fallback,
    header,
    section,
    slack_date,
    to_dicts,
)
from bot.ids import ActionId, BlockId
from bot.payloads import ApprovalRef
from cam.core.models import Approval, ApprovalKind, ApprovalStatus, Lead, Reply

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
MAX_REPLY_QUOTE = 1200
DECIDED_ICON = {
    ApprovalStatus.approved: ":white_check_mark:",
    ApprovalStatus.rejected: ":no_entry_sign:",
    ApprovalStatus.expired: ":hourglass:",
}


@dataclass(frozen=True)
class PendingApproval:
    """An approval with what it is about, loaded once for rendering."""

    approval: Approval
    lead: Lead | None = None
    reply: Reply | None = None
    # The Slack user ID owning the lead's mailbox, mentioned on the card ("" for none).
    owner: str = ""


def who(actor: str | None) -> str:
    """Mention a Slack user, or name the engine when it acted itself."""
    if actor is None:
        return "nobody"
    return f"<@{actor}>" if _USER_ID.match(actor) else escape(actor)


def owner_line(owner: str) -> list[Block]:
    """Mention the lead's owner, when their mailbox names one."""
    return [context(f"Owner: {who(owner)}")] if owner else []


def pending_line(item: PendingApproval) -> str:
    """One line naming what waits for approval (report, status, home)."""
    approval = item.approval
    if approval.kind is ApprovalKind.go_live:
        return f"Start sending emails for real, asked by {who(approval.requested_by)}"
    return f"Escalate {_lead_name(item.lead)}"


def approval_post(item: PendingApproval) -> SlackPost:
    """Build the approval message in its current form (buttons only while pending)."""
    title = _title(item)
    return SlackPost(
        text=fallback(f"{title} {_status_words(item.approval)}"),
        blocks=to_dicts(approval_blocks(item)),
    )


def approval_blocks(item: PendingApproval, *, with_header: bool = True) -> list[Block]:
    """Blocks of one approval, for a message or the App Home."""
    approval = item.approval
    blocks: list[Block] = [header(_title(item))] if with_header else []
    if approval.kind is ApprovalKind.go_live:
        blocks.append(
            section(
                f"{who(approval.requested_by)} asks to start sending emails for real. Everything "
                "sending needs passed the check when they asked (`/cam check` shows the list). "
                "Once approved, emails go out within the daily limits; `/cam dry` stops them at "
                "once. A second approver, not the one who asked, decides."
            )
        )
    else:
        blocks += _lead_blocks(item)
    return blocks + approval_actions(item)


def approval_actions(item: PendingApproval) -> list[Block]:
    """The approval's buttons while pending, else its outcome (for a reply card too)."""
    approval = item.approval
    if approval.status is ApprovalStatus.pending:
        blocks: list[Block] = []
        if approval.expires_at is not None:
            blocks.append(context(f"Expires {slack_date(approval.expires_at)}"))
        return [*blocks, _buttons(item)]
    blocks = [section(_status_text(approval))]
    if _sync_failed(approval):
        blocks.append(_retry_button(approval))
    return blocks


def _sync_failed(approval: Approval) -> bool:
    return (
        approval.kind is ApprovalKind.escalate_lead
        and approval.status is ApprovalStatus.approved
        and approval.crm_synced_at is None
        and approval.crm_error is not None
    )


def _retry_button(approval: Approval) -> ActionsBlock:
    return ActionsBlock(
        block_id=f"{BlockId.approval_actions}:{approval.id}",
        elements=[
            ButtonElement(
                text="Retry CRM sync",
                action_id=ActionId.retry_crm_sync,
                value=ApprovalRef(approval_id=approval.id).dump(),
            )
        ],
    )


def _title(item: PendingApproval) -> str:
    if item.approval.kind is ApprovalKind.go_live:
        return "Start sending emails for real?"
    return f"Hot lead: {_lead_name(item.lead, mrkdwn=False)}"


def _lead_name(lead: Lead | None, *, mrkdwn: bool = True) -> str:
    if lead is None:
        return "a lead that no longer exists"
    name = lead.full_name or lead.email
    label = f"{name} ({lead.company})" if lead.company else name
    return escape(label) if mrkdwn else label


def _lead_blocks(item: PendingApproval) -> list[Block]:
    lead = item.lead
    if lead is None:
        return [section("The lead of this escalation no longer exists.")]
    facts = [f"*{escape(lead.full_name or lead.email)}*"]
    if lead.title or lead.company:
        facts.append(escape(" at ".join(part for part in (lead.title, lead.company) if part)))
    facts.append(escape(lead.email))
    blocks: list[Block] = [section("\n".join(facts)), *owner_line(item.owner)]
    reasons = "\n".join(f"• {escape(reason)}" for reason in lead.score_reasons) or "• no reasons"
    blocks.append(section(f"*Score {lead.score}*\n{reasons}"))
    if item.reply is not None:
        reply = item.reply
        quote = clip(reply.body_excerpt.strip() or "(empty reply)", MAX_REPLY_QUOTE)
        quoted = "\n".join(f"> {escape(line)}" for line in quote.splitlines())
        subject = escape(reply.subject) if reply.subject else "(no subject)"
        blocks.append(
            section(f"*Their reply* ({escape(reply.classification)}): {subject}\n{quoted}")
        )
    return blocks


def _buttons(item: PendingApproval) -> ActionsBlock:
    approval = item.approval
    value = ApprovalRef(approval_id=approval.id).dump()
    if approval.kind is ApprovalKind.go_live:
        ask = "Start sending emails for real? They go out from now on, within the daily limits."
    else:
        ask = f"Escalate {_lead_name(item.lead, mrkdwn=False)} to the CRM?"
    return ActionsBlock(
        block_id=f"{BlockId.approval_actions}:{approval.id}",
        elements=[
            ButtonElement(
                text="Approve",
                action_id=ActionId.approve,
                value=value,
                style="primary",
                confirm=confirm("Approve?", ask, button="Approve"),
            ),
            ButtonElement(
                text="Reject",
                action_id=ActionId.reject,
                value=value,
                style="danger",
                confirm=confirm("Reject?", "This cannot be undone.", button="Reject"),
            ),
        ],
    )


def _status_words(approval: Approval) -> str:
    """The status in plain words, for the fallback text (escaped there)."""
    if approval.status is ApprovalStatus.pending:
        return "An approver's decision is needed."
    return f"{approval.status.value.capitalize()}."


def _status_text(approval: Approval) -> str:
    if approval.status is ApprovalStatus.pending:
        return "Waiting for an approver's decision."
    icon = DECIDED_ICON[approval.status]
    when = f" {slack_date(approval.decided_at)}" if approval.decided_at else ""
    if approval.status is ApprovalStatus.expired:
        return f"{icon} *Expired*{when}"
    text = f"{icon} *{approval.status.value.capitalize()}* by {who(approval.decided_by)}{when}"
    if approval.note:  # why it was withdrawn, when it was not an approver's decision
        text += f" ({escape(clip(approval.note, 500))})"
    if approval.kind is ApprovalKind.escalate_lead and approval.status is ApprovalStatus.approved:
        if approval.crm_synced_at is not None:
            text += " · synced to the CRM"
        elif approval.crm_error:
            text += f"\n:warning: CRM sync failed: {escape(clip(approval.crm_error, 500))}"
    return text
