"""Action and block ids shared by the block builders and the listeners."""

from __future__ import annotations

import enum


class ActionId(enum.StrEnum):
    approve = "cam_approve"
    reject = "cam_reject"
    task_done = "cam_task_done"
    task_skip = "cam_task_skip"


class BlockId(enum.StrEnum):
    approval_actions = "cam_approval_actions"
    task_actions = "cam_task_actions"
