"""Unsubscribe tokens: the opt-out link's proof that we mailed the address.

A token names the address it was made for and carries an HMAC of it under the team's secret,
so the one-click link (RFC 8058) works without a login or a database lookup, and nobody can
make a working link for an address we did not mail. Mail composition (gateways) puts it in
every message and the opt-out (replies) reads it back, so it lives below both.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from urllib.parse import quote

# Keeps these MACs apart from any other use of the same secret (webhook signatures, ...).
_PURPOSE = b"cam-unsubscribe-v1\x00"
_MAC_BYTES = 32
_MAX_TOKEN_CHARS = 1024


def normalize_email(email: str) -> str:
    """Return the form an address is compared and suppressed in: trimmed, lower case."""
    return email.strip().lower()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, email: str) -> bytes:
    return hmac.new(
        secret.encode("utf-8"), _PURPOSE + email.encode("utf-8"), hashlib.sha256
    ).digest()


def make_token(secret: str, email: str) -> str:
    """Return the URL-safe token that unsubscribes `email`; the same address gives the same one."""
    if not secret:
        raise ValueError("CAM_SECRET_KEY must be set to make unsubscribe links")
    address = normalize_email(email)
    return f"{_b64(address.encode('utf-8'))}.{_b64(_mac(secret, address))}"


def read_token(secret: str, token: str) -> str | None:
    """Return the address a genuine token names, or None for anything else; never raises."""
    if not secret or not isinstance(token, str) or len(token) > _MAX_TOKEN_CHARS:
        return None
    payload, dot, signature = token.partition(".")
    if not dot or not payload or not signature:
        return None
    try:
        raw_address = _unb64(payload)
        address = raw_address.decode("utf-8")
        given = _unb64(signature)
    except (binascii.Error, ValueError):
        return None
    # Only the canonical encoding of a normalized address is ever issued: refuse variants.
    if _b64(raw_address) != payload or _b64(given) != signature:
        return None
    if len(given) != _MAC_BYTES or address != normalize_email(address):
        return None
    if not hmac.compare_digest(given, _mac(secret, address)):
        return None
    return address


def unsubscribe_url(public_url: str, token: str) -> str:
    """Return the one-click link served by the bot's HTTP server."""
    return f"{public_url.rstrip('/')}/unsubscribe/{quote(token, safe='')}"
