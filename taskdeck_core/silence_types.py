"""Silences of Alertmanager's alerts, changed through the backend: one definition for both sides.

The console reads alerts and silences from Alertmanager itself; every change (create,
extend, expire) goes through the backend, which records it in its audit log first.
``SilenceMatcher`` is what a silence matches on, as the backend takes it in a request and
the console builds it; the other models are the backend's answers. Pydantic only.
"""

from __future__ import annotations

import json
import re
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from taskdeck_core.api_types import ApiModel

# Prometheus's label names (Alertmanager's matchers take the same).
LABEL_NAME_PATTERN = r"^[a-zA-Z_][a-zA-Z0-9_]*$"
MAX_MATCHERS = 20
MAX_COMMENT = 1000
MAX_DAYS = 90  # how far ahead a silence may end
# A silence's id, as Alertmanager hands it out (a UUID).
SILENCE_ID_PATTERN = (
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)


class SilenceMatcher(BaseModel):
    """One label a silence matches: equal to (or, with ``is_regex``, fully matching) a
    value; with ``is_equal`` false, the opposite (!= or !~)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(
        min_length=1, max_length=100, pattern=LABEL_NAME_PATTERN,
        description="the label's name, e.g. alertname or queue",
    )  # fmt: skip
    value: str = Field(max_length=1000, description="the value, or a regular expression")
    is_regex: bool = Field(default=False, description="value is a regular expression")
    is_equal: bool = Field(default=True, description="false: matches what does not match")

    @model_validator(mode="after")
    def _regex_compiles(self) -> SilenceMatcher:
        if self.is_regex:
            try:
                re.compile(self.value)
            except re.error as exc:
                raise ValueError(
                    f"matcher {self.name}: {self.value[:40]!r} is not a regular expression ({exc})"
                ) from None
        return self

    def text(self) -> str:
        """As Alertmanager writes it: name="value", name!="value", name=~"re", name!~"re"."""
        op = (
            ("=~" if self.is_equal else "!~") if self.is_regex else ("=" if self.is_equal else "!=")
        )
        return f"{self.name}{op}{json.dumps(self.value, ensure_ascii=False)}"


def matchers_text(matchers: list[SilenceMatcher]) -> str:
    """The matchers as Alertmanager shows them: {alertname="X", queue=~"a.*"}."""
    return "{" + ", ".join(m.text() for m in matchers) + "}"


class SilenceCreated(ApiModel):
    """A silence Alertmanager now holds, and the audit entry of its creation."""

    silence_id: str = Field(description="Alertmanager's id of the silence")
    starts_at: datetime
    ends_at: datetime
    created_by: str = Field(description="the user who asked for it, as Alertmanager shows it")
    comment: str
    audit_id: int


class SilenceExtended(ApiModel):
    """A silence that now ends later. Alertmanager keeps the id when it can change the silence
    in place; otherwise it expires the old one and the new one has another id."""

    silence_id: str = Field(description="the id of the silence now in force")
    previous_id: str = Field(description="the id the extension was asked for")
    ends_at: datetime
    audit_id: int


class SilenceExpired(ApiModel):
    """A silence that no longer silences anything."""

    silence_id: str
    audit_id: int
