"""Drive the bot as Slack does: signed form posts over real HTTP to an app served on loopback.

`SignedSlack` builds and signs slash-command, interactivity and event requests;
`serve_wsgi` runs any WSGI app under waitress on a free port; the `bot` fixture serves the
whole bot as `cam-bot` does (`make_wsgi_app`), on a real database, with the fake Slack Web API
and the CRM stand-in, and hands back a `RunningBot`.
"""

from __future__ import annotations

import http.client
import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from slack_sdk.signature import SignatureVerifier
from waitress.server import create_server

from bot.app import create_app
from bot.live_config import LiveConfig
from bot.routes import make_wsgi_app
from bot.settings import BotSettings
from bot.worker import Worker
from cam.core.db import SessionFactory
from cam.core.models import utcnow
from tests.fakes.slack_api import Call, FakeSlack
from tests.gateways.crm_server import TOKEN as CRM_TOKEN
from tests.gateways.crm_server import FakeCrm, running_fake_crm

SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"
REPORT_CHANNEL = "C0REPORTS"
APPROVER = "UAPPROVER1"
SECOND_APPROVER = "UAPPROVER2"
OUTSIDER = "UOUTSIDER9"
TEAM = "T0TEAM"
WsgiApp = Callable[..., Any]


@dataclass
class Reply:
    status: int
    body: str
    headers: dict[str, str]

    @property
    def json(self) -> Any:
        return json.loads(self.body)


def trigger_id() -> str:
    """A trigger_id as unique as Slack's: two requests are never the same bytes."""
    return f"{time.time_ns()}.{next(_TRIGGERS)}.a1b2c3"


_TRIGGERS = itertools.count(1)


class SignedSlack:
    """Send Slack's requests to `url`, signed with `secret` unless told otherwise."""

    def __init__(self, url: str, secret: str = SIGNING_SECRET) -> None:
        self.url = url
        self.verifier = SignatureVerifier(secret)
        # The body of the last request sent, to send the very same bytes again.
        self.last_body = ""
        split = urlsplit(url)
        self._host, self._port, self._path = split.hostname or "", split.port or 80, split.path

    def post(
        self,
        body: str,
        *,
        content_type: str = "application/x-www-form-urlencoded",
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
        path: str | None = None,
    ) -> Reply:
        self.last_body = body
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        signed = signature or self.verifier.generate_signature(timestamp=stamp, body=body) or ""
        sent = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signed,
            **(headers or {}),
        }
        conn = http.client.HTTPConnection(self._host, self._port, timeout=30)
        try:
            conn.request("POST", path or self._path, body=body.encode(), headers=sent)
            response = conn.getresponse()
            return Reply(response.status, response.read().decode(), dict(response.getheaders()))
        finally:
            conn.close()

    def command(
        self,
        text: str,
        *,
        user: str = APPROVER,
        channel: str = "C0GENERAL",
        response_url: str = "",
        team: str = TEAM,
        name: str = "/cam",
        **options: Any,
    ) -> Reply:
        """Send `/cam <text>` (or command `name`) as Slack's slash-command form (each with its
        own trigger_id)."""
        form = {
            "token": "legacy-unused",
            "team_id": team,
            "team_domain": "acme",
            "channel_id": channel,
            "channel_name": "general",
            "user_id": user,
            "user_name": user.lower(),
            "command": name,
            "text": text,
            "api_app_id": "A0CAM",
            "response_url": response_url,
            "trigger_id": trigger_id(),
        }
        return self.post(urlencode(form), **options)

    def action(
        self,
        action_id: str,
        value: str,
        *,
        user: str = APPROVER,
        channel: str = REPORT_CHANNEL,
        ts: str | None = "1700000001.000100",
        response_url: str = "",
        select: bool = False,
        **options: Any,
    ) -> Reply:
        """Click a button (or pick a menu option) on a message, or in the Home when `ts` is None."""
        element: dict[str, Any] = {
            "action_id": action_id,
            "block_id": "b1",
            "action_ts": f"{time.time():.6f}",
        }
        if select:
            element |= {"type": "static_select", "selected_option": {"value": value}}
        else:
            element |= {"type": "button", "value": value}
        payload: dict[str, Any] = {
            "type": "block_actions",
            "team": {"id": TEAM, "domain": "acme"},
            "user": {"id": user, "username": user.lower(), "team_id": TEAM},
            "api_app_id": "A0CAM",
            "trigger_id": "1.2.3",
            "actions": [element],
        }
        if ts is None:
            payload |= {"container": {"type": "view", "view_id": "V1"}, "view": {"id": "V1"}}
        else:
            payload |= {
                "container": {"type": "message", "message_ts": ts, "channel_id": channel},
                "channel": {"id": channel, "name": "cam-reports"},
                "message": {"ts": ts, "text": "", "blocks": []},
                "response_url": response_url,
            }
        return self.post(urlencode({"payload": json.dumps(payload)}), **options)

    def event(self, event: dict[str, Any], *, event_id: str | None = None, **options: Any) -> Reply:
        """Deliver an Events API callback (a redelivery gives the first one's `event_id`)."""
        envelope = {
            "token": "legacy-unused",
            "team_id": TEAM,
            "api_app_id": "A0CAM",
            "type": "event_callback",
            "event_id": event_id or f"Ev{time.monotonic_ns()}",
            "event_time": int(time.time()),
            "event": event,
        }
        return self.post(json.dumps(envelope), content_type="application/json", **options)


def blocks_of(call: Call) -> list[dict[str, Any]]:
    """The blocks of a recorded Web API call, sent as JSON or as a form field."""
    blocks = call.params.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else list(blocks)


def shown(value: Any) -> str:
    """Everything a message shows, as one searchable string."""
    return json.dumps(value, ensure_ascii=False)


@contextmanager
def serve_wsgi(app: WsgiApp, *, threads: int = 8) -> Iterator[str]:
    """Serve `app` with waitress on a free loopback port; yield its base URL."""
    server: Any = create_server(
        app, host="127.0.0.1", port=0, threads=threads, asyncore_loop_timeout=0.05
    )
    port = server.effective_port
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        # Let the requests under way finish first, so no task thread touches a closed channel;
        # then close everything from the server's own loop thread: its map empties, `run` ends.
        server.task_dispatcher.shutdown()
        try:
            server.trigger.pull_trigger(lambda: _close_all(server))
        except OSError:  # the loop is gone already
            _close_all(server)
        thread.join(timeout=5)


def _close_all(server: Any) -> None:
    for channel in list(server._map.values()):
        if channel is not server.trigger and channel is not server:
            channel.close()
    server.close()


def settings_for(fake_slack: FakeSlack, db_url: str, **extra: str) -> BotSettings:
    """Valid bot settings whose Slack is `fake_slack` and whose CRM is the HubSpot stand-in."""
    values = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.url,
        "CAM_REPORT_CHANNEL": REPORT_CHANNEL,
        "CAM_APPROVERS": f"{APPROVER},{SECOND_APPROVER}",
        "DATABASE_URL": db_url,
        "CAM_SECRET_KEY": "unsubscribe-secret",
        **extra,
    }
    return BotSettings.model_validate(values)


@dataclass
class RunningBot:
    url: str
    slack: SignedSlack
    fake_slack: FakeSlack
    crm: FakeCrm
    settings: BotSettings
    # What the bot read from its files: a test's notifier or scheduler shares it, as in cam-bot.
    config: LiveConfig
    sessions: SessionFactory
    worker: Worker

    def settle(self, timeout: float = 30.0) -> None:
        """Wait until the work started after the acks has finished."""
        assert self.worker.wait_idle(timeout), "background work did not finish"


@pytest.fixture
def fake_crm() -> Iterator[FakeCrm]:
    yield from running_fake_crm()


@pytest.fixture
def start_bot(
    fake_slack: FakeSlack, fake_crm: FakeCrm, db_url: str, sessions: SessionFactory
) -> Iterator[Callable[..., RunningBot]]:
    """Start the whole bot over HTTP (extra settings as environment names, and the clock it
    reads); stop it after."""
    with ExitStack() as stack:

        def start(clock: Callable[[], datetime] = utcnow, **extra: str) -> RunningBot:
            crm = {"CAM_HUBSPOT_TOKEN": CRM_TOKEN, "CAM_HUBSPOT_BASE_URL": fake_crm.url}
            settings = settings_for(fake_slack, db_url, **(crm | extra))
            worker = Worker()
            stack.callback(worker.shutdown)
            config = LiveConfig(settings)
            app = create_app(settings, sessions, config=config, worker=worker, clock=clock)
            base = stack.enter_context(serve_wsgi(make_wsgi_app(app, settings, sessions)))
            stack.callback(worker.wait_idle, 30)
            url = f"{base}/slack/events"
            return RunningBot(
                url=url,
                slack=SignedSlack(url),
                fake_slack=fake_slack,
                crm=fake_crm,
                settings=settings,
                config=config,
                sessions=sessions,
                worker=worker,
            )

        yield start


@pytest.fixture
def bot(start_bot: Callable[..., RunningBot]) -> RunningBot:
    """The whole bot over HTTP: Slack requests in, Web API and CRM calls out, all on loopback."""
    return start_bot()
