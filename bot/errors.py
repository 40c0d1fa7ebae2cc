"""Errors a Slack user is told about, and the one place that words them."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from bot.payloads import BadPayload
from cam.core import db, events
from cam.core.events import EventPayload
from cam.escalation.outcomes import UnknownApproval
from cam.escalation.tasks import UnknownTask
from cam.replies.opt_out_review import NotAnOptOutGuess
from cam.replies.suppressions import NotSuppressed, RestoreRefused
from cam.replies.triage import TriageRefused, UnknownReply


class Refused(Exception):
    """The user may not do this (not an approver, paused, not live yet): the text says why."""


def refused(session: Session, event: EventPayload, text: str) -> Refused:
    """Undo what the request did and keep only the record of its refusal; return the error.

    The request's session is rolled back when the error is raised: the record is committed
    first, on the same session, so no second connection waits for the first one's lock.
    """
    session.rollback()
    events.record(session, event)
    session.commit()
    return Refused(text)


def user_message(error: Exception) -> str:
    """Say what went wrong in words fit for Slack: never a traceback, never a secret."""
    if isinstance(error, Refused):
        return str(error)
    if isinstance(error, BadPayload):
        return f"That button is not one I understand: {error}"
    if isinstance(error, UnknownApproval):
        return "That approval no longer exists."
    if isinstance(error, UnknownTask):
        return "That task no longer exists."
    if isinstance(error, UnknownReply):
        return "That reply no longer exists."
    if isinstance(error, TriageRefused | NotAnOptOutGuess | RestoreRefused | NotSuppressed):
        return f"Not done: {error}."
    if isinstance(error, DBAPIError) and db.tables_missing(error):
        return (
            "Not done: CAM's database has no tables for this version yet. An admin runs "
            "`cam db upgrade`."
        )
    if isinstance(error, OperationalError):
        problem = db.storage_problem(error)
        if problem is not None:
            return f"Not done: {problem}. An admin must fix it; nothing can be stored until then."
        return "The database cannot be reached right now; try again in a minute."
    if isinstance(error, SlackApiError):
        return f"Slack refused a call: {error.response.get('error', 'unknown error')}"
    return f"Something went wrong ({type(error).__name__}); it has been logged."
