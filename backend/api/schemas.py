"""Request bodies and query parameters of the API; the answers are taskdeck_core.api_types.

Each rule a body must keep is in its JSON schema too (patterns, enums, which
fields go together), so the OpenAPI says exactly what is accepted.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from taskdeck_core.api_types import TaskState
from taskdeck_core.transport import QUEUES
from taskdeck_core.worker_commands import NAME_PATTERN, RATE_PATTERN, WORKER_COMMAND_ARGS


def _whole(value: Any) -> Any:
    """A JSON number without a fraction (5.0) is the integer it equals; 5.5, "5" and true are not."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Priority = Annotated[
    int,
    Field(strict=True, ge=1, le=10, description="1 lowest ... 10 highest"),
    BeforeValidator(_whole),
]
TASK_ID_PATTERN = r"^[A-Za-z0-9_.:-]+$"
TaskId = Annotated[str, Field(min_length=1, max_length=64, pattern=TASK_ID_PATTERN)]
USER_PATTERN = r"^[A-Za-z0-9_.@-]+$"
# The data-sync system's queues, for submitting its tasks.
QueueName = Annotated[str, Field(max_length=100, json_schema_extra={"enum": list(QUEUES)})]
# A time: epoch seconds, or ISO 8601 (2026-01-31T12:00:00Z).
Time = Annotated[float, Field(allow_inf_nan=False)] | datetime
State = Annotated[TaskState, BeforeValidator(lambda v: v.upper() if isinstance(v, str) else v)]


# Some character that is not blank. Python's \s also counts \x1c-\x1f and \x85 as blank,
# JSON Schema's (ECMAScript's) \ufeff: naming all three makes both read it alike.
NOT_BLANK = r"[^\s\x1c-\x1f\x85\ufeff]"


def _reason(value: str) -> str:
    if not re.search(NOT_BLANK, value):
        raise ValueError("a reason is required: say why this change is made")
    return value.strip()


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Reasoned(Strict):
    reason: str = Field(
        min_length=1, max_length=2000, description="why this change is made (not blank)",
        json_schema_extra={"pattern": NOT_BLANK},
    )  # fmt: skip

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
        int,
        Field(strict=True, ge=1, le=100_000, description="tasks queued or running"),
        BeforeValidator(_whole),
    ]


# A task's arguments (args and kwargs together, as compact UTF-8 JSON) take at most this
# much. They travel in the broker's message, the lifecycle stream and the ledger, and
# GET /tasks/{id} and the console show them whole, so a task carries references (a file
# id, a URL), not the data: the data-sync tasks' arguments take well under 1 KiB. 256 KiB
# leaves room for any reasonable set of references, keeps a user's quota of queued
# messages (10 by default) within a few MiB of the broker's memory, and is the largest
# message common brokers take (SQS), so a task that fits here fits anywhere.
MAX_ARGUMENTS_BYTES = 256 << 10
_ARGUMENTS = (
    f"with kwargs, at most {MAX_ARGUMENTS_BYTES:,} bytes as compact JSON (413 "
    "arguments_too_large beyond): pass references to large data, not the data"
)


def arguments_size(args: list[Any], kwargs: dict[str, Any]) -> int:
    """Bytes of a task's arguments as compact UTF-8 JSON."""
    text = json.dumps([args, kwargs], ensure_ascii=False, separators=(",", ":"))
    return len(text.encode()) - 3  # not the list around them: "[", ",", "]"


class SubmitBody(Strict):
    name: str = Field(
        min_length=1, max_length=200, description="a registered task (the schema lists them)"
    )
    args: list[Any] = Field(default_factory=list, description=f"positional arguments; {_ARGUMENTS}")
    kwargs: dict[str, Any] = Field(
        default_factory=dict, description=f"keyword arguments; {_ARGUMENTS}"
    )
    queue: QueueName | None = None
    priority: Priority = 5
    user: str = Field(min_length=1, max_length=100, pattern=USER_PATTERN)
    idempotency_key: str | None = Field(
        default=None, min_length=8, max_length=200,
        description="the caller's key for this submission: sent again with the same request "
        "(within TASKDECK_IDEMPOTENCY_S, a day), it answers the same task id and publishes "
        "nothing; with another request, 409 idempotency_key_reused",
    )  # fmt: skip


def _one_of_given(*fields: str) -> dict[str, Any]:
    """JSON schema: at least one of ``fields`` is present and not null."""
    return {
        "anyOf": [{"required": [f], "properties": {f: {"not": {"type": "null"}}}} for f in fields]
    }


_FILTER_FIELDS = ("failure_group", "name", "state", "user", "queue", "since", "until", "lost")


class FilterBody(Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_one_of_given(*_FILTER_FIELDS))

    failure_group: str | None = Field(default=None, max_length=64)
    name: str | None = Field(default=None, max_length=200)
    state: State | None = None
    user: str | None = Field(default=None, max_length=150)
    queue: str | None = Field(default=None, max_length=100)
    since: Time | None = None
    until: Time | None = None
    lost: bool | None = Field(
        default=None, description="true: only tasks the broker lost; false: none of them"
    )
    retried: bool | None = Field(
        default=None,
        description="true: only tasks TaskDeck retried already; false: none of them (with "
        "another field: alone it would name nearly the whole ledger)",
    )

    @model_validator(mode="after")
    def _not_empty(self) -> FilterBody:
        if not any(v is not None for k, v in self.model_dump().items() if k != "retried"):
            raise ValueError("the filter is empty; give at least one of its fields, or task_ids")
        return self


_NULL = {"type": "null"}
_NOT_NULL = {"not": _NULL}
_BULK_RULES: dict[str, Any] = {
    "allOf": [
        {
            "anyOf": [
                {"required": ["task_ids"], "properties": {"task_ids": _NOT_NULL, "filter": _NULL}},
                {"required": ["filter"], "properties": {"filter": _NOT_NULL, "task_ids": _NULL}},
            ]
        },
        {
            "anyOf": [
                {"properties": {"action": {"const": "retry"}}},
                {"properties": {"action": {"const": "cancel"}, "priority": _NULL}},
                {"required": ["priority"],
                 "properties": {"action": {"const": "priority"}, "priority": _NOT_NULL}},
            ]
        },
    ]
}  # fmt: skip


class BulkBody(Reasoned):
    """task_ids or filter (exactly one); priority for a priority action, none for a cancel."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_BULK_RULES)

    action: Literal["cancel", "retry", "priority"]
    task_ids: list[TaskId] | None = Field(default=None, min_length=1, max_length=100_000)
    filter: FilterBody | None = None
    priority: Priority | None = None
    idempotency_key: str = Field(min_length=8, max_length=200)
    dry_run: bool = Field(default=False, strict=True, description="only count, change nothing")

    @model_validator(mode="after")
    def _check(self) -> BulkBody:
        if (self.task_ids is None) == (self.filter is None):
            raise ValueError("give either task_ids or filter, not both and not neither")
        if self.action == "priority" and self.priority is None:
            raise ValueError("a priority action needs priority (1-10)")
        if self.action == "cancel" and self.priority is not None:
            raise ValueError("a cancel takes no priority")
        return self


def as_epoch(value: float | datetime | None) -> float | None:
    if isinstance(value, datetime):
        return value.timestamp()
    return value


# -- worker controls ---------------------------------------------------------------------

WorkerCommand = Literal[
    "pool_grow", "pool_shrink", "autoscale", "rate_limit", "time_limit", "add_consumer",
    "cancel_consumer", "shutdown",
]  # fmt: skip
MAX_TIME_LIMIT_S = 7 * 86400.0
_Seconds = Annotated[float, Field(gt=0, le=MAX_TIME_LIMIT_S, allow_inf_nan=False)]


_CONTROL_ARGS = ("n", "max", "min", "task_name", "rate", "soft", "hard", "queue")
_CONTROL_NEEDS: dict[str, tuple[str, ...]] = {
    "pool_grow": ("n",), "pool_shrink": ("n",), "autoscale": ("max", "min"),
    "rate_limit": ("task_name", "rate"), "time_limit": ("task_name",),
    "add_consumer": ("queue",), "cancel_consumer": ("queue",), "shutdown": (),
}  # fmt: skip


def _given(*names: str) -> dict[str, Any]:
    return {"required": list(names), "properties": dict.fromkeys(names, _NOT_NULL)}


def _command_rule(command: str) -> dict[str, Any]:
    """The schema of one command's arguments: the ones it needs, none it does not take."""
    needs = _given(*_CONTROL_NEEDS[command])
    rule: dict[str, Any] = {
        "required": needs["required"],
        "properties": {
            "command": {"const": command},
            **needs["properties"],
            **{a: _NULL for a in _CONTROL_ARGS if a not in WORKER_COMMAND_ARGS[command]},
        },
    }
    if command == "time_limit":
        rule["anyOf"] = [_given("soft"), _given("hard")]
    return rule


_CONTROL_RULES: dict[str, Any] = {"anyOf": [_command_rule(c) for c in WORKER_COMMAND_ARGS]}


class WorkerControlBody(Reasoned):
    """A command for some workers, with the arguments that command takes (and no others);
    time_limit's soft below its hard, autoscale's min at most its max."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_CONTROL_RULES)

    workers: list[Annotated[str, Field(min_length=1, max_length=200, pattern=NAME_PATTERN)]] = (
        Field(min_length=1, max_length=50, description="hostnames, e.g. worker1@host")
    )
    command: WorkerCommand
    n: Annotated[int, Field(strict=True, ge=1, le=64), BeforeValidator(_whole)] | None = Field(
        default=None, description="pool_grow, pool_shrink: processes to add or remove"
    )
    max: Annotated[int, Field(strict=True, ge=1, le=256), BeforeValidator(_whole)] | None = Field(
        default=None, description="autoscale: the most processes"
    )
    min: Annotated[int, Field(strict=True, ge=0, le=256), BeforeValidator(_whole)] | None = Field(
        default=None, description="autoscale: the fewest processes (at most max)"
    )
    task_name: str | None = Field(
        default=None, min_length=1, max_length=200, pattern=NAME_PATTERN,
        description="rate_limit, time_limit: the task type, e.g. data_sync.sync_single_file",
    )  # fmt: skip
    rate: str | None = Field(
        default=None, max_length=12, pattern=RATE_PATTERN,
        description='rate_limit: tasks per second, minute or hour ("10/m", "5/s", "100/h"); '
        '"0" removes the limit',
    )  # fmt: skip
    soft: _Seconds | None = Field(
        default=None,
        description="time_limit: soft limit in seconds (the task is told); a limit left out "
        "is removed, as Celery sets both",
    )
    hard: _Seconds | None = Field(
        default=None, description="time_limit: hard limit in seconds (the process is killed)"
    )
    queue: str | None = Field(
        default=None, min_length=1, max_length=100, pattern=NAME_PATTERN,
        description="add_consumer, cancel_consumer: the queue's name",
    )  # fmt: skip

    @field_validator("rate", mode="before")
    @classmethod
    def _check_rate(cls, value: Any) -> Any:
        if isinstance(value, str) and not re.fullmatch(RATE_PATTERN, value):
            raise ValueError(
                'a rate is tasks per second, minute or hour, e.g. "10/m", "5/s", "100/h", '
                'or "0" to remove the limit'
            )
        return value

    @model_validator(mode="after")
    def _arguments(self) -> WorkerControlBody:
        takes = WORKER_COMMAND_ARGS[self.command]
        given = {k for k in _CONTROL_ARGS if getattr(self, k) is not None}
        extra = sorted(given - set(takes))
        if extra:
            allowed = ", ".join(takes) or "no arguments"
            raise ValueError(f"{self.command} takes {allowed}; not {', '.join(extra)}")
        missing = [k for k in _CONTROL_NEEDS[self.command] if getattr(self, k) is None]
        if missing:
            raise ValueError(f"{self.command} needs {', '.join(missing)}")
        if self.command == "time_limit":
            if self.soft is None and self.hard is None:
                raise ValueError("time_limit needs soft or hard (seconds), or both")
            if self.soft is not None and self.hard is not None and self.soft >= self.hard:
                raise ValueError(
                    f"the soft limit ({self.soft:g} s) must be less than the hard one "
                    f"({self.hard:g} s)"
                )
        if self.command == "autoscale" and self.min is not None and self.max is not None:
            if self.min > self.max:
                raise ValueError(f"autoscale's min ({self.min}) is more than its max ({self.max})")
        return self

    def arguments(self) -> dict[str, Any]:
        """The command's arguments, as given."""
        return {k: getattr(self, k) for k in WORKER_COMMAND_ARGS[self.command]
                if getattr(self, k) is not None}  # fmt: skip
