"""`cam check` as a process against real mail servers and the CRM stand-in: nothing is sent."""

from __future__ import annotations

import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from tests.e2e.go_live_env import environment_of
from tests.gateways.crm_server import TOKEN, running_fake_crm
from tests.gateways.imap_server import ImapServer
from tests.gateways.smtp_server import SmtpServer
from tests.runtime.processes import clean_env

CAM = str(Path(sys.executable).with_name("cam"))


def cam_check(cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CAM, "check"],
        env=clean_env(COLUMNS="200", XDG_DATA_HOME=str(cwd), **env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_ready_when_every_server_answers(
    tmp_path: Path, smtp_server: SmtpServer, imap_server: ImapServer
) -> None:
    with contextmanager(running_fake_crm)() as crm:
        env = environment_of(smtp_server.settings()) | environment_of(imap_server.settings())
        env |= {"CAM_HUBSPOT_TOKEN": TOKEN, "CAM_HUBSPOT_BASE_URL": crm.url}
        done = cam_check(tmp_path, env)
        reads = crm.of("GET", "/crm/v3/objects/contacts")
        writes = [r for r in crm.requests if r.method != "GET"]
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Ready:" in done.stdout and "missing" not in done.stdout
    assert "(no mail sent)" in done.stdout and "opened INBOX" in done.stdout
    assert smtp_server.handler.messages == []
    assert len(reads) == 1 and writes == []


def test_each_failure_is_listed_and_the_exit_code_is_1(
    tmp_path: Path, smtp_server: SmtpServer, imap_server: ImapServer
) -> None:
    env = environment_of(smtp_server.settings(smtp_password="wrong-password"))
    env |= environment_of(imap_server.settings(CAM_IMAP_FOLDER="No Such Folder"))
    env |= {"CAM_HUBSPOT_TOKEN": "pat-revoked", "CAM_POSTAL_ADDRESS": ""}
    env["CAM_HUBSPOT_BASE_URL"] = "http://127.0.0.1:9"  # refuses at once
    done = cam_check(tmp_path, env)
    assert done.returncode == 1
    missing = [line for line in done.stdout.splitlines() if line.strip().startswith("missing")]
    named = " ".join(missing)
    for what in ("Postal address", "Sending mail", "Reading replies", "CRM"):
        assert what in named, (what, done.stdout)
    assert "login" in done.stdout and "No Such Folder" in done.stdout
    assert "4 to fix before going live" in done.stdout
    assert "wrong-password" not in done.stdout + done.stderr
    assert smtp_server.handler.messages == []
