"""The small typed payloads that travel in a button's `value`, parsed back once."""

from __future__ import annotations

import enum
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class BadPayload(ValueError):
    """A button value that is not one of ours (forged, truncated or from an old version)."""


class _Payload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def dump(self) -> str:
        return self.model_dump_json()

    @classmethod
    def parse(cls, value: object) -> Self:
        if not isinstance(value, str):
            raise BadPayload("button value missing")
        try:
            return cls.model_validate_json(value)
        except ValidationError as exc:
            raise BadPayload(
                f"button value not understood ({exc.error_count()} problems)"
            ) from None


class ApprovalRef(_Payload):
    approval_id: int = Field(gt=0)


class TaskRef(_Payload):
    task_id: int = Field(gt=0)
    # Why a task is skipped, chosen from the Skip menu.
    reason: str | None = Field(default=None, max_length=100)


class CardAction(enum.StrEnum):
    """What a reply card lets its reader do, named in its signed values."""

    interested = "interested"
    not_interested = "not_interested"
    # The first click of Unsubscribe only asks; the second, on the question's own button, acts.
    unsubscribe = "unsubscribe"
    unsubscribe_confirmed = "unsubscribe_confirmed"
    snooze = "snooze"
    # Vouch for a teammate's label, so that the classifier learns from it.
    agree = "agree"
    # The answer on a card only the model read as an opt-out.
    confirm_opt_out = "confirm_opt_out"
    not_opt_out = "not_opt_out"
    # Add the stand-in an absence notice names as a lead.
    add_referral = "add_referral"


class CardRef(_Payload):
    """The reply a card shows and the actions it offered: signed (`bot.signing`), so a button
    can only ever act on its own card, and only as the card offered."""

    reply_id: int = Field(gt=0)
    actions: tuple[CardAction, ...] = Field(min_length=1, max_length=len(CardAction))


class ReplyRef(_Payload):
    """The reply a card's Reply button answers; who may answer is checked on submit."""

    reply_id: int = Field(gt=0)


class AnswerRef(_Payload):
    """The answer modal's `private_metadata`: the reply answered."""

    reply_id: int = Field(gt=0)


class ScheduledRef(_Payload):
    """The answer a card's Cancel withdraws: signed (`bot.signing`), so a click can only
    cancel the answer its card showed; who may is checked on the server."""

    answer_id: int = Field(gt=0)


class RestoreRef(_Payload):
    """An address to restore and why, carried from `/cam restore` to its confirm buttons."""

    email: str = Field(min_length=3, max_length=320)
    reason: str = Field(min_length=1, max_length=500)
