"""How `cam-bot` logs: one format to stderr, chatty libraries kept to warnings."""

from __future__ import annotations

import logging
import sys


def configure_logging(level: str) -> None:
    """Log to stderr at `level`; libraries stay quiet below WARNING.

    APScheduler's INFO lines ("Adding job tentatively", "Added job") say nothing a user
    could act on.
    """
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("slack_sdk", "slack_bolt", "urllib3", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
