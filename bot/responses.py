"""Plain HTTP answers of the bot's own pages: text, HTML documents, 405s, body sizes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


def content_length(environ: WSGIEnvironment) -> int | None:
    """The request's declared body size; None when it is not a size."""
    raw = environ.get("CONTENT_LENGTH") or "0"
    try:
        length = int(raw)
    except ValueError:
        return None
    return length if length >= 0 else None


def page(start_response: StartResponse, status: str, title: str, body: str) -> Iterable[bytes]:
    """A small HTML document; `title` and `body` are ours, never the visitor's text."""
    document = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>"
    )
    return reply(start_response, status, document, "text/html; charset=utf-8")


def reply(
    start_response: StartResponse,
    status: str,
    body: str,
    content_type: str = "text/plain; charset=utf-8",
    extra: list[tuple[str, str]] | None = None,
) -> Iterable[bytes]:
    """Answer with `body`, never cached, its type not sniffed."""
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


def not_allowed(start_response: StartResponse, allow: str) -> Iterable[bytes]:
    return reply(
        start_response, "405 Method Not Allowed", "Method not allowed.\n", extra=[("Allow", allow)]
    )
