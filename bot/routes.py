"""The bot's HTTP face: `/slack/events`, `/healthz`, `/readyz`, `/unsubscribe/<token>`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from slack_bolt import App

from bot.app import slack_handler
from bot.health import answer_health, answer_ready
from bot.responses import content_length, not_allowed, reply
from bot.settings import BotSettings
from bot.startup import HealthChecks
from bot.unsubscribe_pages import UNSUBSCRIBE_PREFIX, unsubscribe_page, unsubscribe_post
from cam.core import db
from cam.core.db import SessionFactory

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

# Slack's payloads and an RFC 8058 POST are small; anything bigger is refused unread.
MAX_BODY = 1_000_000


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
        length = content_length(environ)
        if length is None or length > MAX_BODY:
            return reply(start_response, "413 Content Too Large", "Request body too large.\n")
        if path == "/slack/events":
            if method != "POST":
                return not_allowed(start_response, "POST")
            return slack(environ, start_response)
        if path in ("/healthz", "/readyz"):
            if method not in ("GET", "HEAD"):
                return not_allowed(start_response, "GET, HEAD")
            answer = answer_health if path == "/healthz" else answer_ready
            return answer(start_response, session_factory, checks)
        if path.startswith(UNSUBSCRIBE_PREFIX):
            token = path[len(UNSUBSCRIBE_PREFIX) :]
            if method in ("GET", "HEAD"):
                return unsubscribe_page(start_response, secret, token)
            if method == "POST":
                return unsubscribe_post(environ, start_response, session_factory, secret, token)
            return not_allowed(start_response, "GET, HEAD, POST")
        return reply(start_response, "404 Not Found", "Not found.\n")

    return app
