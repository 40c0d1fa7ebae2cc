"""A small pool that runs slow work (cycles, CRM calls, Slack updates) after the ack."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

log = logging.getLogger(__name__)


class Worker:
    """Run jobs on a few threads; a failing job is logged and reported, never lost silently.

    Few threads on purpose: cycles are serialized by the database anyway, and each Slack user
    waits on at most one job at a time.
    """

    def __init__(self, max_workers: int = 2) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="cam-work")
        self._running: set[Future[None]] = set()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)

    def submit(
        self,
        name: str,
        job: Callable[[], None],
        *,
        on_error: Callable[[Exception], object] | None = None,
    ) -> Future[None]:
        """Run `job` soon; if it raises, log it and hand the error to `on_error`."""

        def run() -> None:
            try:
                job()
            except Exception as exc:
                log.exception("background job %s failed", name)
                if on_error is not None:
                    try:
                        on_error(exc)
                    except Exception:
                        log.exception("reporting the failure of %s failed too", name)

        with self._lock:
            future = self._pool.submit(run)
            self._running.add(future)
        future.add_done_callback(self._done)
        return future

    def _done(self, future: Future[None]) -> None:
        with self._lock:
            self._running.discard(future)
            if not self._running:
                self._idle.notify_all()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until no job runs or waits; False if `timeout` passed first."""
        with self._lock:
            return self._idle.wait_for(lambda: not self._running, timeout=timeout)

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop taking jobs; with `wait`, let the running ones finish."""
        self._pool.shutdown(wait=wait, cancel_futures=not wait)
