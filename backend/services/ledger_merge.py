"""How lifecycle records become a task row: the ledger's write-side logic, without SQL.

A row is worked on as a plain dict of column values (with ``history`` as a
list) inside one ``Ledger.apply`` batch, and never leaves the ledger in that
form: the ingest path merges thousands of records a second, and pays for no
typed object per row.
"""

from __future__ import annotations

import json
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any

import orjson

from backend.domain.failures import failure_signature
from backend.services.schema import tasks
from taskdeck_core import lifecycle as lc

COLUMNS = [c.name for c in tasks.columns]
HISTORY = COLUMNS.index("history")
_BOOLEANS = [i for i, c in enumerate(tasks.columns) if c.type.python_type is bool]
HISTORY_CAP = 100


def add_history(history: list[list[Any]], entry: list[Any]) -> None:
    """Append ``entry`` (event, time) to a task's history, keeping the newest HISTORY_CAP."""
    history.append(entry)
    del history[:-HISTORY_CAP]


# A history entry no lifecycle record makes: the backend moved the waiting message
# to another priority (``Ledger.moved``).
PRIORITY_CHANGED = "priority_changed"


# The C encoder made once (``json.dumps`` makes an encoder per call, 3x the cost of the work
# for a task's short history): compact, ASCII, ``repr`` for what JSON lacks, no check for
# circular values (decoded JSON and plain rows have none).
_C_ENCODE = c_make_encoder and c_make_encoder(
    None, repr, encode_basestring_ascii, None, ":", ",", False, False, True
)


def to_json(value: Any) -> str:
    try:  # the C codec: what it cannot encode (keys that are not text, huge integers) is
        # encoded below, with ``repr`` for what JSON lacks
        return orjson.dumps(value, default=repr).decode()
    except TypeError:
        pass
    if _C_ENCODE is not None:
        return "".join(_C_ENCODE(value, 0))
    return json.dumps(value, separators=(",", ":"), default=repr)


def new_row(task_id: str, ts: float) -> dict[str, Any]:
    """A task first seen at ``ts``, known by nothing but its id."""
    row: dict[str, Any] = dict.fromkeys(COLUMNS)
    row.update(task_id=task_id, state=lc.PENDING, created_at=ts, state_ts=0.0, retries=0)
    row["history"] = []
    return row


def loaded(stored: Any) -> dict[str, Any]:
    """A stored row (a database row), ready for ``merge``."""
    row = dict(stored._mapping)
    row["history"] = json.loads(row["history"] or "[]")
    return row


def stored_row(values: Any) -> dict[str, Any]:
    """A row read as plain values in the order of ``COLUMNS`` (no SQLAlchemy types: SQLite
    gives booleans as 0 and 1), ready for ``merge``."""
    row = dict(zip(COLUMNS, values, strict=True))
    row["history"] = json.loads(values[HISTORY] or "[]")
    for i in _BOOLEANS:
        if values[i] is not None:
            row[COLUMNS[i]] = bool(values[i])
    return row


def storable(row: dict[str, Any]) -> dict[str, Any]:
    """A merged row, ready to be written (in place: its history back to JSON)."""
    row["history"] = to_json(row["history"])
    return row


def _held_by(row: dict[str, Any], d: dict[str, Any]) -> None:
    """The worker (name and main process) a received or started record comes from."""
    if d.get("hostname"):
        if d["hostname"] != row["hostname"] or d.get("worker_pid") is not None:
            row["worker_pid"] = d.get("worker_pid")  # unknown for a worker without it
        row["hostname"] = d["hostname"]


def merge(row: dict[str, Any], rec: lc.LifecycleRecord) -> None:
    """Apply one lifecycle record to a task row (history kept as a list here)."""
    d = rec.data
    history: list[list[Any]] = row["history"]
    entry = [rec.type, rec.ts]
    if entry in history:
        return  # this very record was applied before (a submission, then its stream copy)
    row["created_at"] = min(row["created_at"], rec.ts)
    lost_at = row.get("lost_at")
    if lost_at is not None and (rec.type != lc.PUBLISHED or rec.ts > lost_at):
        # A record of the task after it was marked lost: the broker had not lost it after all
        # (a worker took it), or it was published again.
        row["lost_at"] = row["lost_reason"] = None
    if row.get("redelivery_at") is not None and rec.type != lc.PUBLISHED:
        # The task moved on: delivered again (or it ended after all).
        row["redelivery_at"] = row["redelivery_reason"] = None
    add_history(history, entry)
    if rec.type == lc.FAILED and d.get("internal") and row.get("result_stored") is False:
        # Celery reports as a failure that it could not store the result of work that
        # succeeded: kept as evidence (in the history, and the error), not as the outcome.
        report = f"{d.get('exc_type') or 'Exception'}: {d.get('exc_message') or ''}"[:500]
        then = f"Celery then reported the task as failed ({report})"
        row["result_error"] = f"{row['result_error']}; {then}" if row["result_error"] else then
        return
    if rec.type in (lc.PUBLISHED, lc.RECEIVED):
        for key in ("name", "queue"):  # from events, 'received' may be the first to say
            if row[key] is None and d.get(key) is not None:
                row[key] = d[key]
    if rec.type == lc.PUBLISHED:
        if row["published_at"] is None:
            row["published_at"] = rec.ts
        # A move recorded after this publish is newer than the priority it was sent with.
        moved_later = any(kind == PRIORITY_CHANGED and ts > rec.ts for kind, ts in history)
        for key in ("name", "queue", "priority", "user", "tier", "retry_of"):
            if d.get(key) is not None and not (key == "priority" and moved_later):
                row[key] = d[key]
        if "args" in d:  # whole arguments; Celery events carry only reprs
            row["args"] = to_json(d.get("args", []))
            row["kwargs"] = to_json(d.get("kwargs", {}))
        keep = ("eta", "expires", "parent_id", "root_id", "argsrepr", "kwargsrepr")
        options = json.loads(row["options"] or "{}")
        options.update({k: d[k] for k in keep if d.get(k)})
        row["options"] = to_json(options)
        row["retries"] = max(row["retries"] or 0, int(d.get("retries") or 0))
    elif rec.type == lc.RECEIVED:
        row["received_at"] = row["received_at"] or rec.ts
        _held_by(row, d)
    elif rec.type == lc.STARTED:
        row["started_at"] = rec.ts
        _held_by(row, d)
    elif rec.type == lc.SUCCEEDED:
        row["finished_at"] = rec.ts
        row["runtime"] = d.get("runtime")
        row["result"] = to_json(d.get("result"))
        row["result_stored"] = d.get("result_stored") is not False
        row["result_error"] = None if row["result_stored"] else str(d.get("result_error") or "")
    elif rec.type == lc.FAILED:
        row["finished_at"] = rec.ts
        row["runtime"] = d.get("runtime")
        row["exc_type"] = str(d.get("exc_type") or "Exception")[:200]
        row["exc_message"] = str(d.get("exc_message") or "")
        row["traceback"] = d.get("traceback")
        row["signature"] = failure_signature(
            row["name"] or "", row["exc_type"], row["exc_message"], row["traceback"]
        )
    elif rec.type == lc.RETRIED:
        row["retries"] = max(row["retries"] or 0, int(d.get("retries") or 0) + 1)
        row["exc_message"] = d.get("reason") or row["exc_message"]
    elif rec.type in (lc.REVOKED, lc.REJECTED):
        row["finished_at"] = rec.ts
    new_state = lc.STATE_OF[rec.type]
    current = row["state"]
    late_non_final = current in lc.FINAL_STATES and new_state not in lc.FINAL_STATES
    if not late_non_final and rec.ts >= row["state_ts"]:
        row["state"] = new_state
        row["state_ts"] = rec.ts
