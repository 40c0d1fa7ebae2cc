"""`cam-bot` start-up as a real process: settings problems exit 2 with one clear message."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from importlib.metadata import version

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from cam.core.db import make_engine, redacted_url, schema_head
from tests.conftest import PG_AVAILABLE, PG_URL
from tests.runtime.processes import CAM_BOT, clean_env, free_port, start_bot, stop, wait_healthy

TOKEN = "xoxb-recognisable-bot-token-4711"
SIGNING = "recognisable-signing-secret-0815"


def run(tmp_path, *args: str, **values: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CAM_BOT, *args],
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


def test_socket_mode_with_a_refused_app_token_exits_clearly(tmp_path, fake_slack, db_url):
    done = run(
        tmp_path,
        SLACK_BOT_TOKEN=fake_slack.token,
        SLACK_SIGNING_SECRET=SIGNING,
        SLACK_APP_TOKEN="xapp-refused-app-token-1234",
        SLACK_API_URL=fake_slack.url,
        CAM_REPORT_CHANNEL="C0REPORTS",
        CAM_APPROVERS="UAPPROVER1",
        DATABASE_URL=db_url,
        PORT=str(free_port()),
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "cam-bot: Socket Mode cannot connect: invalid_auth" in done.stderr
    assert "xapp-refused-app-token-1234" not in done.stderr
    assert fake_slack.of("apps.connections.open")


def test_a_port_in_use_stops_start_up_clearly(tmp_path, fake_slack, db_url):
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
            DATABASE_URL=db_url,
            PORT=str(port),
        )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert f"cam-bot: cannot listen on port {port}: Address already in use" in done.stderr


def bot_env(fake_slack, db_url: str, port: int, **values: str) -> dict[str, str]:
    return clean_env(
        SLACK_BOT_TOKEN=fake_slack.token,
        SLACK_SIGNING_SECRET=SIGNING,
        SLACK_API_URL=fake_slack.url,
        CAM_REPORT_CHANNEL="C0REPORTS",
        CAM_APPROVERS="UAPPROVER1",
        DATABASE_URL=db_url,
        PORT=str(port),
        **values,
    )


def health(port: int) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()


def test_help_and_version_need_no_settings(tmp_path):
    helped = run(tmp_path, "--help")
    assert helped.returncode == 0, helped.stderr
    assert "usage: cam-bot" in helped.stdout and "--version" in helped.stdout
    versioned = run(tmp_path, "--version")
    assert versioned.returncode == 0
    assert versioned.stdout.strip() == f"cam-bot {version('cam-orchestrator')}"


def test_log_level_and_approvers_are_checked_with_an_example(tmp_path):
    done = run(
        tmp_path,
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SIGNING,
        CAM_REPORT_CHANNEL="C0REPORTS",
        CAM_APPROVERS="alice",
        LOG_LEVEL="verbose",
    )
    assert done.returncode == 2
    lines = dict(line.strip().split(": ", 1) for line in done.stderr.splitlines()[1:])
    assert "DEBUG, INFO, WARNING, ERROR, CRITICAL" in lines["LOG_LEVEL"]
    assert "CAM_APPROVERS=U0123ABCD" in lines["CAM_APPROVERS"]


def test_a_database_without_tables_stops_the_start(tmp_path, fake_slack):
    url = f"sqlite:///{tmp_path / 'never-upgraded.db'}"
    done = run(tmp_path, **bot_env(fake_slack, url, free_port()))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        f"cam-bot: the database has no tables yet: run `cam db upgrade` (database {url})"
    )


@pytest.mark.postgres
def test_a_missing_postgres_database_is_named_as_missing(tmp_path, fake_slack):
    if not PG_AVAILABLE:
        pytest.skip("PostgreSQL is not reachable")
    url = make_url(PG_URL).set(database="cam_does_not_exist_4711")
    heroku_style = url.render_as_string(hide_password=False).replace(
        "postgresql+psycopg", "postgres"
    )
    done = run(tmp_path, **bot_env(fake_slack, heroku_style, free_port()))
    assert done.returncode == 2
    assert "does not exist: create it, then run `cam db upgrade`" in done.stderr
    assert "Traceback" not in done.stderr


def test_start_up_is_quiet_names_the_database_and_serves_the_schema_state(
    tmp_path, fake_slack, db_url
):
    port = free_port()
    log = tmp_path / "bot.log"
    process = start_bot(bot_env(fake_slack, db_url, port), tmp_path, log)
    try:
        wait_healthy(port)
        assert health(port) == (200, "ok\n")
        engine = make_engine(db_url)
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
        status, body = health(port)
        assert status == 503
        assert "schema is at 0001" in body and "cam db upgrade" in body
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE alembic_version SET version_num = :head"), {"head": schema_head()}
            )
        engine.dispose()
        assert health(port) == (200, "ok\n")
    finally:
        stop(process)
    output = log.read_text()
    assert f"database {redacted_url(db_url)}" in output
    assert " WARNING " not in output and "tentatively" not in output, output


def test_slack_away_at_start_up_degrades_then_recovers(tmp_path, fake_slack, db_url):
    fake_slack.fail("auth.test", 503, times=2)
    port = free_port()
    log = tmp_path / "bot.log"
    process = start_bot(bot_env(fake_slack, db_url, port), tmp_path, log)
    try:
        wait_healthy(port)
        first = health(port)
        assert first == (200, "degraded: Slack unreachable (HTTP 503)\n"), first
        fake_slack.wait_for("auth.test", count=3, timeout=20)
        deadline = time.monotonic() + 10
        while health(port) != (200, "ok\n") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert health(port) == (200, "ok\n")
    finally:
        code = stop(process)
    output = log.read_text()
    assert code == 0, output
    assert "Traceback" not in output
    assert "Slack unreachable (HTTP 503); starting anyway" in output


def test_a_token_slack_refuses_stops_the_start(tmp_path, fake_slack, db_url):
    env = bot_env(fake_slack, db_url, free_port())
    env["SLACK_BOT_TOKEN"] = "xoxb-revoked-token-9999"
    done = run(tmp_path, **env)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        "cam-bot: Slack refused SLACK_BOT_TOKEN: invalid_auth"
    )
    assert "xoxb-revoked-token-9999" not in done.stderr


def test_a_bad_signature_is_a_warning_without_the_body(tmp_path, fake_slack, db_url):
    port = free_port()
    log = tmp_path / "bot.log"
    process = start_bot(bot_env(fake_slack, db_url, port), tmp_path, log)
    try:
        wait_healthy(port)
        body = urllib.parse.urlencode({"command": "/cam", "text": "pause", "user_id": "SECRETBODY"})
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/slack/events",
            data=body.encode(),
            headers={
                "X-Slack-Request-Timestamp": str(int(time.time())),
                "X-Slack-Signature": "v0=" + "0" * 64,
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=5)
        assert refused.value.code == 401
    finally:
        stop(process)
    output = log.read_text()
    assert "WARNING bot.app: refused a request with a bad or expired signature" in output
    assert "SECRETBODY" not in output
