"""What each notification carries: one pydantic model per topic, the engine-bot contract.

The engine builds every row with `notice()`, which checks the payload is its topic's model;
the bot reads it back with `payload_of()`, which validates it again. No one reads a payload
as a bare dict.
"""

from __future__ import annotations

from typing import TypedDict, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement

from cam.core.columns import JsonObject
from cam.core.enums import AnswerEvent, SwitchAction
from cam.core.models import Notification, NotificationTopic


class WrongPayload(TypeError):
    """A payload model that is not the one its topic carries."""


class NoticePayload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CyclePayload(NoticePayload):
    """A cycle's report, or the news that it was interrupted."""

    cycle_id: int = Field(gt=0)


class ApprovalPayload(NoticePayload):
    approval_id: int = Field(gt=0)


class TaskPayload(NoticePayload):
    task_id: int = Field(gt=0)


class ReplyCardPayload(NoticePayload):
    reply_id: int = Field(gt=0)
    lead_id: int | None = None


class DigestPayload(NoticePayload):
    """A digest, or its chart uploaded into the digest's thread."""

    digest_id: int = Field(gt=0)


class ThreadReplyPayload(NoticePayload):
    """A reply the bot posts in the thread of a message it delivered, rendered already (its
    Block Kit built by the bot: the engine only keeps it)."""

    text: str
    blocks: list[JsonObject]


class SwitchPayload(NoticePayload):
    """A switch changed from the terminal: which, for which mailbox (None: the team), by whom
    (the OS user and host, as `user@host`)."""

    action: SwitchAction
    mailbox: str | None = None
    by: str


class ScheduledAnswerPayload(NoticePayload):
    """An answer scheduled for when a prospect is back, and what became of it: the row says
    who, when and why; the bot posts it in the thread of the reply's card."""

    answer_id: int = Field(gt=0)
    event: AnswerEvent


PAYLOADS: dict[NotificationTopic, type[NoticePayload]] = {
    NotificationTopic.cycle_report: CyclePayload,
    NotificationTopic.cycle_interrupted: CyclePayload,
    NotificationTopic.approval: ApprovalPayload,
    NotificationTopic.task: TaskPayload,
    NotificationTopic.thread_reply: ThreadReplyPayload,
    NotificationTopic.reply_card: ReplyCardPayload,
    NotificationTopic.digest: DigestPayload,
    NotificationTopic.digest_chart: DigestPayload,
    NotificationTopic.switch_changed: SwitchPayload,
    NotificationTopic.scheduled_answer: ScheduledAnswerPayload,
}

P = TypeVar("P", bound=NoticePayload)


def _check(topic: NotificationTopic, model: type[NoticePayload]) -> None:
    if PAYLOADS[topic] is not model:
        raise WrongPayload(f"a {topic.value} notification carries {PAYLOADS[topic].__name__}")


def notice(
    topic: NotificationTopic, payload: NoticePayload, *, parent_id: int | None = None
) -> Notification:
    """A new notification row announcing `payload` under `topic`."""
    _check(topic, type(payload))
    return Notification(topic=topic, payload=payload.model_dump(mode="json"), parent_id=parent_id)


class NoticeRow(TypedDict):
    """A notification's columns, as values for a bulk INSERT."""

    topic: NotificationTopic
    payload: JsonObject
    parent_id: int | None


def row(
    topic: NotificationTopic, payload: NoticePayload, *, parent_id: int | None = None
) -> NoticeRow:
    """The same row as `notice`, as values for a bulk INSERT."""
    _check(topic, type(payload))
    return {"topic": topic, "payload": payload.model_dump(mode="json"), "parent_id": parent_id}


def payload_of(notification: Notification, model: type[P]) -> P:
    """Read the row's payload as `model`, which must be its topic's (validated again)."""
    _check(NotificationTopic(notification.topic), model)
    return model.model_validate(notification.payload or {})


def id_field(topic: NotificationTopic, key: str) -> ColumnElement[int]:
    """The payload's integer field `key` in SQL, for finding the rows about one item; `key`
    must be a field of the topic's model."""
    if key not in PAYLOADS[topic].model_fields:
        raise WrongPayload(f"a {topic.value} notification has no {key}")
    field: ColumnElement[int] = Notification.payload[key].as_integer()
    return field
