"""The stand-in an absence notice names, on its reply card: "Add Jonas Keller as a lead", or
who added them and when. The name is the prospect's text: escaped, and plain text on the
button."""

from __future__ import annotations

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement

from bot.blocks.approval import who
from bot.blocks.common import clip, context, escape, section, slack_date
from bot.ids import ActionId, BlockId
from bot.payloads import CardAction, CardRef
from bot.signing import Signer
from cam.core.models import Reply
from cam.leads.referrals import Referred

# Slack's limit on a button's text.
MAX_BUTTON_TEXT = 75


def referral_offered(reply: Reply, referred: Referred | None) -> tuple[CardAction, ...]:
    """Add as a lead, while the reply names a stand-in not added yet."""
    return (CardAction.add_referral,) if reply.referral_email and referred is None else ()


def referral_blocks(reply: Reply, referred: Referred | None, signer: Signer) -> list[Block]:
    """Whom the notice names instead, and the button that adds them or who did."""
    if not reply.referral_email:
        return []
    named = reply.referral_name or ""
    whom = f"{named} <{reply.referral_email}>" if named else reply.referral_email
    blocks: list[Block] = [context(f"Named instead: {escape(whom)}")]
    if referred is not None:
        by, when = who(referred.by), slack_date(referred.at)
        line = f":bust_in_silhouette: *{escape(referred.name)}* added as a lead by {by} {when}"
        return [*blocks, section(line)]
    value = signer.sign(CardRef(reply_id=reply.id, actions=(CardAction.add_referral,)))
    button = ButtonElement(
        text=clip(f"Add {named or reply.referral_email} as a lead", MAX_BUTTON_TEXT),
        action_id=ActionId.add_referral,
        value=value,
    )
    return [*blocks, ActionsBlock(block_id=BlockId.referral_actions, elements=[button])]
