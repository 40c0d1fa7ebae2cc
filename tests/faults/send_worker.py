"""The sender the crash test kills: send passes on a live outbox until nothing more goes out.

It is wired from `Settings` as a deployed process is (`cam.bootstrap.Runtime`: the database
and the real SMTP gateway), its clock starts at `clock_start` and runs at real speed, and it
stops when a pass sends nothing. The test runs it in a forked process and SIGKILLs it.
"""

from __future__ import annotations

from datetime import datetime

from cam.core.settings import Settings
from tests.faults.outbox import Caps, live_config, send_until_idle


def run(settings: Settings, caps: Caps, clock_start: datetime) -> None:
    """Send until a pass sends nothing (every cap full, or nothing left)."""
    send_until_idle(live_config(caps, settings), settings, clock_start, "worker")
