"""Task lifecycle records as they travel on the Redis stream, and task states.

The integration (in the workers and producers) appends one record per
lifecycle step; the backend's ledger consumes them. A record is flat so that
it maps onto a Redis stream entry: ``type``, ``task_id``, ``ts`` and a JSON
``data`` field with what that step knows.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from taskdeck_core.safe_json import clean_text, loads_clean

STREAM_KEY = "taskdeck:lifecycle"
CANCELLED_KEY = "taskdeck:cancelled"  # task ids that must never start
LEDGER_GROUP = "taskdeck-ledger"

# Record types, in the order a task normally goes through them.
PUBLISHED = "published"
# In a published record's data: it was rebuilt from the result backend (the events fallback),
# not seen as a publish; the ledger takes its arguments, the metrics do not count it as sent.
REBUILT = "rebuilt"
RECEIVED = "received"
STARTED = "started"
SUCCEEDED = "succeeded"
FAILED = "failed"
RETRIED = "retried"
REVOKED = "revoked"
REJECTED = "rejected"
RECORD_TYPES = (PUBLISHED, RECEIVED, STARTED, SUCCEEDED, FAILED, RETRIED, REVOKED, REJECTED)

# Task states as the ledger and the API name them.
PENDING = "PENDING"  # published, waiting in the broker
STATE_RECEIVED = "RECEIVED"
STATE_STARTED = "STARTED"
SUCCESS = "SUCCESS"
FAILURE = "FAILURE"
RETRY = "RETRY"
STATE_REVOKED = "REVOKED"
STATE_REJECTED = "REJECTED"
STATES = (
    PENDING,
    STATE_RECEIVED,
    STATE_STARTED,
    SUCCESS,
    FAILURE,
    RETRY,
    STATE_REVOKED,
    STATE_REJECTED,
)
FINAL_STATES = frozenset({SUCCESS, FAILURE, STATE_REVOKED, STATE_REJECTED})
OPEN_STATES = frozenset({PENDING, STATE_RECEIVED, STATE_STARTED, RETRY})

STATE_OF = {
    PUBLISHED: PENDING,
    RECEIVED: STATE_RECEIVED,
    STARTED: STATE_STARTED,
    SUCCEEDED: SUCCESS,
    FAILED: FAILURE,
    RETRIED: RETRY,
    REVOKED: STATE_REVOKED,
    REJECTED: STATE_REJECTED,
}


@dataclass(frozen=True)
class LifecycleRecord:
    type: str
    task_id: str
    ts: float
    data: dict[str, Any] = field(default_factory=dict)

    def to_fields(self) -> dict[str, str]:
        return {
            "type": self.type,
            "task_id": self.task_id,
            "ts": repr(self.ts),
            "data": json.dumps(self.data, separators=(",", ":"), default=repr),
        }

    @classmethod
    def from_fields(cls, fields: dict[bytes, bytes] | dict[str, str]) -> LifecycleRecord:
        """Decode a stream entry; raises ValueError for one that is not a lifecycle record,
        saying why in a few words (never the whole entry: it may be megabytes)."""
        if b"type" in fields:
            return cls.from_values(values_of(fields))  # type: ignore[arg-type]
        raw: Any = fields
        try:
            kind, task_id, ts = raw["type"], raw["task_id"], float(raw["ts"])
        except (KeyError, ValueError) as exc:
            raise ValueError(f"not a lifecycle record: {_clip(str(exc))}") from None
        return cls._checked(kind, task_id, ts, raw.get("data") or "{}")

    @classmethod
    def from_values(cls, values: Sequence[bytes]) -> LifecycleRecord:
        """Decode a stream entry given as its values of ``ENTRY_FIELDS`` (b"" for one it
        lacks), as the ingest reads them; like ``from_fields``."""
        try:
            # Only the four fields decoded: entries come by the thousand.
            kind, task_id, ts = values[0].decode(), values[1].decode(), float(values[2])
            text = values[3].decode() if values[3] else "{}"
        except (IndexError, ValueError) as exc:  # UnicodeDecodeError too
            raise ValueError(f"not a lifecycle record: {_clip(str(exc))}") from None
        return cls._checked(kind, task_id, ts, text)

    @classmethod
    def _checked(cls, kind: str, task_id: str, ts: float, text: str) -> LifecycleRecord:
        try:
            task_id = clean_text(task_id)
            data = loads_clean(text)
        except ValueError as exc:
            raise ValueError(f"not a lifecycle record: {_clip(str(exc))}") from None
        except RecursionError:
            raise ValueError("not a lifecycle record: its data is nested too deeply") from None
        if kind not in RECORD_TYPES or not task_id or not isinstance(data, dict):
            raise ValueError(f"not a lifecycle record: type {_clip(repr(kind))}")
        if not math.isfinite(ts):
            raise ValueError(f"not a lifecycle record: its time is {ts}")
        return cls(kind, task_id, ts, data)


# A stream entry's fields, in the order the ingest reads their values.
ENTRY_FIELDS = ("type", "task_id", "ts", "data")
_ENTRY_KEYS = tuple(f.encode() for f in ENTRY_FIELDS)


def values_of(fields: dict[bytes, bytes]) -> tuple[bytes, ...]:
    """A stream entry read as a mapping, as its values of ``ENTRY_FIELDS`` (b"" if lacking)."""
    return tuple(fields.get(key, b"") for key in _ENTRY_KEYS)


def _clip(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
