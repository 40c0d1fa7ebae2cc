"""A small JSON-over-HTTPS client with the retries a CRM API asks for, on urllib alone.

429 waits for `Retry-After` (bounded), 5xx and network failures back off exponentially, a few
times, then raise `GatewayError`. Error texts name the service, the method and the path only:
never a header (tokens live there) nor a query string (webhook URLs may carry a secret).
"""

from __future__ import annotations

import http.client
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from cam.core.backoff import Backoff
from cam.core.models import utcnow
from cam.core.ports import GatewayError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HttpResponse:
    status: int
    body: Any  # parsed JSON, or None for an empty body


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    backoff: float = 0.5  # seconds before the first retry, doubled each time
    max_wait: float = 30.0  # the longest `Retry-After` we are willing to honour


class JsonHttpClient:
    """Send JSON requests to one service; retry what is worth retrying."""

    def __init__(
        self,
        service: str,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float = 15.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if urlsplit(base_url).scheme not in ("http", "https"):
            raise ValueError(f"{service} URL must be http(s)")
        self.service = service
        self.base_url = base_url.rstrip("/")
        self._headers = {"Accept": "application/json", **(headers or {})}
        self._timeout = timeout
        self._retry = retry or RetryPolicy()
        self._backoff = Backoff(first=self._retry.backoff)
        self._sleep = sleep

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: Mapping[str, str] | None = None,
        data: bytes | None = None,
        accept: frozenset[int] = frozenset(),
    ) -> HttpResponse:
        """Send one request; return any 2xx or a status in `accept`, else raise `GatewayError`.

        `data` sends those exact bytes (when a signature covers them); otherwise `body` as JSON.
        """
        payload = data if data is not None else None if body is None else json.dumps(body).encode()
        all_headers = {**self._headers, **(headers or {})}
        if payload is not None:
            all_headers.setdefault("Content-Type", "application/json")
        # The relative path only: a webhook URL itself may carry a secret.
        where = f"{method} {urlsplit(path).path}".rstrip()
        for attempt in range(1, self._retry.attempts + 1):
            last = attempt == self._retry.attempts
            request = urllib.request.Request(  # noqa: S310 (scheme checked in __init__)
                self.base_url + path, data=payload, headers=all_headers, method=method
            )
            try:
                with urllib.request.urlopen(request, timeout=self._timeout) as answer:  # noqa: S310 (scheme checked)
                    return HttpResponse(answer.status, _parse(answer.read()))
            except urllib.error.HTTPError as exc:
                raw = exc.read()
                if exc.code in accept:
                    return HttpResponse(exc.code, _parse(raw))
                if exc.code == 429 and not last:
                    wait = self._retry_after(exc.headers.get("Retry-After"), attempt)
                    log.warning("%s rate-limited %s; retrying in %.1fs", self.service, where, wait)
                    self._sleep(wait)
                    continue
                if exc.code >= 500 and not last:
                    self._back_off(where, f"status {exc.code}", attempt)
                    continue
                raise GatewayError(
                    f"{self.service} answered {exc.code} to {where}{_message(raw)}"
                ) from None
            except (http.client.HTTPException, OSError) as exc:  # OSError: URLError, timeouts
                reason = getattr(exc, "reason", exc)
                if not last:
                    self._back_off(where, str(reason), attempt)
                    continue
                raise GatewayError(f"{self.service} unreachable for {where}: {reason}") from None
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _back_off(self, where: str, why: str, attempt: int) -> None:
        wait = self._backoff.delay(attempt)
        log.warning("%s failed %s (%s); retrying in %.1fs", self.service, where, why, wait)
        self._sleep(wait)

    def _retry_after(self, value: str | None, attempt: int) -> float:
        """Seconds to wait from a `Retry-After` header (seconds or HTTP date), bounded."""
        wait: float | None = None
        if value:
            try:
                wait = float(value)
            except ValueError:
                try:
                    wait = (parsedate_to_datetime(value) - utcnow()).total_seconds()
                except (TypeError, ValueError):
                    wait = None
        if wait is None:
            wait = self._backoff.delay(attempt)
        return min(max(wait, 0.0), self._retry.max_wait)


def _parse(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _message(raw: bytes) -> str:
    """The service's own error message, short, when it sent one as JSON."""
    parsed = _parse(raw)
    if isinstance(parsed, dict) and isinstance(parsed.get("message"), str):
        return f": {parsed['message'][:200]}"
    return ""
