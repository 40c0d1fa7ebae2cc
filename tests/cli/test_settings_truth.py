"""Settings that tell the truth: enums checked, example values named, mail errors that say
which setting to change, and a dry run that needs no mail settings."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cam.core.ports import mask_secret
from tests.cli.helpers import cam, cam_in_process
from tests.gateways.smtp_server import SmtpServer

ENV_EXAMPLE = Path(__file__).parents[2] / ".env.example"


def local_db(folder: Path) -> str:
    """A database file of the test's own, never the user's data directory."""
    return f"sqlite:///{folder / 'cam.db'}"


def one_line(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("setting", ["CAM_SMTP_SECURITY", "CAM_IMAP_SECURITY"])
def test_an_unknown_security_mode_stops_every_command(tmp_path: Path, setting: str) -> None:
    done = cam(tmp_path, "limits", DATABASE_URL=local_db(tmp_path), **{setting: "banana"})
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    message = one_line(done.stderr)
    assert setting in message and "'banana'" in message and "starttls" in message


def test_tls_is_the_implicit_tls_of_port_465(tmp_path: Path, smtps_server: SmtpServer) -> None:
    """`tls` was taken and CAM talked plain text; now it is `ssl`'s other name."""
    env = check_env(smtps_server, CAM_SMTP_SECURITY="TLS")
    done = cam_in_process(tmp_path, "check", DATABASE_URL=local_db(tmp_path), **env)
    assert f"logged in to 127.0.0.1:{smtps_server.port} (ssl) as cam-sender" in one_line(
        done.stdout
    )


def check_env(smtp: SmtpServer, **extra: str) -> dict[str, str]:
    return {
        "CAM_SMTP_HOST": smtp.host,
        "CAM_SMTP_PORT": str(smtp.port),
        "CAM_SMTP_SECURITY": smtp.security,
        "CAM_SMTP_USERNAME": "cam-sender",
        "CAM_SMTP_PASSWORD": smtp.password,
        "CAM_SMTP_CA_FILE": str(smtp.ca_file or ""),
        "CAM_SMTP_TIMEOUT": "5",
        "CAM_FROM": "Ana Sales <ana@acme.example>",
        "COLUMNS": "250",  # the table's rows on one line each
        **extra,
    }


def test_the_example_env_fails_the_check_by_name_and_a_dry_run_needs_no_mail(
    tmp_path: Path, db_url: str
) -> None:
    shutil.copy(ENV_EXAMPLE, tmp_path / ".env")
    checked = cam_in_process(tmp_path, "check", DATABASE_URL=db_url)
    assert checked.returncode == 1
    shown = one_line(checked.stdout)
    for setting in ("CAM_PUBLIC_URL", "CAM_FROM", "CAM_POSTAL_ADDRESS", "CAM_SMTP", "CAM_IMAP"):
        assert setting in shown
    assert shown.count("still the example value") == 5, checked.stdout
    assert "imap.example.com:993 failed" not in shown

    ran = cam_in_process(tmp_path, "run", DATABASE_URL=db_url)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "imap.example.com" not in ran.stdout and "Errors" not in ran.stdout


def test_a_server_without_starttls_names_the_setting(
    tmp_path: Path, plain_smtp_server: SmtpServer
) -> None:
    env = check_env(plain_smtp_server, CAM_SMTP_SECURITY="starttls")
    message = one_line(
        cam_in_process(tmp_path, "check", DATABASE_URL=local_db(tmp_path), **env).stdout
    )
    assert "does not offer STARTTLS: set CAM_SMTP_SECURITY=ssl" in message


def test_a_server_without_auth_says_it_connected_and_what_to_set(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    """A server that offers its login only after STARTTLS, asked over plain text."""
    # A password that is part of ordinary words ("supported") is no reason to mangle them.
    env = check_env(smtp_server, CAM_SMTP_SECURITY="none", CAM_SMTP_PASSWORD="su")
    done = cam_in_process(tmp_path, "check", DATABASE_URL=local_db(tmp_path), **env)
    message = one_line(done.stdout)
    assert done.returncode == 1
    assert f"connected to 127.0.0.1:{smtp_server.port}" in message
    assert "offers no AUTH" in message and "CAM_SMTP_SECURITY=starttls" in message
    assert "cannot connect" not in message and "**" not in message


def test_masking_hides_whole_secrets_only() -> None:
    error = "SMTP AUTH extension not supported by server."
    assert mask_secret(error, "su") == error
    assert mask_secret(error, "p") == error
    assert mask_secret("535 bad password hunter2 for x", "hunter2") == "535 bad password *** for x"
    assert mask_secret("user=hunter2;", "hunter2") == "user=***;"
