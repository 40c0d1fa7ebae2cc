"""A generic CRM webhook: the lead and its reply as signed JSON, for in-house or Zapier CRMs.

The receiver checks `X-CAM-Signature: sha256=<hex>`, the HMAC-SHA256 with the shared secret of
`<X-CAM-Timestamp>.<raw body>`, and rejects old timestamps. `Idempotency-Key` is the same for
every delivery about one lead, so a receiver can drop repeats.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from pydantic import SecretStr

from cam.core.columns import JsonObject
from cam.core.ports import CrmLead, CrmRefs
from cam.core.settings import Settings
from cam.gateways.http_client import JsonHttpClient, RetryPolicy

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-CAM-Signature"
TIMESTAMP_HEADER = "X-CAM-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Return the signature header value for `body` sent at `timestamp`."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


class WebhookCrm:
    name = "crm-webhook"
    configured = True

    def __init__(
        self,
        *,
        url: str,
        secret: SecretStr,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        timeout: float = 15.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._secret = secret
        self._clock = clock
        self._http = JsonHttpClient("CRM webhook", url, timeout=timeout, retry=retry, sleep=sleep)
        if not secret.get_secret_value():
            log.warning("CAM_CRM_WEBHOOK_SECRET is empty: webhook deliveries go unsigned")

    @classmethod
    def from_settings(cls, settings: Settings) -> WebhookCrm:
        return cls(url=settings.crm_webhook_url, secret=settings.crm_webhook_secret)

    def sync(self, lead: CrmLead) -> CrmRefs:
        """POST the escalation; the receiver may answer with its own contact and deal ids."""
        body = json.dumps(_payload(lead), sort_keys=True, separators=(",", ":")).encode()
        timestamp = str(int(self._clock()))
        key = hashlib.sha256(lead.email.lower().encode()).hexdigest()[:32]
        headers = {TIMESTAMP_HEADER: timestamp, IDEMPOTENCY_HEADER: f"cam-escalation-{key}"}
        secret = self._secret.get_secret_value()
        if secret:
            headers[SIGNATURE_HEADER] = sign(secret, timestamp, body)
        answer = self._http.request("POST", "", data=body, headers=headers).body
        ids = answer if isinstance(answer, dict) else {}
        return CrmRefs(
            contact_id=_text(ids.get("contact_id")) or lead.contact_id,
            deal_id=_text(ids.get("deal_id")) or lead.deal_id,
        )


def _payload(lead: CrmLead) -> JsonObject:
    return {
        "event": "lead.escalated",
        "lead": {
            "email": lead.email,
            "first_name": lead.first_name,
            "last_name": lead.last_name,
            "company": lead.company,
            "title": lead.title,
            "score": lead.score,
            "score_reasons": list(lead.score_reasons),
            "contact_id": lead.contact_id,
            "deal_id": lead.deal_id,
        },
        "reply": {"subject": lead.reply_subject, "text": lead.reply_text},
    }


def _text(value: Any) -> str | None:
    return str(value) if isinstance(value, str | int) and str(value) else None
