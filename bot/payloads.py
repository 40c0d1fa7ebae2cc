"""The small typed payloads that travel in a button's `value`, parsed back once."""

from __future__ import annotations

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


class ReplyRef(_Payload):
    reply_id: int = Field(gt=0)


class RestoreRef(_Payload):
    """An address to restore and why, carried from `/cam restore` to its confirm buttons."""

    email: str = Field(min_length=3, max_length=320)
    reason: str = Field(min_length=1, max_length=500)
