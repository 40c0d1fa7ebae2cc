"""`cam` starts without the engine's heavy parts: the cycle, the reply rules (hundreds of
regular expressions compiled on import) and the reply model load in the commands that use
them. Every command pays for what `cam.cli` imports, and so does each test that runs `cam` as
a process; one type-only import of the demo's run once doubled that (0.9 s to 1.8 s of CPU).
"""

from __future__ import annotations

import subprocess
import sys

from tests.runtime.processes import clean_env

HEAVY = {"cam.cycle", "cam.replies.rules", "cam.replies.classifier", "numpy", "alembic"}


def test_the_cam_command_leaves_the_cycle_and_the_reply_model_unloaded() -> None:
    shown = "import sys, cam.cli; print(' '.join(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", shown],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "cam.cli" in done.stdout.split()
    assert HEAVY & set(done.stdout.split()) == set()
