"""A sender of the three-mailbox team, as a deployed process runs it: killed by the fault tests.

Wired from `Settings` (`cam.bootstrap.Runtime`: the database and one SMTP gateway per mailbox
of the mailboxes file, passwords from the environment), its clock starts at `clock_start` and
runs at real speed; it stops when a pass sends nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from cam.core.settings import Settings
from tests.faults.outbox import send_until_idle
from tests.gateways.mailbox_team import team_config, use_env


def run(settings: Settings, env: Mapping[str, str], per_domain: int, clock_start: datetime) -> None:
    """Send until a pass sends nothing (every cap full, or nothing left)."""
    use_env(env)
    send_until_idle(team_config(settings, per_domain=per_domain), settings, clock_start, "team")
