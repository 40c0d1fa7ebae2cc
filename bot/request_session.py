"""One database session per Slack request, handed to its listener as `db_session`.

As Netflix's dispatch does, a global middleware (bot/app.py) puts the request's session in
Bolt's context, and Bolt gives it to any listener that declares `db_session: Session`. But in
Bolt for Python a middleware's `next()` only lets the chain go on: the listener runs after
every middleware has returned, so no middleware can commit after it.
`in_request_session(listener)`, applied where such a listener is registered, ends the session:
committed when the listener returns, rolled back when it raises (before the error handler
tells the user), closed either way, and unusable after that, so a job that kept it by mistake
fails loudly instead of holding a lock.

The session is lazy: it connects and begins only when the listener first uses it, so a request
answered from memory (`/cam status`) opens no transaction. On SQLite every transaction begins
with `BEGIN IMMEDIATE`, the write lock, so a listener commits before anything that may wait
on it: a call to Slack's Web API, an engine service that opens its own transaction (a claim
that rolls back as a whole; on SQLite it would wait for this one's lock), or work handed to
the worker (which must also see what the request stored). The worker's jobs outlive the
request and open units of work of their own. Commits that wrote invalidate the cached answers
(bot/command_cache.py: `invalidating`).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import ParamSpec, TypeVar, cast

from sqlalchemy.orm import Session

from cam.core.db import SessionFactory

SESSION = "db_session"

P = ParamSpec("P")
R = TypeVar("R")


def new_session(sessions: SessionFactory) -> Session:
    """A request's session: it connects on first use, and is unusable once closed."""
    return sessions(close_resets_only=False)


def in_request_session(listener: Callable[P, R]) -> Callable[P, R]:
    """Run `listener` as its request's unit of work: commit if it returns, roll back if not."""
    if SESSION not in inspect.signature(listener).parameters:
        raise TypeError(f"{listener.__name__} takes no `{SESSION}`: it has no unit of work to end")

    @functools.wraps(listener)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        session = cast(Session, kwargs[SESSION])
        with session:
            try:
                result = listener(*args, **kwargs)
            except BaseException:
                session.rollback()
                raise
            if session.in_transaction():  # else it was never used, or is committed already
                session.commit()
        return result

    return run
