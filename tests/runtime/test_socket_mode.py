"""`cam-bot` in Socket Mode, end to end: a real WebSocket server speaking Slack's protocol.

`apps.connections.open` on the fake Web API hands out the fake server's `ws://` URL; the
server says hello, pushes envelopes as Slack does, and records the app's acks.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.slack_api import FakeSlack
from tests.fakes.socket_mode import FakeSocketMode, running_fake_socket_mode
from tests.runtime.processes import clean_env, free_port, start_bot, stop, wait_healthy

APP_TOKEN = "xapp-1-socket-mode-test-token"
APPROVER = "UAPPROVER1"


@pytest.fixture
def socket_mode(fake_slack: FakeSlack) -> Iterator[FakeSocketMode]:
    for fake in running_fake_socket_mode():
        fake_slack.app_token = APP_TOKEN
        fake_slack.socket_mode_url = fake.url
        yield fake


def command(fake_slack: FakeSlack, text: str) -> dict[str, str]:
    """The payload of a slash command as Socket Mode delivers it."""
    return {
        "token": "legacy-unused",
        "team_id": "T1",
        "team_domain": "acme",
        "channel_id": "C0GENERAL",
        "channel_name": "general",
        "user_id": APPROVER,
        "user_name": "approver",
        "command": "/cam",
        "text": text,
        "api_app_id": "A0CAM",
        "response_url": fake_slack.response_url("socket"),
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
    }


def test_commands_and_events_arrive_and_are_acked(tmp_path, fake_slack, socket_mode, db_url):
    port = free_port()
    env = clean_env(
        SLACK_BOT_TOKEN=fake_slack.token,
        SLACK_SIGNING_SECRET="not-used-in-socket-mode",
        SLACK_APP_TOKEN=APP_TOKEN,
        SLACK_API_URL=fake_slack.url,
        CAM_REPORT_CHANNEL="C0REPORTS",
        CAM_APPROVERS=APPROVER,
        DATABASE_URL=db_url,
        PORT=str(port),
    )
    log = tmp_path / "bot.log"
    process = start_bot(env, tmp_path, log)
    try:
        wait_healthy(port)
        socket_mode.wait_connected()
        helped = socket_mode.wait_ack(socket_mode.send("slash_commands", command(fake_slack, "")))
        assert "/cam run dry" in helped["payload"]["text"]

        status = socket_mode.send("slash_commands", command(fake_slack, "status"))
        answer = socket_mode.wait_ack(status)["payload"]
        assert answer["response_type"] == "ephemeral"
        assert answer["blocks"][0]["text"]["text"].startswith("CAM status")

        home = {
            "type": "event_callback",
            "team_id": "T1",
            "api_app_id": "A0CAM",
            "event": {"type": "app_home_opened", "user": APPROVER, "tab": "home"},
            "event_id": "Ev0SOCKET1",
            "event_time": 1700000000,
        }
        opened = socket_mode.send("events_api", home)
        assert socket_mode.wait_ack(opened)["envelope_id"] == opened
        [published] = fake_slack.wait_for("views.publish")
        assert published.params["user_id"] == APPROVER
    finally:
        code = stop(process)
    output = log.read_text()
    assert code == 0, output
    assert "Traceback" not in output
    assert f"listening on port {port} (Socket Mode)" in output
    assert APP_TOKEN not in output
    assert fake_slack.of("apps.connections.open")
