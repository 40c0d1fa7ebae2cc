"""What a person is told after clicking on an approval: one entry per `Outcome`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.blocks.approval import who
from bot.blocks.common import escape, slack_date
from cam.escalation.outcomes import REFUSALS, Decision, Outcome


@dataclass(frozen=True)
class Answer:
    """Whether the approval's messages show something new, and what the clicker hears.

    `told` returns None when the updated message says it all.
    """

    refresh: bool
    told: Callable[[Decision], str | None]


def _silent(_: Decision) -> None:
    return None


def _refused(decision: Decision) -> str:
    return f"Not done: {REFUSALS[decision.outcome]}."


def _already(decision: Decision) -> str:
    when = f" {slack_date(decision.decided_at)}" if decision.decided_at else ""
    return f"Already {decision.status.value} by {who(decision.decided_by)}{when}."


def _sync_failed(decision: Decision) -> str:
    return (
        f"Approved, but the CRM sync failed: {escape(decision.crm_error or 'no answer')}. "
        "Press *Retry CRM sync* to try again."
    )


ANSWERS: dict[Outcome, Answer] = {
    Outcome.approved: Answer(refresh=True, told=_silent),
    Outcome.approved_and_synced: Answer(refresh=True, told=_silent),
    Outcome.approved_sync_failed: Answer(refresh=True, told=_sync_failed),
    Outcome.rejected: Answer(refresh=True, told=_silent),
    Outcome.already_decided: Answer(refresh=False, told=_already),
    Outcome.not_an_approver: Answer(refresh=False, told=_refused),
    Outcome.same_approver: Answer(refresh=False, told=_refused),
    Outcome.withdrawn: Answer(refresh=False, told=_refused),
    # The request expired before the click: its message says so, and how to ask again.
    Outcome.expired: Answer(
        refresh=True, told=lambda _: "This request has expired: `/cam live` asks again."
    ),
}
