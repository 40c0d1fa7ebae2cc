"""A sender of the three-mailbox team, as a deployed process runs it: killed by the fault tests.

Wired from `Settings` (`cam.bootstrap.Runtime`: the database and one SMTP gateway per mailbox
of the mailboxes file, passwords from the environment), its clock starts at `clock_start` and
runs at real speed; it stops when a pass sends nothing.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Mapping
from datetime import datetime

from cam.bootstrap import Runtime
from cam.core.settings import Settings
from cam.cycle import run_send_pass
from tests.faults.outbox import moving_clock
from tests.gateways.mailbox_team import team_config, use_env


def run(settings: Settings, env: Mapping[str, str], per_domain: int, clock_start: datetime) -> None:
    """Send until a pass sends nothing (every cap full, or nothing left)."""
    use_env(env)
    clock = moving_clock(clock_start, time.monotonic)
    config = team_config(settings, per_domain=per_domain)
    with Runtime(settings) as runtime:
        while True:
            report = run_send_pass(
                config,
                session_factory=runtime.session_factory,
                gateways=runtime.gateways,
                clock=clock,
                rng=random.Random(),
                instance=f"team-{os.getpid()}",
            )
            if report.outreach_sent == 0:
                return
