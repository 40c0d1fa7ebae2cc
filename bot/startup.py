"""What `cam-bot` checks as it starts, and keeps answering in `/healthz` afterwards.

A platform boots the bot while its network, its database or Slack may still be coming up. So
only what a person must fix stops the start (exit 2, one line): settings, a database that does
not exist, a schema `cam db upgrade` has not brought up to date, a token Slack refuses. Slack
not answering is no reason to stop: the bot serves, `/healthz` says it is degraded, and the
token is verified as soon as Slack answers (the notifier keeps what it has to post meanwhile).
"""

from __future__ import annotations

import argparse
import logging
import threading
from dataclasses import dataclass
from importlib.metadata import version

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Connection, Engine

from cam.core import db
from cam.core.backoff import Backoff
from cam.core.ports import Gateways

log = logging.getLogger(__name__)

# Slack is asked again after 1 s, then twice as long each time, up to a minute.
SLACK_RETRY = Backoff(first=1.0, cap=60.0)
DESCRIPTION = (
    "Run CAM Orchestrator's Slack app: /slack/events, /healthz and the unsubscribe links on "
    "$PORT, the daily cycle on $CAM_SCHEDULE, the send pass and the notifier. Settings come "
    "from the environment or .env (see the README's Configuration); `cam check` tells what "
    "is missing before going live."
)


class StartupError(Exception):
    """Something a person must fix before the bot can run; the message says what."""


def parse_args(argv: list[str]) -> None:
    """Answer `--help` and `--version` before any setting is read."""
    parser = argparse.ArgumentParser(prog="cam-bot", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"cam-bot {_version()}")
    parser.parse_args(argv)


def _version() -> str:
    return version("cam-orchestrator")


@dataclass(frozen=True)
class HealthChecks:
    """What `/healthz` and `/readyz` check besides the database answering: its schema,
    Slack, and (`/readyz`, once live) that every sender mailbox can send."""

    head: str
    slack: SlackTokenCheck | None = None
    gateways: Gateways | None = None


def check_database(engine: Engine, head: str) -> str | None:
    """Raise `StartupError` if the schema needs a person; return why it cannot be read, or None.

    An unreachable database does not stop the start (it may be booting too): `/healthz`
    answers 503 until it answers.
    """
    url = db.redacted_url(engine.url.render_as_string(hide_password=False))
    try:
        with engine.connect() as connection:
            advice = schema_problem(connection, head)
    except Exception as exc:
        if db.database_missing(exc):
            raise StartupError(
                f"the database at {url} does not exist: create it, then run `cam db upgrade`"
            ) from None
        return f"database unreachable ({type(exc).__name__})"
    if advice is not None:
        raise StartupError(f"{advice} (database {url})")
    return None


def schema_problem(connection: Connection, head: str) -> str | None:
    """Say what is wrong with the schema behind `connection`, or None when it is current."""
    state, revision = db.schema_state(connection, head)
    return db.schema_advice(state, revision, head)


class SlackTokenCheck:
    """The bot token, verified with `auth.test`; retried in the background while Slack is away."""

    def __init__(self, client: WebClient) -> None:
        self._client = client
        self._stop = threading.Event()
        self.problem: str | None = "Slack not checked yet"

    def start(self) -> None:
        """Check once; raise `StartupError` if Slack refuses the token, retry if it is away."""
        refused = self._check()
        if refused is not None:
            raise StartupError(f"Slack refused SLACK_BOT_TOKEN: {refused}")
        if self.problem is not None:
            log.warning(
                "%s; starting anyway, the token is checked again when Slack answers", self.problem
            )
            threading.Thread(target=self._retry, name="cam-slack-check", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def _retry(self) -> None:
        attempt = 1
        while self.problem is not None and not self._stop.wait(SLACK_RETRY.delay(attempt)):
            attempt += 1
            refused = self._check()
            if refused is not None:
                log.error("Slack refused SLACK_BOT_TOKEN: %s", refused)
                return
        if self.problem is None:
            log.info("Slack answers: the bot token is valid")

    def _check(self) -> str | None:
        """Set `problem`; return Slack's error code if Slack answered and refused the token."""
        try:
            self._client.auth_test()
        except SlackApiError as exc:
            status = exc.response.status_code
            if status >= 500 or status == 429:
                self.problem = f"Slack unreachable (HTTP {status})"
                return None
            data = exc.response.data
            error = str(data.get("error", "")) if isinstance(data, dict) else "unexpected answer"
            self.problem = f"Slack refused the bot token ({error})"
            return error
        except OSError as exc:
            self.problem = f"Slack unreachable ({type(exc).__name__})"
            return None
        self.problem = None
        return None
