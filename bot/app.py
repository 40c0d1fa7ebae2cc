"""Build the Slack app: one fresh Bolt `App` per call, wired to the engine.

`process_before_response=True`: a listener runs to its end before Bolt answers, so a quick
command's answer goes back in the ack itself, without Bolt's polling loop; slow work is handed
to the app's own worker right after the ack and answers through `response_url` or the channel.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.signature import SignatureVerifier
from sqlalchemy.exc import OperationalError

from bot import listeners
from bot.command_cache import Answers, invalidating
from bot.deps import Deps
from bot.errors import Refused, user_message
from bot.listeners import commands
from bot.live_config import LiveConfig
from bot.middleware import Direct
from bot.notifier import Notifier
from bot.payloads import BadPayload
from bot.request_guard import request_guard
from bot.request_session import SESSION, new_session
from bot.settings import BotSettings
from bot.worker import Worker
from cam.core.db import SessionFactory
from cam.core.models import utcnow
from cam.core.ports import Gateways
from cam.escalation.outcomes import UnknownApproval
from cam.escalation.tasks import UnknownTask
from cam.gateways.factory import build_gateways
from cam.replies.triage import TriageRefused, UnknownReply

log = logging.getLogger(__name__)

# Errors that are the user's situation, not a fault of ours: told, not logged as failures.
EXPECTED = (Refused, BadPayload, UnknownApproval, UnknownTask, UnknownReply, TriageRefused)


def web_client(settings: BotSettings) -> WebClient:
    """Return the Web API client: retries 429 (after Retry-After), 5xx and dropped connections."""
    return WebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        timeout=10,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=2),
            ServerErrorRetryHandler(max_retry_count=2),
            ConnectionErrorRetryHandler(max_retry_count=2),
        ],
    )


def create_app(
    settings: BotSettings,
    session_factory: SessionFactory,
    *,
    config: LiveConfig | None = None,
    client: WebClient | None = None,
    gateways: Gateways | None = None,
    worker: Worker | None = None,
    next_run_time: Callable[[], datetime | None] | None = None,
    deliver_notifications: Callable[[], object] | None = None,
    clock: Callable[[], datetime] = utcnow,
    process_before_response: bool = True,
) -> App:
    """Build the app; whoever passes `worker` shuts it down (else it lives with the process).

    `config` is what the process read from its files (else they are read here, once).

    `process_before_response=False` is Bolt's default ack path (listener on Bolt's executor,
    ack polled every 10 ms, so the ack may leave before the request's session commits); it is
    kept selectable so `bench/ack_latency.py` can compare.
    """
    config = config if config is not None else LiveConfig(settings)
    client = client if client is not None else web_client(settings)
    if deliver_notifications is None:
        deliver_notifications = Notifier(
            client, session_factory, settings, config=config, clock=clock
        ).deliver_pending
    next_run_time = next_run_time or _unscheduled
    answers = Answers(config, session_factory, clock=clock, next_run_time=next_run_time)
    sessions = invalidating(session_factory, answers.invalidate)
    if gateways is None:
        gateways = build_gateways(settings, config.process.mailboxes)
    deps = Deps(
        settings=settings,
        config=config,
        client=client,
        session_factory=sessions,
        gateways=gateways,
        worker=worker if worker is not None else Worker(),
        clock=clock,
        next_run_time=next_run_time,
        deliver_notifications=deliver_notifications,
        answers=answers,
    )
    logging.getLogger("slack_bolt.App").addFilter(_CLIENT_TOKEN_NOTICE)
    app = App(
        name="cam-bot",
        client=client,
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        process_before_response=process_before_response,
        # `cam-bot` verifies the token itself at start-up, and starts even while Slack is
        # away (bot/startup.py); Bolt then calls auth.test on the first request.
        token_verification_enabled=False,
    )

    guard = request_guard(
        session_factory,
        team_id=settings.slack_team_id,
        clock=clock,
        changes_nothing=commands.changes_nothing,
    )
    app.middleware(guard)

    # After the guard, so a refused request gets no session; one middleware for both, called
    # directly (`Direct`): each middleware Bolt injects arguments into costs it a round of
    # argument building on the ack path.
    def provide(req: BoltRequest, next: Callable[[], BoltResponse]) -> BoltResponse:
        """Hand the listener what the process shares, and the request's own session."""
        req.context["deps"] = deps
        req.context[SESSION] = new_session(sessions)
        return next()

    app.middleware(Direct(provide))

    app.error(handle_error)
    listeners.register(app)
    return app


class _DropMessage(logging.Filter):
    """Drop one log message that tells the user nothing they could act on."""

    def __init__(self, message: str) -> None:
        super().__init__()
        self._message = message

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != self._message


# Bolt reads SLACK_BOT_TOKEN from the environment as well as taking our client, and warns
# that the token "will be unused": it is the client's token, so nothing is lost.
_CLIENT_TOKEN_NOTICE = _DropMessage(warning_client_prioritized_and_token_skipped())


def _unscheduled() -> datetime | None:
    return None


def handle_error(
    error: Exception, body: dict[str, Any], respond: Callable[..., Any] | None
) -> BoltResponse:
    """Turn any error of a listener into words for the user who acted (the one place)."""
    if isinstance(error, BadPayload):
        return BoltResponse(status=400, body=str(error))
    if not isinstance(error, EXPECTED):
        log.error("listener failed: %s", type(error).__name__, exc_info=error)
    message = user_message(error)
    if body.get("command"):
        return BoltResponse(
            status=200,
            body=json.dumps({"response_type": "ephemeral", "text": message}),
            headers={"content-type": "application/json;charset=utf-8"},
        )
    if respond is not None and body.get("response_url"):
        respond(text=message, response_type="ephemeral", replace_original=False)
    return BoltResponse(status=503 if isinstance(error, OperationalError) else 200, body="")


class SlackHandler(SlackRequestHandler):
    """Bolt's WSGI handler that checks the signature first and answers a bad body with 4xx.

    Bolt parses the body before it checks the signature, and logs a refused request's body:
    here an unsigned request gets 401 unread, and a signed one Bolt cannot parse gets 400.
    """

    def __init__(self, app: App, signing_secret: str, path: str = "/slack/events") -> None:
        super().__init__(app, path)
        self._verifier = SignatureVerifier(signing_secret)

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        body = request.get_body()
        headers = request.get_headers()
        flat = _flat(headers)
        if not flat.get("x-slack-request-timestamp", "").isdigit():
            # Bolt's verifier raises on a timestamp that is not a number: refuse it here.
            return BoltResponse(status=401, body="invalid request")
        if not self._verifier.is_valid_request(body, flat):
            log.warning("refused a request with a bad or expired signature (%d bytes)", len(body))
            return BoltResponse(status=401, body="invalid request")
        try:
            bolt_request = BoltRequest(body=body, query=request.query_string, headers=headers)
            _check_shape(bolt_request.body)
            return self.app.dispatch(bolt_request)
        except (ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
            # Unparsable, or a shape Bolt's own code indexes blindly (it raised in there).
            log.warning("malformed Slack request (%s)", type(exc).__name__)
            return BoltResponse(status=400, body="malformed request")


def _check_shape(body: object) -> None:
    """Refuse the shapes Slack never sends and Bolt would trip on."""
    if not isinstance(body, dict):
        raise ValueError("body is not an object")
    if body.get("type") == "block_actions":
        actions = body.get("actions")
        if not isinstance(actions, list) or not actions:
            raise ValueError("block_actions without actions")
        if not all(isinstance(a, dict) and isinstance(a.get("action_id"), str) for a in actions):
            raise ValueError("an action is not an object with an action_id")
    if body.get("type") == "event_callback" and not isinstance(body.get("event"), dict):
        raise ValueError("event_callback without an event")
    for key in ("user", "team", "channel", "container", "enterprise"):
        if key in body and not isinstance(body[key], dict | str | None):
            raise ValueError(f"{key} has the wrong type")


def _flat(headers: dict[str, Any]) -> dict[str, str]:
    return {
        key: value[0] if isinstance(value, list | tuple) and value else str(value)
        for key, value in headers.items()
    }


def slack_handler(app: App, settings: BotSettings) -> SlackHandler:
    """Return the WSGI app serving `app` at `/slack/events`."""
    return SlackHandler(app, settings.slack_signing_secret.get_secret_value())
