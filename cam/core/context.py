"""What every phase of a cycle is handed: config, gateways, clock, randomness, report."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from cam.core.config import CAMCycleConfig
from cam.core.db import SessionFactory
from cam.core.enums import SendMode
from cam.core.ports import Gateways
from cam.core.report import CAMCycleReport


@dataclass
class CycleContext:
    config: CAMCycleConfig
    session_factory: SessionFactory
    gateways: Gateways
    clock: Callable[[], datetime]
    rng: random.Random
    report: CAMCycleReport
    cycle_id: int | None = None
    # Names who claims outbox rows, so a crashed claim can be told from a live one.
    instance: str = "cam"
    # The stored dry-run switch when the run began: switching it on later stops a live run.
    mode_at_start: SendMode | None = None

    @property
    def dry_run(self) -> bool:
        return self.config.dry_run

    @property
    def mode(self) -> SendMode:
        return self.config.mode
