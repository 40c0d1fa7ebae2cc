"""The card of a reply a person wrote: the lead, their words, the class and why, the decision.

Interested replies carry their escalation's Approve / Reject (approvers only); any other class
carries the team's buttons: Interested, Not interested, Unsubscribe, Snooze until a date. Once
someone decides, the card says who decided what and when. Every prospect text is escaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, DatePickerElement

from bot.blocks.approval import PendingApproval, approval_actions, owner_line, who
from bot.blocks.common import (
    SlackPost,
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
from bot.payloads import ReplyRef
from cam.core.models import Lead, Reply, ReplyClass, ReplyLabel, TriageChoice
from cam.replies.excerpt import clean_excerpt

# GDPR Art. 12(3): a data subject's request is answered within one month.
DATA_REQUEST_DAYS = 30
DECIDED = {
    TriageChoice.interested: ":fire: Marked *interested*",
    TriageChoice.not_interested: ":no_entry_sign: Marked *not interested*: lead closed",
    TriageChoice.unsubscribe: ":mute: *Unsubscribed* for good",
    TriageChoice.snooze: ":zzz: *Snoozed*",
}


@dataclass(frozen=True)
class ReplyCard:
    """A reply with what its card shows, loaded once for rendering."""

    reply: Reply
    lead: Lead | None = None
    label: ReplyLabel | None = None
    approval: PendingApproval | None = None
    # The Slack user ID owning the lead's mailbox, mentioned on the card ("" for none).
    owner: str = ""


def reply_card_post(card: ReplyCard) -> SlackPost:
    """Build the card in its current form."""
    return SlackPost(text=fallback(_summary(card)), blocks=to_dicts(reply_card_blocks(card)))


def reply_card_blocks(card: ReplyCard) -> list[Block]:
    reply = card.reply
    blocks: list[Block] = [header(_title(card)), *_lead_blocks(card.lead), *owner_line(card.owner)]
    subject = escape(reply.subject) if reply.subject else "(no subject)"
    quoted = "\n".join(f"> {escape(line)}" for line in _excerpt(reply).splitlines())
    blocks.append(
        section(
            f"*{escape(reply.from_address or 'unknown sender')}* wrote "
            f"{slack_date(reply.received_at)}: {subject}\n{quoted}"
        )
    )
    why = escape(reply.explanation or reply.matched_rule or "no reason recorded")
    blocks.append(context(f"Classified *{reply.classification.value}*: {why}"))
    if reply.explanation and reply.matched_rule:
        blocks.append(context(f"details: {escape(reply.matched_rule)}"))
    if reply.referral_email:
        whom = f"{reply.referral_name} <{reply.referral_email}>" if reply.referral_name else ""
        blocks.append(context(f"Named instead: {escape(whom or reply.referral_email)}"))
    if reply.data_request:
        due = reply.received_at + timedelta(days=DATA_REQUEST_DAYS)
        blocks.append(
            section(
                ":warning: *Data request* (GDPR Art. 14/15: answer within a month), "
                f"by {slack_date(due, '{date_short_pretty}')}"
            )
        )
    return blocks + _decision_blocks(card)


def _decision_blocks(card: ReplyCard) -> list[Block]:
    label, approval = card.label, card.approval
    blocks: list[Block] = []
    if label is not None:
        until = f" until {label.snooze_until.isoformat()}" if label.snooze_until else ""
        blocks.append(
            section(
                f"{DECIDED[label.choice]}{until} by {who(label.decided_by)} "
                f"{slack_date(label.decided_at)}"
            )
        )
    if approval is not None:
        return blocks + approval_actions(approval)
    if label is None:
        blocks.append(_triage_buttons(card))
    return blocks


def _triage_buttons(card: ReplyCard) -> ActionsBlock:
    reply_id = card.reply.id
    value = ReplyRef(reply_id=reply_id).dump()
    elements: list[ButtonElement | DatePickerElement] = []
    if card.lead is not None:
        elements.append(
            ButtonElement(
                text="Interested",
                action_id=ActionId.triage_interested,
                value=value,
                style="primary",
            )
        )
    elements += [
        ButtonElement(text="Not interested", action_id=ActionId.triage_not_interested, value=value),
        ButtonElement(
            text="Unsubscribe",
            action_id=ActionId.triage_unsubscribe,
            value=value,
            style="danger",
            confirm=confirm(
                "Unsubscribe?",
                f"{card.reply.from_address} will never be contacted again.",
                button="Unsubscribe",
            ),
        ),
    ]
    if card.lead is not None:
        elements.append(
            DatePickerElement(action_id=ActionId.triage_snooze, placeholder="Snooze until…")
        )
    return ActionsBlock(block_id=f"{BlockId.triage_actions}:{reply_id}", elements=elements)


def _title(card: ReplyCard) -> str:
    lead = card.lead
    if lead is None:
        return f"Reply from {card.reply.from_address or 'an unknown sender'}"
    name = lead.full_name or lead.email
    icon = ":fire: " if card.reply.classification is ReplyClass.interested else ""
    return f"{icon}Reply from {name}" + (f" ({lead.company})" if lead.company else "")


def _lead_blocks(lead: Lead | None) -> list[Block]:
    if lead is None:
        return [context("Not matched to a lead: no sequence to stop or resume.")]
    facts = [f"*{escape(lead.full_name or lead.email)}*"]
    if lead.title or lead.company:
        facts.append(escape(" at ".join(part for part in (lead.title, lead.company) if part)))
    reasons = ", ".join(escape(reason) for reason in lead.score_reasons) or "no reasons"
    facts.append(f"Score *{lead.score}*: {reasons}")
    return [section("\n".join(facts))]


def _excerpt(reply: Reply) -> str:
    return clean_excerpt(reply.body_excerpt) or "(nothing but quoted text)"


def _summary(card: ReplyCard) -> str:
    return f"{_title(card)}: {card.reply.classification.value}"
