"""The bot's HTTP face and its start-up: `/slack/events`, `/healthz`, `/unsubscribe/<token>`.

`serve()` is the `cam-bot` command: settings, engine runtime, Bolt app, scheduler, notifier,
then waitress on `$PORT` (Socket Mode for Slack when `SLACK_APP_TOKEN` is set; the HTTP server
still serves the health check and the one-click unsubscribe links).
"""

from __future__ import annotations

import html
import logging
import signal
import sys
from collections.abc import Iterable
from datetime import timedelta
from email.parser import BytesParser
from email.policy import HTTP
from importlib.metadata import version
from types import FrameType
from typing import TYPE_CHECKING, NoReturn
from urllib.parse import parse_qs

import waitress
from slack_bolt import App
from slack_sdk.errors import SlackApiError
from sqlalchemy import text

from bot import startup
from bot.app import create_app, slack_handler
from bot.notifier import Notifier, notifier_client
from bot.scheduler import BotScheduler
from bot.settings import BotSettings, SettingsProblem, load_bot_settings
from bot.startup import HealthChecks, SlackTokenCheck, StartupError
from bot.worker import Worker
from cam.bootstrap import Runtime
from cam.core import db, leases
from cam.core.db import SessionFactory, unit_of_work
from cam.replies import unsubscribe

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

UNSUBSCRIBE_PREFIX = "/unsubscribe/"
ONE_CLICK = "One-Click"
# Slack's payloads and an RFC 8058 POST are small; anything bigger is refused unread.
MAX_BODY = 1_000_000
MAX_UNSUBSCRIBE_BODY = 8_192
THREADS = 16
# The lease row the health check writes, proving the database still takes a commit.
HEALTH_PROBE = "healthz"


def make_wsgi_app(
    bolt_app: App,
    settings: BotSettings,
    session_factory: SessionFactory,
    *,
    health: HealthChecks | None = None,
) -> WSGIApplication:
    """Return the WSGI app routing Slack's requests, the health check and unsubscribe links."""
    slack = slack_handler(bolt_app, settings)
    secret = settings.secret_key.get_secret_value()
    checks = health or HealthChecks(head=db.schema_head())

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        method = environ.get("REQUEST_METHOD", "GET")
        length = _content_length(environ)
        if length is None or length > MAX_BODY:
            return _reply(start_response, "413 Content Too Large", "Request body too large.\n")
        if path == "/slack/events":
            if method != "POST":
                return _not_allowed(start_response, "POST")
            return slack(environ, start_response)
        if path == "/healthz":
            if method not in ("GET", "HEAD"):
                return _not_allowed(start_response, "GET, HEAD")
            return _health(start_response, session_factory, checks)
        if path.startswith(UNSUBSCRIBE_PREFIX):
            token = path[len(UNSUBSCRIBE_PREFIX) :]
            if method in ("GET", "HEAD"):
                return _unsubscribe_page(start_response, secret, token)
            if method == "POST":
                return _unsubscribe_post(environ, start_response, session_factory, secret, token)
            return _not_allowed(start_response, "GET, HEAD, POST")
        return _reply(start_response, "404 Not Found", "Not found.\n")

    return app


def _health(
    start_response: StartResponse, session_factory: SessionFactory, checks: HealthChecks
) -> Iterable[bytes]:
    """503 when the database cannot serve (unreachable, full, read-only, schema behind);
    degraded without Slack."""
    try:
        with session_factory() as session:
            session.execute(text("SELECT 1"))
            schema = startup.schema_problem(session.connection(), checks.head)
        if schema is None:
            # A real commit: a full disk or a read-only file lets reads through, not writes.
            leases.acquire(session_factory, HEALTH_PROBE, "healthz", timedelta(0))
    except Exception as exc:
        problem = db.storage_problem(exc)
        log.warning("health check: %s (%s)", problem or "database unreachable", type(exc).__name__)
        return _reply(
            start_response, "503 Service Unavailable", f"{problem or 'database unreachable'}\n"
        )
    if schema is not None:
        return _reply(start_response, "503 Service Unavailable", f"{schema}\n")
    if checks.slack is not None and checks.slack.problem is not None:
        return _reply(start_response, "200 OK", f"degraded: {checks.slack.problem}\n")
    return _reply(start_response, "200 OK", "ok\n")


def _unsubscribe_page(start_response: StartResponse, secret: str, token: str) -> Iterable[bytes]:
    """Ask before acting: mail scanners follow links with GET, and must not unsubscribe anyone."""
    if unsubscribe.read_token(secret, token) is None:
        return _page(start_response, "400 Bad Request", "Invalid link", _BAD_LINK)
    action = html.escape(UNSUBSCRIBE_PREFIX + token, quote=True)
    form = (
        "<p>Stop all further messages to this address?</p>"
        f'<form method="post" action="{action}">'
        f'<input type="hidden" name="List-Unsubscribe" value="{ONE_CLICK}">'
        '<button type="submit">Unsubscribe</button></form>'
    )
    return _page(start_response, "200 OK", "Unsubscribe", form)


def _unsubscribe_post(
    environ: WSGIEnvironment,
    start_response: StartResponse,
    session_factory: SessionFactory,
    secret: str,
    token: str,
) -> Iterable[bytes]:
    length = _content_length(environ) or 0
    if length > MAX_UNSUBSCRIBE_BODY:
        return _reply(start_response, "413 Content Too Large", "Request body too large.\n")
    body = environ["wsgi.input"].read(length) if length else b""
    if not _is_one_click(environ.get("CONTENT_TYPE", ""), body):
        return _page(
            start_response,
            "400 Bad Request",
            "Bad request",
            f"<p>Expected the form field List-Unsubscribe={ONE_CLICK}.</p>",
        )
    email = unsubscribe.read_token(secret, token)
    if email is None:
        return _page(start_response, "400 Bad Request", "Invalid link", _BAD_LINK)
    try:
        with unit_of_work(session_factory) as session:
            unsubscribe.unsubscribe(session, email, source="one-click")
    except Exception as exc:
        log.error("unsubscribe not stored: %s", type(exc).__name__)
        return _page(
            start_response,
            "503 Service Unavailable",
            "Try again",
            "<p>We could not record your request just now. Please try again in a minute.</p>",
        )
    return _page(
        start_response,
        "200 OK",
        "Unsubscribed",
        "<p>You are unsubscribed. You will receive no further messages from us.</p>",
    )


def _is_one_click(content_type: str, body: bytes) -> bool:
    """Whether the body carries `List-Unsubscribe=One-Click`, form-encoded or multipart."""
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        try:
            fields = parse_qs(body.decode("ascii"), strict_parsing=True)
        except (UnicodeDecodeError, ValueError):
            return False
        return fields.get("List-Unsubscribe") == [ONE_CLICK]
    if kind == "multipart/form-data":
        head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1", "replace")
        message = BytesParser(policy=HTTP).parsebytes(head + body)
        if not message.is_multipart():
            return False
        for part in message.iter_parts():
            if part.get_param("name", header="content-disposition") == "List-Unsubscribe":
                value = part.get_payload(decode=True)
                return isinstance(value, bytes) and value.strip() == ONE_CLICK.encode()
    return False


_BAD_LINK = "<p>This unsubscribe link is not valid. Reply to the message to opt out instead.</p>"


def _content_length(environ: WSGIEnvironment) -> int | None:
    raw = environ.get("CONTENT_LENGTH") or "0"
    try:
        length = int(raw)
    except ValueError:
        return None
    return length if length >= 0 else None


def _page(start_response: StartResponse, status: str, title: str, body: str) -> Iterable[bytes]:
    document = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>"
    )
    return _reply(start_response, status, document, "text/html; charset=utf-8")


def _reply(
    start_response: StartResponse,
    status: str,
    body: str,
    content_type: str = "text/plain; charset=utf-8",
    extra: list[tuple[str, str]] | None = None,
) -> Iterable[bytes]:
    data = body.encode("utf-8")
    headers = [
        ("Content-Type", content_type),
        ("Content-Length", str(len(data))),
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
        *(extra or []),
    ]
    start_response(status, headers)
    return [data]


def _not_allowed(start_response: StartResponse, allow: str) -> Iterable[bytes]:
    return _reply(
        start_response, "405 Method Not Allowed", "Method not allowed.\n", extra=[("Allow", allow)]
    )


def configure_logging(level: str) -> None:
    """Log to stderr at `level`; libraries stay quiet below WARNING.

    APScheduler's INFO lines ("Adding job tentatively", "Added job") say nothing a user
    could act on.
    """
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("slack_sdk", "slack_bolt", "urllib3", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def serve() -> None:
    """Run the bot until SIGTERM or SIGINT (the `cam-bot` command)."""
    startup.parse_args(sys.argv[1:])
    try:
        settings = load_bot_settings()
    except SettingsProblem as exc:
        _exit_with(str(exc))
    configure_logging(settings.log_level)
    database = db.redacted_url(settings.database_url)
    log.info("cam-bot %s, database %s", version("cam-orchestrator"), database)
    runtime = Runtime(settings)
    slack_check = SlackTokenCheck(notifier_client(settings))
    health = HealthChecks(head=db.schema_head(), slack=slack_check)
    try:
        unreachable = startup.check_database(runtime.engine, health.head)
        slack_check.start()
    except StartupError as exc:
        runtime.close()
        _exit_with(str(exc))
    if unreachable is not None:
        log.warning("%s; starting anyway, /healthz answers 503 until it answers", unreachable)
    notifier = Notifier(notifier_client(settings), runtime.session_factory, settings)
    scheduler = BotScheduler(settings, runtime.session_factory, runtime.gateways, notifier)
    worker = Worker()
    bolt_app = create_app(
        settings,
        runtime.session_factory,
        gateways=runtime.gateways,
        worker=worker,
        next_run_time=scheduler.next_run_time,
        deliver_notifications=scheduler.deliver,
    )
    wsgi = make_wsgi_app(bolt_app, settings, runtime.session_factory, health=health)
    _stop_on(signal.SIGTERM)
    try:
        socket_mode = _start_socket_mode(bolt_app, settings)
    except Exception as exc:  # Slack refused the app token, or cannot be reached
        runtime.close()
        _exit_with(f"Socket Mode cannot connect: {_slack_reason(exc)}", code=1)
    scheduler.start()
    log.info("cam-bot listening on port %s (%s)", settings.port, socket_mode or "HTTP events")
    try:
        waitress.serve(
            wsgi,
            host="0.0.0.0",  # noqa: S104
            port=settings.port,
            threads=THREADS,
            max_request_body_size=MAX_BODY,
            ident="cam-bot",
        )
    except KeyboardInterrupt:
        log.info("stopping")
    except OSError as exc:  # the port is taken or not ours to use
        _exit_with(f"cannot listen on port {settings.port}: {exc.strerror or exc}", code=1)
    finally:
        scheduler.shutdown(wait=False)
        slack_check.stop()
        # A `/cam run` under way finishes its cycle and posts its report before we exit.
        worker.shutdown(wait=True)
        runtime.close()


def _start_socket_mode(bolt_app: App, settings: BotSettings) -> str | None:
    if settings.slack_app_token is None:
        return None
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    handler = SocketModeHandler(bolt_app, settings.slack_app_token.get_secret_value())
    handler.connect()  # type: ignore[no-untyped-call]
    return "Socket Mode"


def _stop_on(signum: int) -> None:
    """Stop like Ctrl-C on `signum`, so waitress returns and the scheduler shuts down."""

    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signum, stop)


def _slack_reason(exc: Exception) -> str:
    """Say why a Slack call failed, by Slack's error code, never with the request's token."""
    if isinstance(exc, SlackApiError):
        data = exc.response.data
        return str(data.get("error", "")) if isinstance(data, dict) else "unexpected answer"
    return type(exc).__name__


def _exit_with(message: str, code: int = 2) -> NoReturn:
    print(f"cam-bot: {message}", file=sys.stderr)
    raise SystemExit(code)
