"""A DATABASE_URL's password never shows, wherever it sits; a bad port is one line, exit 2."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

SECRET = "s3cr3tPW"
BIN = Path(sys.executable).parent
SLACK = {
    "SLACK_BOT_TOKEN": "xoxb-test-token",
    "SLACK_SIGNING_SECRET": "signing",
    "SLACK_API_URL": "http://127.0.0.1:9/api/",
    "CAM_REPORT_CHANNEL": "C0REPORTS",
    "CAM_APPROVERS": "UAPPROVER1",
}
# Port 1 on loopback refuses at once: the error path, with the URL in every message.
IN_QUERY = f"postgresql://cam@127.0.0.1:1/cam?sslmode=disable&password={SECRET}"
UNESCAPED_AT = f"postgresql://cam:ab@{SECRET}@127.0.0.1:1/cam"
BAD_PORT = f"postgresql://cam:{SECRET}@127.0.0.1:fivefour/cam"


def environment(tmp_path: Path, url: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("CAM_", "SLACK_"))}
    port = str(free_port())
    return keep | SLACK | {"DATABASE_URL": url, "PORT": port, "XDG_DATA_HOME": str(tmp_path)}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cam(tmp_path: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "cam"), *args],
        env=environment(tmp_path, url),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


def cam_bot(tmp_path: Path, url: str) -> tuple[int | None, str]:
    """Run `cam-bot` until it exits or says it listens (then stop it); return code and output."""
    process = subprocess.Popen(
        [str(BIN / "cam-bot")],
        env=environment(tmp_path, url),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout or ()), daemon=True)
    reader.start()
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        if any("listening on port" in line for line in list(lines)):
            process.send_signal(signal.SIGTERM)
            break
        time.sleep(0.1)
    code = process.wait(timeout=60)
    reader.join(timeout=10)
    return code, "".join(lines)


@pytest.mark.parametrize("url", [IN_QUERY, UNESCAPED_AT], ids=["query", "unescaped-at"])
def test_cam_limits_never_prints_the_password(tmp_path: Path, url: str) -> None:
    done = cam(tmp_path, url, "limits")
    shown = done.stdout + done.stderr
    assert done.returncode != 0 and "Traceback" not in shown
    assert SECRET not in shown and SECRET[2:] not in shown


@pytest.mark.parametrize(
    ("url", "starts"), [(IN_QUERY, True), (UNESCAPED_AT, False)], ids=["query", "unescaped-at"]
)
def test_cam_bot_never_prints_the_password(tmp_path: Path, url: str, starts: bool) -> None:
    code, shown = cam_bot(tmp_path, url)
    assert ("listening on port" in shown) is starts and "Traceback" not in shown
    assert starts or code == 2
    assert SECRET not in shown and SECRET[2:] not in shown


def test_an_unescaped_at_says_how_to_write_it(tmp_path: Path) -> None:
    done = cam(tmp_path, UNESCAPED_AT, "limits")
    assert done.returncode == 2 and "%40" in done.stderr


def test_a_port_that_is_not_a_number_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = cam(tmp_path, BAD_PORT, "limits")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "DATABASE_URL" in done.stderr and SECRET not in done.stderr
    code, shown = cam_bot(tmp_path, BAD_PORT)
    assert code == 2 and "Traceback" not in shown and SECRET not in shown
    problems = [line for line in shown.splitlines() if "DATABASE_URL" in line]
    assert len(problems) == 1
