"""The one-click unsubscribe links (RFC 8058): a page that asks on GET, the act on POST."""

from __future__ import annotations

import html
import logging
from collections.abc import Iterable
from email.parser import BytesParser
from email.policy import HTTP
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from bot.responses import content_length, page, reply
from cam.core.db import SessionFactory, unit_of_work
from cam.core.models import SuppressionSource
from cam.core.safety import Grounds
from cam.core.unsubscribe_tokens import read_token
from cam.replies import unsubscribe

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

log = logging.getLogger(__name__)

UNSUBSCRIBE_PREFIX = "/unsubscribe/"
ONE_CLICK = "One-Click"
MAX_UNSUBSCRIBE_BODY = 8_192
_BAD_LINK = "<p>This unsubscribe link is not valid. Reply to the message to opt out instead.</p>"


def unsubscribe_page(start_response: StartResponse, secret: str, token: str) -> Iterable[bytes]:
    """Ask before acting: mail scanners follow links with GET, and must not unsubscribe anyone."""
    if read_token(secret, token) is None:
        return page(start_response, "400 Bad Request", "Invalid link", _BAD_LINK)
    action = html.escape(UNSUBSCRIBE_PREFIX + token, quote=True)
    form = (
        "<p>Stop all further messages to this address?</p>"
        f'<form method="post" action="{action}">'
        f'<input type="hidden" name="List-Unsubscribe" value="{ONE_CLICK}">'
        '<button type="submit">Unsubscribe</button></form>'
    )
    return page(start_response, "200 OK", "Unsubscribe", form)


def unsubscribe_post(
    environ: WSGIEnvironment,
    start_response: StartResponse,
    session_factory: SessionFactory,
    secret: str,
    token: str,
) -> Iterable[bytes]:
    """Unsubscribe the link's address when the body says One-Click, as mail apps send it."""
    length = content_length(environ) or 0
    if length > MAX_UNSUBSCRIBE_BODY:
        return reply(start_response, "413 Content Too Large", "Request body too large.\n")
    body = environ["wsgi.input"].read(length) if length else b""
    if not _is_one_click(environ.get("CONTENT_TYPE", ""), body):
        return page(
            start_response,
            "400 Bad Request",
            "Bad request",
            f"<p>Expected the form field List-Unsubscribe={ONE_CLICK}.</p>",
        )
    email = read_token(secret, token)
    if email is None:
        return page(start_response, "400 Bad Request", "Invalid link", _BAD_LINK)
    try:
        with unit_of_work(session_factory) as session:
            grounds = Grounds(SuppressionSource.one_click, "POST List-Unsubscribe=One-Click")
            unsubscribe.unsubscribe(session, email, grounds)
    except Exception as exc:
        log.error("unsubscribe not stored: %s", type(exc).__name__)
        return page(
            start_response,
            "503 Service Unavailable",
            "Try again",
            "<p>We could not record your request just now. Please try again in a minute.</p>",
        )
    return page(
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
