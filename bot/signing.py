"""Signed button values: a payload only this app can have written, checked before it is read.

Slack signs each request, but not what is inside it: a member can send any `value` or
`block_id` back with a genuine signature. So the values that name what a card acts on carry
an HMAC-SHA256 of their JSON, under `CAM_SECRET_KEY` (or the Slack signing secret when that
is unset), kept apart from the key's other uses by a purpose prefix.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import TypeVar

from bot.payloads import BadPayload, _Payload
from bot.settings import BotSettings

# Keeps these MACs apart from any other use of the same key (unsubscribe links, ...).
_PURPOSE = b"cam-slack-value-v1\x00"
P = TypeVar("P", bound=_Payload)


class Signer:
    """Sign payloads into button values, and read back only those signed with our key."""

    def __init__(self, key: str) -> None:
        if not key:
            raise ValueError("a signing key is needed for button values")
        self._key = key.encode("utf-8")

    def sign(self, payload: _Payload) -> str:
        body = payload.dump()
        return f"{body}.{self._mac(body)}"

    def read(self, value: object, model: type[P]) -> P:
        """Return the payload of a value we signed; raise `BadPayload` for any other."""
        if not isinstance(value, str):
            raise BadPayload("button value missing")
        body, _, mac = value.rpartition(".")
        if not body or not hmac.compare_digest(mac, self._mac(body)):
            raise BadPayload("button value not signed by CAM")
        return model.parse(body)

    def _mac(self, body: str) -> str:
        digest = hmac.new(self._key, _PURPOSE + body.encode("utf-8"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def signer_of(settings: BotSettings) -> Signer:
    """The app's signer: `CAM_SECRET_KEY`, else the Slack signing secret."""
    key = settings.secret_key.get_secret_value() or settings.slack_signing_secret.get_secret_value()
    return Signer(key)
