"""Bolt middleware called directly, without Bolt's argument injection.

Bolt calls a function middleware (`app.middleware(func)`) through its argument injection,
which builds some thirty candidate arguments per call (payload views, `say`, `respond`, ...)
to pick the few the function names: about 15 us a middleware and request, a tenth of the
CPU a bare Bolt app spends on a whole request. The bot's middlewares need the request and
`next` only, so they are handed exactly those.
"""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import BoltResponse
from slack_bolt.middleware import Middleware
from slack_bolt.request import BoltRequest

# `func(req, next)`: return `next()` to go on, or a response to answer with at once.
Step = Callable[[BoltRequest, Callable[[], BoltResponse]], BoltResponse | None]


class Direct(Middleware):
    """A middleware that calls `func(req, next)`; `req.context` is the request's context."""

    def __init__(self, func: Step) -> None:
        self._func = func

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        return self._func(req, next)

    @property
    def name(self) -> str:
        return f"Direct({getattr(self._func, '__qualname__', repr(self._func))})"
