"""Run `cam-bot` as a real process with a chosen environment, as a platform would."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

CAM_BOT = str(Path(sys.executable).with_name("cam-bot"))


def clean_env(**values: str) -> dict[str, str]:
    """Only what the process needs: no settings leak in from the environment running tests.

    PYTHONPATH is kept (it points the process at the code under test), and so are HOME and the
    XDG folders, which the suite points at a throwaway folder (tests/conftest.py), and a moved
    clock (libfaketime's variables): the process must sign and check requests on the test's
    clock."""
    names: tuple[str, ...] = (
        "PYTHONPATH",
        "HOME",
        "XDG_DATA_HOME",
        "XDG_CONFIG_HOME",
        "XDG_CACHE_HOME",
    )
    names += ("LD_PRELOAD", "FAKETIME", "FAKETIME_DONT_RESET")
    kept = {k: os.environ[k] for k in names if k in os.environ}
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", **kept, **values}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_bot(env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen([CAM_BOT], env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)


def wait_healthy(port: int, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"cam-bot on port {port} did not become healthy")


def stop(process: subprocess.Popen[bytes]) -> int:
    """Stop as a platform does (SIGTERM), killing only if it hangs; return the exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
    return process.wait()
