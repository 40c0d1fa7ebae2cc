"""The sender the crash test kills: send passes on a live outbox until nothing more goes out.

It is wired from `Settings` as a deployed process is (`cam.bootstrap.Runtime`: the database
and the real SMTP gateway), its clock starts at `clock_start` and runs at real speed, and it
stops when a pass sends nothing. The test runs it in a forked process and SIGKILLs it.
"""

from __future__ import annotations

import os
import random
import time
from datetime import datetime

from cam.bootstrap import Runtime
from cam.core.settings import Settings
from cam.cycle import run_send_pass
from tests.faults.outbox import Caps, live_config, moving_clock


def run(settings: Settings, caps: Caps, clock_start: datetime) -> None:
    """Send until a pass sends nothing (every cap full, or nothing left)."""
    clock = moving_clock(clock_start, time.monotonic)
    config = live_config(caps, settings)
    with Runtime(settings) as runtime:
        while True:
            report = run_send_pass(
                config,
                session_factory=runtime.session_factory,
                gateways=runtime.gateways,
                clock=clock,
                rng=random.Random(),
                instance=f"worker-{os.getpid()}",
            )
            if report.outreach_sent == 0:
                return
