"""LinkedIn steps as tasks for a person: LinkedIn forbids automated outreach."""

from __future__ import annotations

from cam.core.ports import SocialTask


class LinkedInTaskPoster:
    """Hand LinkedIn steps to a person through Slack.

    The task card is a notification the engine writes with the task
    (`outreach.task_posting.open_task`) and the notifier delivers: nothing outside the
    database is left to do here.
    """

    name = "linkedin-tasks"
    configured = True

    def create_task(self, task: SocialTask) -> None:
        """Accept the step: its queued task card is what reaches the person."""
