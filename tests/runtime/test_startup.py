"""`cam-bot` start-up as a real process: settings problems exit 2 with one clear message."""

from __future__ import annotations

import socket
import subprocess

from tests.runtime.processes import CAM_BOT, clean_env, free_port, start_bot, stop, wait_healthy

TOKEN = "xoxb-recognisable-bot-token-4711"
SIGNING = "recognisable-signing-secret-0815"


def run(tmp_path, **values: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CAM_BOT],
        env=clean_env(**values),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_missing_settings_are_named_together(tmp_path):
    done = run(tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[0] == "cam-bot: invalid settings:"
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "CAM_REPORT_CHANNEL", "CAM_APPROVERS"):
        assert f"  {name}: is required" in lines


def test_invalid_settings_are_named_without_their_values(tmp_path):
    done = run(
        tmp_path,
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SIGNING,
        CAM_REPORT_CHANNEL="#sales",
        CAM_APPROVERS="alice",
        CAM_SCHEDULE="every morning",
        CAM_TIMEZONE="Mars/Olympus",
        PORT="0",
        SLACK_API_URL="ftp://slack",
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    named = [line.split(":")[0].strip() for line in done.stderr.splitlines()[1:]]
    assert sorted(named) == sorted(
        [
            "CAM_REPORT_CHANNEL",
            "CAM_APPROVERS",
            "CAM_SCHEDULE",
            "CAM_TIMEZONE",
            "PORT",
            "SLACK_API_URL",
        ]
    )
    assert TOKEN not in done.stderr and SIGNING not in done.stderr


def test_a_bad_database_url_is_a_settings_problem(tmp_path):
    done = run(
        tmp_path,
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SIGNING,
        CAM_REPORT_CHANNEL="C0REPORTS",
        CAM_APPROVERS="UAPPROVER1",
        DATABASE_URL="not a url at all",
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "DATABASE_URL" in done.stderr


def test_it_starts_serves_and_stops_on_sigterm(tmp_path, fake_slack, db_url):
    port = free_port()
    env = clean_env(
        SLACK_BOT_TOKEN=fake_slack.token,
        SLACK_SIGNING_SECRET=SIGNING,
        SLACK_API_URL=fake_slack.url,
        CAM_REPORT_CHANNEL="C0REPORTS",
        CAM_APPROVERS="UAPPROVER1",
        DATABASE_URL=db_url,
        PORT=str(port),
    )
    log = tmp_path / "bot.log"
    process = start_bot(env, tmp_path, log)
    try:
        wait_healthy(port)
    finally:
        code = stop(process)
    output = log.read_text()
    assert code == 0, output
    assert "Traceback" not in output
    assert f"listening on port {port}" in output
    assert fake_slack.token not in output and SIGNING not in output


def test_socket_mode_with_a_refused_app_token_exits_clearly(tmp_path, fake_slack):
    done = run(
        tmp_path,
        SLACK_BOT_TOKEN=fake_slack.token,
        SLACK_SIGNING_SECRET=SIGNING,
        SLACK_APP_TOKEN="xapp-refused-app-token-1234",
        SLACK_API_URL=fake_slack.url,
        CAM_REPORT_CHANNEL="C0REPORTS",
        CAM_APPROVERS="UAPPROVER1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'cam.core.db'}",
        PORT=str(free_port()),
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "cam-bot: Socket Mode cannot connect: invalid_auth" in done.stderr
    assert "xapp-refused-app-token-1234" not in done.stderr
    assert fake_slack.of("apps.connections.open")


def test_a_port_in_use_stops_start_up_clearly(tmp_path, fake_slack):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run(
            tmp_path,
            SLACK_BOT_TOKEN=fake_slack.token,
            SLACK_SIGNING_SECRET=SIGNING,
            SLACK_API_URL=fake_slack.url,
            CAM_REPORT_CHANNEL="C0REPORTS",
            CAM_APPROVERS="UAPPROVER1",
            DATABASE_URL=f"sqlite:///{tmp_path / 'cam.core.db'}",
            PORT=str(port),
        )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert f"cam-bot: cannot listen on port {port}: Address already in use" in done.stderr
