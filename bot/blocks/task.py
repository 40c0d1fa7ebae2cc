"""A LinkedIn step for a person: the profile, a suggested message, and Done / Skip."""

from __future__ import annotations

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, Option, StaticSelectElement

from bot.blocks.approval import owner_line, who
from bot.blocks.common import (
    SlackPost,
    clip,
    context,
    escape,
    fallback,
    header,
    link,
    section,
    slack_date,
    to_dicts,
)
from bot.ids import ActionId, BlockId
from bot.payloads import TaskRef
from cam.core.models import Lead, ManualTask, TaskStatus
from cam.leads.links import BadLink, linkedin_profile

MAX_MESSAGE = 2500
SKIP_REASONS = {
    "no_profile": "No LinkedIn profile found",
    "in_touch": "Already in touch",
    "not_a_fit": "Not a fit after all",
}


def task_post(task: ManualTask, lead: Lead, *, owner: str = "") -> SlackPost:
    """Build the task message in its current form (buttons only while open).

    `owner`, the Slack user ID owning the lead's mailbox, is mentioned: the task is theirs.
    """
    name = lead.full_name or lead.email
    title = f"LinkedIn: contact {name}"
    blocks: list[Block] = [header(title)]
    facts = [f"*{escape(name)}*"]
    if lead.title or lead.company:
        facts.append(escape(" at ".join(part for part in (lead.title, lead.company) if part)))
    facts.append(_profile_line(lead.linkedin_url))
    blocks += [section("\n".join(facts)), *owner_line(owner)]
    message = clip(task.suggested_message.strip() or "(no suggested message)", MAX_MESSAGE)
    blocks.append(section(f"*Suggested message*\n```{escape(message)}```"))
    if task.status is TaskStatus.open:
        blocks.append(context("Send it by hand, then press Done; Skip if it does not fit."))
        value = TaskRef(task_id=task.id).dump()
        blocks.append(
            ActionsBlock(
                block_id=f"{BlockId.task_actions}:{task.id}",
                elements=[
                    ButtonElement(
                        text="Done", action_id=ActionId.task_done, value=value, style="primary"
                    ),
                    StaticSelectElement(
                        placeholder="Skip because…",
                        action_id=ActionId.task_skip,
                        options=[
                            Option(text=label, value=TaskRef(task_id=task.id, reason=key).dump())
                            for key, label in SKIP_REASONS.items()
                        ],
                    ),
                ],
            )
        )
    else:
        icon = ":white_check_mark:" if task.status is TaskStatus.done else ":fast_forward:"
        when = f" {slack_date(task.decided_at)}" if task.decided_at else ""
        status = f"{icon} *{task.status.value.capitalize()}* by {who(task.decided_by)}{when}"
        if task.note:
            status += f": {escape(clip(task.note, 500))}"
        blocks.append(section(status))
    return SlackPost(text=fallback(f"{title} ({task.status.value})"), blocks=to_dicts(blocks))


def _profile_line(url: str | None) -> str:
    """Link the profile only when it is an https LinkedIn link, checked again here."""
    if not url:
        return "_No profile link: search for them on LinkedIn._"
    try:
        return link(linkedin_profile(url), "Open the LinkedIn profile")
    except BadLink:
        return "_The profile link on file is not a LinkedIn link: search for them on LinkedIn._"
