"""The task ledger: every task's envelope, states and outcome, in SQL.

SQLite in WAL mode by default, any SQLAlchemy URL (PostgreSQL) by setting.
Records from the lifecycle stream are merged in batches: one read of the
affected rows, one write, one commit per batch.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Engine,
    and_,
    create_engine,
    delete,
    event,
    func,
    literal_column,
    select,
    text,
    true,
    tuple_,
)
from sqlalchemy.dialects import postgresql, sqlite

from backend.domain.failures import failure_signature, normalise_message, top_frame
from backend.services.schema import metadata, tasks
from taskdeck_core import lifecycle as lc

COLUMNS = [c.name for c in tasks.columns]
HISTORY_CAP = 100
MAX_LIMIT = 1000
SEARCH_CAP = 2000  # newest message matches a search looks through


class CursorError(ValueError):
    """A pagination cursor that this ledger did not hand out."""


@dataclass(frozen=True)
class TaskFilter:
    state: str | None = None
    name: str | None = None
    user: str | None = None
    queue: str | None = None
    q: str | None = None
    since: float | None = None
    until: float | None = None
    signature: str | None = None


def encode_cursor(created_at: float, task_id: str) -> str:
    raw = json.dumps([created_at, task_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[float, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created_at, task_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return float(created_at), str(task_id)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise CursorError(
            "the cursor is not one this API handed out; use next_cursor from the previous page"
        ) from None


def encode_cursor_id(value: int) -> str:
    return encode_cursor(float(value), "")


def decode_cursor_id(cursor: str) -> int:
    value, _ = decode_cursor(cursor)
    if value != int(value) or value < 0:
        raise CursorError("the cursor is not one this API handed out")
    return int(value)


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=repr)


def _new_row(task_id: str, ts: float) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(COLUMNS)
    row.update(task_id=task_id, state=lc.PENDING, created_at=ts, state_ts=0.0, retries=0)
    row["history"] = []
    return row


def merge(row: dict[str, Any], rec: lc.LifecycleRecord) -> None:
    """Apply one lifecycle record to a task row (history kept as a list here)."""
    d = rec.data
    row["created_at"] = min(row["created_at"], rec.ts)
    history: list[list[Any]] = row["history"]
    history.append([rec.type, rec.ts])
    if len(history) > HISTORY_CAP:
        del history[: len(history) - HISTORY_CAP]
    if rec.type in (lc.PUBLISHED, lc.RECEIVED):
        for key in ("name", "queue"):  # from events, 'received' may be the first to say
            if row[key] is None and d.get(key) is not None:
                row[key] = d[key]
    if rec.type == lc.PUBLISHED:
        if row["published_at"] is None:
            row["published_at"] = rec.ts
        for key in ("name", "queue", "priority", "user", "tier", "retry_of"):
            if d.get(key) is not None:
                row[key] = d[key]
        if "args" in d:  # whole arguments; Celery events carry only reprs
            row["args"] = _json(d.get("args", []))
            row["kwargs"] = _json(d.get("kwargs", {}))
        keep = ("eta", "expires", "parent_id", "root_id", "argsrepr", "kwargsrepr")
        options = json.loads(row["options"] or "{}")
        options.update({k: d[k] for k in keep if d.get(k)})
        row["options"] = _json(options)
        row["retries"] = max(row["retries"] or 0, int(d.get("retries") or 0))
    elif rec.type == lc.RECEIVED:
        row["received_at"] = row["received_at"] or rec.ts
        row["hostname"] = d.get("hostname") or row["hostname"]
    elif rec.type == lc.STARTED:
        row["started_at"] = rec.ts
        row["hostname"] = d.get("hostname") or row["hostname"]
    elif rec.type == lc.SUCCEEDED:
        row["finished_at"] = rec.ts
        row["runtime"] = d.get("runtime")
        row["result"] = _json(d.get("result"))
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


def public(row: Any, full: bool = False) -> dict[str, Any]:
    """A task row as the API shows it."""
    data = dict(row._mapping) if hasattr(row, "_mapping") else dict(row)
    out = {
        "task_id": data["task_id"],
        "name": data["name"],
        "state": data["state"],
        "queue": data["queue"],
        "priority": data["priority"],
        "user": data["user"],
        "created_at": data["created_at"],
        "started_at": data["started_at"],
        "finished_at": data["finished_at"],
        "runtime": data["runtime"],
        "retries": data["retries"],
        "exc_type": data["exc_type"],
        "exc_message": data["exc_message"],
        "retry_of": data["retry_of"],
    }
    if full:
        out.update(
            tier=data["tier"],
            args=json.loads(data["args"]) if data["args"] else None,
            kwargs=json.loads(data["kwargs"]) if data["kwargs"] else None,
            options=json.loads(data["options"]) if data["options"] else {},
            published_at=data["published_at"],
            received_at=data["received_at"],
            hostname=data["hostname"],
            traceback=data["traceback"],
            result=json.loads(data["result"]) if data["result"] else None,
            signature=data["signature"],
            history=[{"event": kind, "at": ts} for kind, ts in json.loads(data["history"] or "[]")],
        )
    return out


class Ledger:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = create_engine(url, pool_pre_ping=True)
        self.dialect = self.engine.dialect.name
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        metadata.create_all(self.engine)
        # Full-text index of failure messages (SQLite FTS5), keyed by the task's rowid.
        self.fts = self.dialect == "sqlite"
        if self.fts:
            with self.engine.begin() as conn:
                conn.exec_driver_sql(
                    "CREATE VIRTUAL TABLE IF NOT EXISTS tasks_fts USING fts5(exc_message)"
                )
        self._names: tuple[float, list[str]] = (0.0, [])

    def close(self) -> None:
        self.engine.dispose()

    # -- writing ---------------------------------------------------------------

    def apply(self, records: Sequence[lc.LifecycleRecord]) -> int:
        """Merge a batch of records into the ledger in one transaction; returns tasks touched."""
        if not records:
            return 0
        ids = list(dict.fromkeys(r.task_id for r in records))
        with self.engine.begin() as conn:
            rows: dict[str, dict[str, Any]] = {}
            for chunk in _chunks(ids, 500):
                for existing in conn.execute(select(tasks).where(tasks.c.task_id.in_(chunk))):
                    row = dict(existing._mapping)
                    row["history"] = json.loads(row["history"] or "[]")
                    rows[row["task_id"]] = row
            for rec in records:
                if rec.task_id not in rows:
                    rows[rec.task_id] = _new_row(rec.task_id, rec.ts)
                merge(rows[rec.task_id], rec)
            for row in rows.values():
                row["history"] = _json(row["history"])
            self._upsert(conn, list(rows.values()))
            failed = [r.task_id for r in records if r.type == lc.FAILED]
            if failed and self.fts:
                for chunk in _chunks(list(dict.fromkeys(failed)), 500):
                    marks = ",".join("?" * len(chunk))
                    conn.exec_driver_sql(
                        "INSERT OR REPLACE INTO tasks_fts(rowid, exc_message) SELECT rowid, "
                        f"exc_message FROM tasks WHERE task_id IN ({marks})",
                        tuple(chunk),
                    )
        return len(ids)

    def _upsert(self, conn: Any, rows: list[dict[str, Any]]) -> None:
        stmt: Any = (
            postgresql.insert(tasks) if self.dialect == "postgresql" else sqlite.insert(tasks)
        )
        update = {c: stmt.excluded[c] for c in COLUMNS if c != "task_id"}
        conn.execute(stmt.on_conflict_do_update(index_elements=["task_id"], set_=update), rows)

    def mark(self, task_id: str, state: str, at: float, event_type: str) -> None:
        """Record a state the integration cannot report (a message removed from the broker)."""
        rec = lc.LifecycleRecord(event_type, task_id, at, {})
        with self.engine.begin() as conn:
            existing = conn.execute(select(tasks).where(tasks.c.task_id == task_id)).first()
            if existing is None:
                row = _new_row(task_id, at)
            else:
                row = dict(existing._mapping)
                row["history"] = json.loads(row["history"] or "[]")
            merge(row, rec)
            row["state"], row["state_ts"] = state, max(at, row["state_ts"])
            row["history"] = _json(row["history"])
            self._upsert(conn, [row])

    def purge(self, before: float) -> int:
        """Delete tasks first seen before ``before`` (epoch seconds)."""
        with self.engine.begin() as conn:
            if self.fts:
                conn.exec_driver_sql(
                    "DELETE FROM tasks_fts WHERE rowid IN "
                    "(SELECT rowid FROM tasks WHERE created_at < ?)",
                    (before,),
                )
            result = conn.execute(delete(tasks).where(tasks.c.created_at < before))
            return int(result.rowcount or 0)

    # -- reading ---------------------------------------------------------------

    def get(self, task_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(tasks).where(tasks.c.task_id == task_id)).first()
            if row is None:
                return None
            out = public(row, full=True)
            retries = conn.execute(
                select(tasks.c.task_id, tasks.c.state, tasks.c.created_at)
                .where(tasks.c.retry_of == task_id)
                .order_by(tasks.c.created_at)
            ).all()
            out["retried_as"] = [
                {"task_id": r.task_id, "state": r.state, "created_at": r.created_at}
                for r in retries
            ]
            return out

    def rows(self, task_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Full rows by id (for actions), missing ids left out."""
        found: dict[str, dict[str, Any]] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(list(task_ids), 500):
                for row in conn.execute(select(tasks).where(tasks.c.task_id.in_(chunk))):
                    found[row.task_id] = dict(row._mapping)
        return found

    def _where(self, f: TaskFilter) -> list[Any]:
        cond: list[Any] = []
        if f.state:
            cond.append(tasks.c.state == f.state)
        if f.name:
            cond.append(tasks.c.name == f.name)
        if f.user:
            cond.append(tasks.c.user == f.user)
        if f.queue:
            cond.append(tasks.c.queue == f.queue)
        if f.signature:
            cond.append(tasks.c.signature == f.signature)
        if f.since is not None:
            cond.append(tasks.c.created_at >= f.since)
        if f.until is not None:
            cond.append(tasks.c.created_at < f.until)
        return cond

    def _task_names(self) -> list[str]:
        """The distinct task names (few), cached for a minute."""
        at, names = self._names
        if time.monotonic() - at > 60:
            with self.engine.connect() as conn:
                names = [r[0] for r in conn.execute(select(tasks.c.name).distinct()) if r[0]]
            self._names = (time.monotonic(), names)
        return names

    def _search_branches(self, q: str) -> list[Any]:
        """Conditions, each served by an index, whose union is 'q matches id, name or message'."""
        branches: list[Any] = [tasks.c.task_id == q]
        names = [n for n in self._task_names() if q.lower() in n.lower()]
        if names:
            branches.append(tasks.c.name.in_(names))
        if self.fts:
            words = re.findall(r"\w+", q)
            if words:
                phrase = '"' + " ".join(words) + '"*'  # words in order, the last a prefix
                matches = text(
                    "SELECT rowid FROM tasks_fts WHERE tasks_fts MATCH :phrase "
                    f"ORDER BY rowid DESC LIMIT {SEARCH_CAP}"
                ).bindparams(phrase=phrase)
                branches.append(literal_column("tasks.rowid").in_(matches))
        else:
            like = f"%{_escape_like(q)}%"
            branches.append(tasks.c.exc_message.like(like, escape="\\"))
        return branches

    def list_tasks(
        self, f: TaskFilter, limit: int = 100, cursor: str | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Newest first, keyset-paginated by (created_at, task_id)."""
        limit = max(1, min(limit, MAX_LIMIT))
        cond = self._where(f)
        if cursor:
            created_at, task_id = decode_cursor(cursor)
            cond.append(tuple_(tasks.c.created_at, tasks.c.task_id) < (created_at, task_id))
        columns = [tasks.c[c] for c in COLUMNS if c not in ("traceback", "result", "history")]
        # A search runs one index-backed query per branch and merges them.
        branches = self._search_branches(f.q) if f.q else [true()]
        rows: list[Any] = []
        seen: set[str] = set()
        with self.engine.connect() as conn:
            for branch in branches:
                stmt = (
                    select(*columns)
                    .where(and_(branch, *cond))
                    .order_by(tasks.c.created_at.desc(), tasks.c.task_id.desc())
                    .limit(limit + 1)
                )
                for row in conn.execute(stmt):
                    if row.task_id not in seen:
                        seen.add(row.task_id)
                        rows.append(row)
        rows.sort(key=lambda r: (r.created_at, r.task_id), reverse=True)
        rows = rows[: limit + 1]
        more = len(rows) > limit
        rows = rows[:limit]
        items = [public(r) for r in rows]
        next_cursor = encode_cursor(rows[-1].created_at, rows[-1].task_id) if more else None
        return items, next_cursor

    def ids(self, f: TaskFilter, cap: int) -> list[str]:
        """Ids of every task matching ``f`` (newest first), at most ``cap``."""
        stmt = (
            select(tasks.c.task_id)
            .where(and_(True, *self._where(f)))
            .order_by(tasks.c.created_at.desc())
            .limit(cap)
        )
        with self.engine.connect() as conn:
            return [r.task_id for r in conn.execute(stmt)]

    def failure_groups(
        self, since: float | None, until: float | None, name: str | None, limit: int = 200
    ) -> list[dict[str, Any]]:
        cond: list[Any] = [tasks.c.state == lc.FAILURE, tasks.c.signature.is_not(None)]
        if since is not None:
            cond.append(tasks.c.finished_at >= since)
        if until is not None:
            cond.append(tasks.c.finished_at < until)
        if name:
            cond.append(tasks.c.name == name)
        stmt = (
            select(
                tasks.c.signature,
                func.count().label("count"),
                func.min(tasks.c.finished_at).label("first_seen"),
                func.max(tasks.c.finished_at).label("last_seen"),
                func.count(tasks.c.user.distinct()).label("users"),
            )
            .where(*cond)
            .group_by(tasks.c.signature)
            .order_by(func.count().desc())
            .limit(limit)
        )
        groups = []
        with self.engine.connect() as conn:
            for g in conn.execute(stmt).all():
                sample = conn.execute(
                    select(
                        tasks.c.task_id, tasks.c.name, tasks.c.exc_type, tasks.c.exc_message,
                        tasks.c.traceback, tasks.c.user,
                    )
                    .where(*cond, tasks.c.signature == g.signature)
                    .order_by(tasks.c.finished_at.desc())
                    .limit(5)
                ).all()  # fmt: skip
                users = conn.execute(
                    select(tasks.c.user)
                    .where(*cond, tasks.c.signature == g.signature, tasks.c.user.is_not(None))
                    .distinct()
                    .limit(20)
                ).all()
                first = sample[0]
                groups.append(
                    {
                        "signature": g.signature,
                        "name": first.name,
                        "exc_type": first.exc_type,
                        "message": normalise_message(first.exc_message or ""),
                        "top_frame": top_frame(first.traceback),
                        "count": g.count,
                        "first_seen": g.first_seen,
                        "last_seen": g.last_seen,
                        "affected_users": g.users,
                        "users": [u.user for u in users],
                        "sample_ids": [s.task_id for s in sample],
                        "sample_message": first.exc_message,
                    }
                )
        return groups

    def labels(self, task_ids: Iterable[str]) -> dict[str, tuple[str, str, str]]:
        """(name, queue, hostname) per task, for metric labels."""
        out: dict[str, tuple[str, str, str]] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(list(task_ids), 500):
                stmt = select(tasks.c.task_id, tasks.c.name, tasks.c.queue, tasks.c.hostname).where(
                    tasks.c.task_id.in_(chunk)
                )
                for r in conn.execute(stmt):
                    out[r.task_id] = (r.name or "", r.queue or "", r.hostname or "")
        return out

    def open_tasks(self, user: str | None = None) -> list[tuple[str, str, str, str | None]]:
        """(task id, user, state, hostname) of every task the ledger holds as open."""
        stmt = select(tasks.c.task_id, tasks.c.user, tasks.c.state, tasks.c.hostname).where(
            tasks.c.state.in_(sorted(lc.OPEN_STATES))
        )
        if user is not None:
            stmt = stmt.where(tasks.c.user == user)
        with self.engine.connect() as conn:
            return [(r.task_id, r.user or "", r.state, r.hostname) for r in conn.execute(stmt)]

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(select(1))

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(tasks)).scalar_one())


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
