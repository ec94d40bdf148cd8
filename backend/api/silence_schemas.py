"""The request bodies of the silence routes (backend/api/routes/silences.py)."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

from pydantic import AwareDatetime, Field, field_validator, model_validator

from backend.api.schemas import NOT_BLANK, Reasoned, Strict
from taskdeck_core.silence_types import MAX_COMMENT, MAX_DAYS, MAX_MATCHERS, SilenceMatcher

_AWARE = "with its time zone, e.g. 2026-01-31T12:00:00Z"


def now() -> datetime:
    return datetime.fromtimestamp(time.time(), UTC)


def check_end(ends_at: datetime, field: str = "ends_at") -> datetime:
    """``ends_at`` if it is in the future and at most MAX_DAYS ahead."""
    current = now()
    if ends_at <= current:
        raise ValueError(f"{field} must be in the future (it is {current.isoformat()} now)")
    if ends_at > current + timedelta(days=MAX_DAYS):
        raise ValueError(f"{field} may be at most {MAX_DAYS} days ahead")
    return ends_at


class SilenceCreateBody(Strict):
    matchers: list[SilenceMatcher] = Field(
        min_length=1, max_length=MAX_MATCHERS,
        description="the labels an alert must have to be silenced (all of them)",
    )  # fmt: skip
    starts_at: AwareDatetime | None = Field(default=None, description=f"default now; {_AWARE}")
    ends_at: AwareDatetime = Field(
        description=f"in the future, after starts_at, at most {MAX_DAYS} days ahead; {_AWARE}"
    )
    comment: str = Field(
        min_length=1, max_length=MAX_COMMENT, json_schema_extra={"pattern": NOT_BLANK},
        description="why the alerts are silenced (not blank); Alertmanager shows it",
    )  # fmt: skip

    @field_validator("comment")
    @classmethod
    def _comment(cls, value: str) -> str:
        if not re.search(NOT_BLANK, value):
            raise ValueError("a comment is required: say why these alerts are silenced")
        return value.strip()

    @model_validator(mode="after")
    def _times(self) -> SilenceCreateBody:
        check_end(self.ends_at)
        if self.starts_at is not None and self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class SilenceExtendBody(Reasoned):
    ends_at: AwareDatetime = Field(
        description=f"later than the silence's current end, in the future, at most {MAX_DAYS} "
        f"days ahead; {_AWARE}"
    )

    @field_validator("ends_at")
    @classmethod
    def _end(cls, value: datetime) -> datetime:
        return check_end(value)


class SilenceExpireBody(Reasoned):
    pass
