"""A mistake in the mailboxes file stops every command, and `cam-bot`, in one line: exit 2."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from cam.core.settings import DATA_DIR
from tests.cli.helpers import cam, write_csv
from tests.runtime.processes import CAM_BOT, clean_env, free_port

EXAMPLE = (DATA_DIR / "mailboxes.example.toml").read_text()
PASSWORDS = {
    "MAYA_SMTP_PASSWORD": "maya-smtp-secret",
    "MAYA_IMAP_PASSWORD": "maya-imap-secret",
    "JONAS_SMTP_PASSWORD": "jonas-smtp-secret",
    "JONAS_IMAP_PASSWORD": "jonas-imap-secret",
}


def _line(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


# (the change to the example file, the command, what the one line must say)
MISTAKES = {
    "password variable": (
        ('password_env = "JONAS_IMAP_PASSWORD"', 'password_env = "JONAS_IMAP_PASS"'),
        ["limits"],
        "JONAS_IMAP_PASS (its IMAP password) is not set",
    ),
    "misspelt key": (
        ("daily_cap = 20", "daly_cap = 20"),
        ["run"],
        "unknown key 'daly_cap': did you mean 'daily_cap'?",
    ),
    "bad TOML": (
        ('key = "jonas"', 'key "jonas"'),
        ["leads", "import", "leads.csv"],
        "not valid TOML",
    ),
    "address with a tag": (
        ("Jonas Berg <jonas@acme.example>", "Maya <Maya+team@ACME.example.>"),
        ["digest"],
        "mailbox 'jonas' has the same address as 'maya' (maya@acme.example)",
    ),
    "shared SMTP login": (
        (
            'username = "jonas@acme.example"\npassword_env = "JONAS_SMTP',
            'username = "maya@acme.example"\npassword_env = "JONAS_SMTP',
        ),
        ["check"],
        "the same SMTP login as 'maya'",
    ),
}


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_each_mistake_is_one_line_with_file_line_and_fix(
    tmp_path: Path, mistake: str, migrated_sqlite: Callable[[Path], str]
) -> None:
    (old, new), command, complaint = MISTAKES[mistake]
    assert old in EXAMPLE
    text = EXAMPLE.replace(old, new, 1)
    (tmp_path / "mailboxes.toml").write_text(text)
    write_csv(tmp_path / "leads.csv", [["email"], ["ann@acme.com"]])
    url = migrated_sqlite(tmp_path / "cam.db")
    env = {"DATABASE_URL": url, "CAM_MAILBOXES_FILE": "mailboxes.toml"} | PASSWORDS
    done = cam(tmp_path, *command, **env)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    [error] = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert complaint in error
    assert f"mailboxes.toml, line {text[: text.index(new)].count(chr(10)) + 1}:" in error
    assert not any(secret in done.stdout + done.stderr for secret in PASSWORDS.values())


def test_a_missing_file_is_noticed_by_every_command(tmp_path: Path) -> None:
    for command in (["report"], ["check"]):
        done = cam(tmp_path, *command, CAM_MAILBOXES_FILE="team/mailboxes.toml")
        assert done.returncode == 2, done.stdout
        assert done.stderr.splitlines() == [
            "error: CAM_MAILBOXES_FILE names team/mailboxes.toml, which does not exist: fix "
            "the path, or unset it to send from the one mailbox of CAM_FROM and CAM_SMTP_*"
        ]


def test_a_password_in_dot_env_is_found(
    tmp_path: Path, migrated_sqlite: Callable[[Path], str]
) -> None:
    (tmp_path / "mailboxes.toml").write_text(EXAMPLE)
    (tmp_path / ".env").write_text("".join(f"{k}={v}\n" for k, v in PASSWORDS.items()))
    url = migrated_sqlite(tmp_path / "cam.db")
    done = cam(tmp_path, "limits", DATABASE_URL=url, CAM_MAILBOXES_FILE="mailboxes.toml")
    assert done.returncode == 0, done.stderr
    assert "maya" in done.stdout and "jonas" in done.stdout


def test_cam_bot_does_not_start_without_a_mailbox_password(
    tmp_path: Path, migrated_sqlite: Callable[[Path], str]
) -> None:
    (tmp_path / "mailboxes.toml").write_text(EXAMPLE)
    url = migrated_sqlite(tmp_path / "cam.db")
    env = clean_env(
        DATABASE_URL=url,
        CAM_MAILBOXES_FILE="mailboxes.toml",
        SLACK_BOT_TOKEN="xoxb-not-asked",
        SLACK_SIGNING_SECRET="not-used-signing-secret",
        SLACK_API_URL=f"http://127.0.0.1:{free_port()}/api/",
        CAM_REPORT_CHANNEL="C0REPORTS",
        CAM_APPROVERS="U0APPROVER",
        PORT=str(free_port()),
        MAYA_SMTP_PASSWORD="x",
        MAYA_IMAP_PASSWORD="x",
        JONAS_SMTP_PASSWORD="x",
    )
    done = subprocess.run(
        [CAM_BOT], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2, done.stdout + done.stderr
    line = _line(EXAMPLE, 'password_env = "JONAS_IMAP_PASSWORD"')
    assert done.stderr.strip() == (
        f"cam-bot: mailboxes file mailboxes.toml, line {line}: mailbox 'jonas': the environment "
        "variable JONAS_IMAP_PASSWORD (its IMAP password) is not set: set it where cam runs, "
        "or in .env"
    )
