"""CAM Orchestrator's engine: the daily client-acquisition cycle, with no Slack in it."""

from cam.core.config import CAMCycleConfig
from cam.core.report import CAMCycleReport
from cam.cycle import run_daily_cam_cycle

__all__ = ["CAMCycleConfig", "CAMCycleReport", "run_daily_cam_cycle"]
