"""Request bodies and query parsing of the API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import HTTPException
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Priority = Annotated[int, Field(strict=True, ge=1, le=10, description="1 lowest ... 10 highest")]
TaskId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


def _reason(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("a reason is required: say why this change is made")
    if len(value) > 2000:
        raise ValueError("keep the reason under 2000 characters")
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Reasoned(Strict):
    reason: str

    @field_validator("reason")
    @classmethod
    def _check_reason(cls, value: str) -> str:
        return _reason(value)


class CancelBody(Reasoned):
    pass


class RetryBody(Reasoned):
    priority: Priority | None = None


class PriorityBody(Reasoned):
    priority: Priority


class QuotaBody(Reasoned):
    limit: Annotated[
        int, Field(strict=True, ge=1, le=100_000, description="tasks queued or running")
    ]


class SubmitBody(Strict):
    name: str = Field(min_length=1, max_length=200)
    args: list[Any] = Field(default_factory=list)
    kwargs: dict[str, Any] = Field(default_factory=dict)
    queue: str | None = Field(default=None, max_length=100)
    priority: Priority = 5
    user: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.@-]+$")


class FilterBody(Strict):
    failure_group: str | None = Field(default=None, max_length=64)
    name: str | None = Field(default=None, max_length=200)
    state: str | None = None
    user: str | None = Field(default=None, max_length=150)
    queue: str | None = Field(default=None, max_length=100)
    since: float | datetime | None = None
    until: float | datetime | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> FilterBody:
        if not any(v is not None for v in self.model_dump().values()):
            raise ValueError("the filter is empty; give at least one of its fields, or task_ids")
        return self


class BulkBody(Reasoned):
    action: Literal["cancel", "retry", "priority"]
    task_ids: list[TaskId] | None = Field(default=None, min_length=1, max_length=100_000)
    filter: FilterBody | None = None
    priority: Priority | None = None
    idempotency_key: str = Field(min_length=8, max_length=200)
    dry_run: bool = False

    @model_validator(mode="after")
    def _check(self) -> BulkBody:
        if (self.task_ids is None) == (self.filter is None):
            raise ValueError("give either task_ids or filter, not both and not neither")
        if self.action == "priority" and self.priority is None:
            raise ValueError("a priority action needs priority (1-10)")
        if self.action == "cancel" and self.priority is not None:
            raise ValueError("a cancel takes no priority")
        return self


def parse_time(value: str | None, name: str) -> float | None:
    """Epoch seconds or ISO 8601; anything else is a 422 naming the parameter."""
    if value is None or value == "":
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise HTTPException(
            422,
            f"{name}: {value!r} is not a time; use epoch seconds or ISO 8601 (2026-01-31T12:00:00Z)",
        ) from None
    return parsed.timestamp()


def as_epoch(value: float | datetime | None) -> float | None:
    if isinstance(value, datetime):
        return value.timestamp()
    return value
