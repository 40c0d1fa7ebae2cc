"""Start-up of `cam-bot`: settings and files, engine runtime, Bolt app, scheduler, notifier,
then waitress on `$PORT` (Socket Mode for Slack when `SLACK_APP_TOKEN` is set; the HTTP server
still serves the health check and the one-click unsubscribe links, bot/routes.py). SIGHUP
reads the mailboxes and snippets files again (bot/live_config.py), as `/cam reload` does.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from importlib.metadata import version
from types import FrameType
from typing import NoReturn

import waitress
from slack_bolt import App
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError

from bot import startup
from bot.app import create_app
from bot.live_config import LiveConfig, reload_files
from bot.logs import configure_logging
from bot.notifier import Notifier, notifier_client
from bot.routes import MAX_BODY, make_wsgi_app
from bot.scheduler import BotScheduler
from bot.settings import BotSettings, SettingsProblem, load_bot_settings
from bot.startup import HealthChecks, SlackTokenCheck, StartupError
from bot.worker import Worker
from cam.bootstrap import ProcessConfig, Runtime
from cam.core import db
from cam.core.db import SessionFactory, unit_of_work
from cam.core.mailboxes import MailboxError
from cam.replies.snippets import SnippetFileError

log = logging.getLogger(__name__)

THREADS = 16


def serve() -> None:
    """Run the bot until SIGTERM or SIGINT (the `cam-bot` command)."""
    startup.parse_args(sys.argv[1:])
    try:
        settings = load_bot_settings()
        # The mailboxes file and its password variables: a mistake stops the start in one line.
        runtime = Runtime(ProcessConfig.load(settings))
        # The snippets file too, with its line: both are read now, and again only on a reload.
        config = LiveConfig(settings, runtime.config)
    except (SettingsProblem, MailboxError, SnippetFileError) as exc:
        _exit_with(str(exc))
    configure_logging(settings.log_level)
    database = db.redacted_url(settings.database_url)
    log.info("cam-bot %s, database %s", version("cam-orchestrator"), database)
    slack_check = SlackTokenCheck(notifier_client(settings))
    health = HealthChecks(head=db.schema_head(), slack=slack_check, gateways=runtime.gateways)
    try:
        unreachable = startup.check_database(runtime.engine, health.head)
        slack_check.start()
    except StartupError as exc:
        runtime.close()
        _exit_with(str(exc))
    if unreachable is not None:
        log.warning("%s; starting anyway, /healthz answers 503 until it answers", unreachable)
    notifier = Notifier(notifier_client(settings), runtime.session_factory, settings, config=config)
    scheduler = BotScheduler(settings, runtime.session_factory, runtime.gateways, notifier)
    worker = Worker()
    bolt_app = create_app(
        settings,
        runtime.session_factory,
        config=config,
        gateways=runtime.gateways,
        worker=worker,
        next_run_time=scheduler.next_run_time,
        deliver_notifications=scheduler.deliver,
    )
    wsgi = make_wsgi_app(bolt_app, settings, runtime.session_factory, health=health)
    _stop_on(signal.SIGTERM)
    _reload_on(signal.SIGHUP, config, runtime.session_factory)
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


def _reload_on(signum: int, config: LiveConfig, sessions: SessionFactory) -> None:
    """Read the files again on `signum`, in a thread of its own: not in the signal handler,
    which interrupts the main thread wherever it is."""

    def reload() -> None:
        try:
            with unit_of_work(sessions) as session:
                reload_files(config, session, by=signal.Signals(signum).name)
        except SQLAlchemyError as exc:  # the reload holds; only its record is lost
            log.warning("reload not recorded: database unreachable (%s)", type(exc).__name__)

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        threading.Thread(target=reload, name="cam-reload", daemon=True).start()

    signal.signal(signum, on_signal)


def _slack_reason(exc: Exception) -> str:
    """Say why a Slack call failed, by Slack's error code, never with the request's token."""
    if isinstance(exc, SlackApiError):
        data = exc.response.data
        return str(data.get("error", "")) if isinstance(data, dict) else "unexpected answer"
    return type(exc).__name__


def _exit_with(message: str, code: int = 2) -> NoReturn:
    print(f"cam-bot: {message}", file=sys.stderr)
    raise SystemExit(code)
