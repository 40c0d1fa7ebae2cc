"""The mailboxes file: validated with errors naming the line, passwords from the environment."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Any

import pytest

from cam.core.config import CAMCycleConfig
from cam.core.mailboxes import (
    DEFAULT_KEY,
    MailboxError,
    load_mailboxes,
    mailbox_settings,
)
from cam.core.settings import DATA_DIR, Settings

EXAMPLE = DATA_DIR / "mailboxes.example.toml"
SECRETS = {
    "MAYA_SMTP_PASSWORD": "maya-smtp-pw",
    "MAYA_IMAP_PASSWORD": "maya-imap-pw",
    "JONAS_SMTP_PASSWORD": "jonas-smtp-pw",
    "JONAS_IMAP_PASSWORD": "jonas-imap-pw",
}


def _settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


def test_the_example_file_lists_two_senders_with_their_own_accounts() -> None:
    settings = _settings(CAM_MAILBOXES_FILE=EXAMPLE, CAM_SMTP_HOST="ignored.example")
    maya, jonas = load_mailboxes(settings)
    assert (maya.key, maya.address, maya.owner) == ("maya", "maya@acme.example", "U0123MAYA")
    maya_sends, jonas_sends = CAMCycleConfig(mailboxes=[maya, jonas]).senders()
    assert maya_sends.limits.cap_on_day(0) == 5 and maya_sends.limits.cap_on_day(10) == 30
    assert (maya_sends.window.start, maya_sends.min_gap_seconds) == (time(8, 30), 240)
    assert jonas_sends.limits.cap_on_day(0) == 20 and jonas_sends.window.start == time(9)

    seen = mailbox_settings(settings, maya, SECRETS)
    assert (seen.mail_from, seen.smtp_host, seen.smtp_username) == (
        "Maya Lind <maya@acme.example>",
        "smtp.acme.example",
        "maya@acme.example",
    )
    assert seen.smtp_password.get_secret_value() == "maya-smtp-pw"
    assert seen.imap_password.get_secret_value() == "maya-imap-pw"
    assert "maya-smtp-pw" not in repr(seen)
    assert mailbox_settings(settings, jonas, SECRETS).smtp_port == 587


def test_without_a_file_the_single_mailbox_settings_are_the_one_mailbox() -> None:
    settings = _settings(
        CAM_FROM="Ana <ana@acme.example>", CAM_SMTP_HOST="smtp.acme.example", CAM_EMAIL_DAILY_CAP=7
    )
    [only] = load_mailboxes(settings)
    assert (only.key, only.address, only.daily_cap) == (DEFAULT_KEY, "ana@acme.example", 7)
    assert mailbox_settings(settings, only, {}) is settings


def test_a_missing_password_variable_is_named_not_guessed() -> None:
    settings = _settings(CAM_MAILBOXES_FILE=EXAMPLE)
    _maya, jonas = load_mailboxes(settings)
    with pytest.raises(MailboxError, match=r"JONAS_SMTP_PASSWORD .* is not set"):
        mailbox_settings(settings, jonas, {"MAYA_SMTP_PASSWORD": "x"})


def test_errors_name_the_line(tmp_path: Path) -> None:
    text = EXAMPLE.read_text()
    text = text.replace("daily_cap = 20", "daily_cap = -2").replace("port = 993", 'port = "993x"')
    bad = tmp_path / "mailboxes.toml"
    bad.write_text(text)
    lines = text.splitlines()
    port_line = next(i for i, line in enumerate(lines, 1) if '"993x"' in line)
    cap_line = next(i for i, line in enumerate(lines, 1) if "daily_cap = -2" in line)
    with pytest.raises(MailboxError) as error:
        load_mailboxes(_settings(CAM_MAILBOXES_FILE=bad))
    message = str(error.value)
    assert f"line {port_line}: mailbox.0.imap.port" in message
    assert f"line {cap_line}: mailbox.1.daily_cap" in message


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (('key = "jonas"', 'key = "maya"'), "same key as 'maya'"),
        (("Jonas Berg <jonas@acme.example>", "maya@acme.example"), "same address as"),
        (('owner = "U0456JONAS"', 'owner = "jonas"'), "mailbox.1.owner"),
        (("Jonas Berg <jonas@acme.example>", "Jonas Berg"), "expected an address"),
        (('password_env = "JONAS_SMTP_PASSWORD"', 'password = "hunter2"'), "mailbox.1.smtp"),
    ],
)
def test_each_mistake_gets_a_clear_error(
    tmp_path: Path, change: tuple[str, str], complaint: str
) -> None:
    bad = tmp_path / "mailboxes.toml"
    bad.write_text(EXAMPLE.read_text().replace(*change))
    with pytest.raises(MailboxError, match=complaint) as error:
        load_mailboxes(_settings(CAM_MAILBOXES_FILE=bad))
    assert "hunter2" not in str(error.value)  # what was written is never echoed
