"""The task ledger: every task's envelope, states and outcome, in SQL.

SQLite in WAL mode by default, any SQLAlchemy URL (PostgreSQL) by setting.
Records from the lifecycle stream are merged in batches: one read of the
affected rows, one write, one commit per batch (the merge itself is in
``ledger_merge``). Reads for lists and search are in ``ledger_queries``, bulk
jobs in ``ledger_jobs``; what the ledger hands out is typed (``ledger_rows``).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    create_engine,
    delete,
    event,
    func,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from backend.services.batching import chunks
from backend.services.cursors import CursorError, encode_cursor
from backend.services.ledger_jobs import BulkJobStore
from backend.services.ledger_merge import (
    COLUMNS,
    HISTORY,
    PRIORITY_CHANGED,
    add_history,
    loaded,
    merge,
    new_row,
    storable,
    stored_row,
    to_json,
)
from backend.services.ledger_queries import LedgerQueries, index_message_prefixes
from backend.services.ledger_rows import (
    HeldTask,
    OpenTask,
    RetryRef,
    TaskDetail,
    TaskFilter,
    TaskLabels,
    TaskRecord,
)
from backend.services.ledger_terms import argument_terms, message_words, tsvector
from backend.services.schema import (
    ADDED_COLUMNS,
    audit,
    bulk_items,
    bulk_jobs,
    metadata,
    search_metadata,
    tasks,
    tasks_search,
)
from taskdeck_core import lifecycle as lc

# Callers import these from here: the error list_tasks raises, its filter, and how a
# cursor is made (to start a page at a given task).
__all__ = ["CursorError", "Ledger", "TaskFilter", "encode_cursor"]

log = logging.getLogger("taskdeck.ledger")

IN_CHUNK = 500  # ids per IN (...) clause
# Rows of open tasks kept in memory after a batch wrote them (SQLite), so the task's next
# record needs no SELECT and no JSON decoding of its history; about 2 KB each at most.
OPEN_ROWS = 20_000
# History entries no lifecycle record makes: the broker lost the task (``Ledger.mark_lost``),
# or its worker is gone and the broker will deliver it again (``Ledger.mark_redelivery``).
LOST = "lost"
AWAITING_REDELIVERY = "awaiting_redelivery"
HELD_STATES = (lc.STATE_RECEIVED, lc.STATE_STARTED)
BACKFILL_CHUNK = 5000
# A task's argument terms (``ledger_terms``), keyed by the task's rowid.
_INDEX_ARGS = "INSERT OR REPLACE INTO tasks_args_fts(rowid, terms) VALUES (?, ?)"


class Ledger(LedgerQueries):
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url, pool_pre_ping=True)
        self.dialect = self.engine.dialect.name
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        metadata.create_all(self.engine)
        self._add_columns()
        self._add_indexes()
        # Full-text indexes of failure messages and of argument terms: SQLite's FTS5, keyed
        # by the task's rowid, or PostgreSQL's tsvector with GIN indexes (``tasks_search``).
        self.fts = self.dialect == "sqlite"
        self.pg_search = self.dialect == "postgresql"
        # Writes of a row read it first: one at a time, so an action's write (a move, a
        # cancel) and an ingest batch never overwrite each other's changes.
        self._writing = threading.Lock()
        if self.fts:
            with self.engine.begin() as conn:
                conn.exec_driver_sql(
                    "CREATE VIRTUAL TABLE IF NOT EXISTS tasks_fts USING fts5(exc_message)"
                )
                if index_message_prefixes(conn):
                    log.info("ledger: the failure messages' index made again with prefix indexes")
                new = not conn.exec_driver_sql(
                    "SELECT 1 FROM sqlite_master WHERE name = 'tasks_args_fts'"
                ).first()
                conn.exec_driver_sql(
                    "CREATE VIRTUAL TABLE IF NOT EXISTS tasks_args_fts USING fts5(terms)"
                )
            if new:
                self.index_arguments()
        if self.pg_search:
            new = not inspect(self.engine).has_table(tasks_search.name)
            search_metadata.create_all(self.engine)
            if new:
                self.index_arguments()
        self.jobs = BulkJobStore(self.engine, self._writing)
        # SQLite: rows of open tasks as the last batch wrote them (task id -> the row, history
        # as a list, and its values as written); only touched under ``_writing``.
        self._open: dict[str, tuple[dict[str, Any], tuple[Any, ...]]] = {}
        names = ", ".join(f'"{c}"' for c in COLUMNS)
        self._select_rows = f"SELECT {names} FROM tasks WHERE task_id IN "
        # A row is written only over the version this backend read (its history, which every
        # write of a task changes): another backend's write in between is found, not undone.
        # A new row is inserted; one that conflicts (another backend inserted it meanwhile)
        # is left alone, and found.
        self._insert_rows = (
            f"INSERT INTO tasks ({names}) VALUES ({', '.join('?' * len(COLUMNS))}) "
            "ON CONFLICT (task_id) DO NOTHING"
        )
        # A stored row gets only the columns that changed: SQLite then rewrites only the
        # indexes of those columns (an update of every column costs twice as much).
        self._updates: dict[tuple[int, ...], str] = {}

    def _add_columns(self) -> None:
        """Give a ledger made before a column was added that column (and its index)."""
        have = {c["name"] for c in inspect(self.engine).get_columns("tasks")}
        missing = [(name, kind) for name, kind in ADDED_COLUMNS.items() if name not in have]
        if not missing:
            return
        with self.engine.begin() as conn:
            for name, kind in missing:
                conn.exec_driver_sql(f"ALTER TABLE tasks ADD COLUMN {name} {kind}")
            for index in tasks.indexes:
                if {c.name for c in index.columns} & {name for name, _ in missing}:
                    index.create(conn, checkfirst=True)
        log.info("ledger: added the columns %s", ", ".join(name for name, _ in missing))

    def _add_indexes(self) -> None:
        """Give a database made before an index of the tasks, the audit log or bulk jobs was
        added that index (``create_all`` makes indexes only with their table)."""
        have = inspect(self.engine)
        for table in (tasks, audit, bulk_jobs, bulk_items):
            named = {i["name"] for i in have.get_indexes(table.name)}
            missing = [i for i in table.indexes if i.name not in named]
            if missing:
                with self.engine.begin() as conn:
                    for index in missing:
                        index.create(conn, checkfirst=True)
                log.info("ledger: added the indexes %s", ", ".join(str(i.name) for i in missing))

    def index_arguments(self) -> None:
        """Index the arguments of every task for search: when the index is new (a ledger
        from before it), or after tasks were written around ``apply`` (a bulk load). On
        PostgreSQL the failure messages too (SQLite's are indexed by SQL alone)."""
        if self.pg_search:
            self._index_search()
            return
        after, indexed = -1, 0
        while True:
            with self.engine.begin() as conn:
                rows = conn.exec_driver_sql(
                    "SELECT rowid, args, kwargs, options FROM tasks WHERE rowid > ? "
                    "ORDER BY rowid LIMIT ?",
                    (after, BACKFILL_CHUNK),
                ).all()
                if not rows:
                    break
                conn.exec_driver_sql(
                    "INSERT OR REPLACE INTO tasks_args_fts(rowid, terms) VALUES (?, ?)",
                    [(r[0], argument_terms(r[1], r[2], r[3])) for r in rows],
                )
            after, indexed = rows[-1][0], indexed + len(rows)
        if indexed:
            log.info("indexed the arguments of %d tasks for search", indexed)

    def _index_search(self) -> None:
        """PostgreSQL: (re)write ``tasks_search`` for every task, a chunk at a time."""
        after, indexed = "", 0
        columns = (tasks.c.task_id, tasks.c.created_at, tasks.c.args, tasks.c.kwargs,
                   tasks.c.options, tasks.c.exc_message)  # fmt: skip
        while True:
            with self.engine.begin() as conn:
                rows = conn.execute(
                    select(*columns)
                    .where(tasks.c.task_id > after)
                    .order_by(tasks.c.task_id)
                    .limit(BACKFILL_CHUNK)
                ).all()
                if not rows:
                    break
                self._upsert_search(conn, [
                    {"task_id": r.task_id, "created_at": r.created_at,
                     "terms": tsvector(argument_terms(r.args, r.kwargs, r.options).split()),
                     "message": tsvector(message_words(r.exc_message or ""))}
                    for r in rows
                ])  # fmt: skip
            after, indexed = rows[-1].task_id, indexed + len(rows)
        if indexed:
            log.info("indexed %d tasks for search", indexed)

    def _upsert_search(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        """PostgreSQL: write the search columns given in ``rows`` (all rows give the same)."""
        if not rows:
            return
        stmt = postgresql.insert(tasks_search)
        given = [c for c in rows[0] if c != "task_id"]
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["task_id"], set_={c: stmt.excluded[c] for c in given}
            ),
            rows,
        )

    def close(self) -> None:
        self.engine.dispose()

    # -- writing ---------------------------------------------------------------

    def apply(
        self,
        records: Sequence[lc.LifecycleRecord],
        labels: dict[str, TaskLabels] | None = None,
    ) -> int:
        """Merge a batch of records into the ledger in one transaction; returns tasks touched.
        ``labels``, if given, receives each touched task's metric labels, from the rows
        written (no second read)."""
        if not records:
            return 0
        ids = list(dict.fromkeys(r.task_id for r in records))
        with self._writing:
            if self.dialect == "sqlite":
                rows = self._apply_sqlite(records, ids)
            else:
                with self.engine.begin() as conn:
                    rows = self._apply_rows(conn, records, ids)
        if labels is not None:
            for task_id, row in rows.items():
                labels[task_id] = TaskLabels(
                    row["name"] or "", row["queue"] or "", row["hostname"] or ""
                )
        return len(ids)

    def _lock(self, conn: Connection, task_ids: Iterable[str]) -> None:
        """At the start of a transaction that reads rows of ``task_ids`` and then writes
        them: hold them until the commit, so no other process writes them in between (an
        ingest helper, another backend). PostgreSQL: these tasks' buckets (see
        ``_apply_rows``); SQLite: the database's write lock, taken now (a transaction
        otherwise begins only at its first write, after its reads)."""
        if self.dialect == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif self.dialect == "postgresql":
            ids = list(dict.fromkeys(task_ids))
            conn.execute(_TASK_LOCKS, {"ids": ids, "space": LOCK_SPACE, "mask": LOCK_BUCKETS - 1})

    def _apply_rows(
        self, conn: Connection, records: Sequence[lc.LifecycleRecord], ids: list[str]
    ) -> dict[str, dict[str, Any]]:
        """The general path (PostgreSQL): read the rows, merge, upsert, index for search.

        Several backends may each hold records of one task (they share the stream): each
        task's lock, held to the commit, keeps one backend's read-merge-write from undoing
        another's. Taken in one order (by hash), so two batches never wait on each other."""
        self._lock(conn, ids)
        rows: dict[str, dict[str, Any]] = {}
        for chunk in chunks(ids, IN_CHUNK):
            for existing in conn.execute(select(tasks).where(tasks.c.task_id.in_(chunk))):
                rows[existing.task_id] = loaded(existing)
        for rec in records:
            if rec.task_id not in rows:
                rows[rec.task_id] = new_row(rec.task_id, rec.ts)
            merge(rows[rec.task_id], rec)
        published = {r.task_id for r in records if r.type == lc.PUBLISHED}
        terms = [
            (argument_terms(row["args"], row["kwargs"], row["options"]), task_id)
            for task_id, row in rows.items()
            if task_id in published
        ]
        self._upsert(conn, [storable(row) for row in rows.values()])
        failed = [r.task_id for r in records if r.type == lc.FAILED]
        if self.pg_search:
            self._upsert_search(conn, [
                {"task_id": task_id, "created_at": rows[task_id]["created_at"],
                 "terms": tsvector(words.split())}
                for words, task_id in terms
            ])  # fmt: skip
            self._upsert_search(conn, [
                {"task_id": task_id, "created_at": rows[task_id]["created_at"],
                 "message": tsvector(message_words(rows[task_id]["exc_message"] or ""))}
                for task_id in dict.fromkeys(failed)
            ])  # fmt: skip
        return rows

    def _apply_sqlite(
        self, records: Sequence[lc.LifecycleRecord], ids: list[str]
    ) -> dict[str, dict[str, Any]]:
        """SQLite, under ``_writing``: open tasks' rows from memory, the others read in one
        SELECT per chunk, the merged rows written by one executemany over tuples; then the
        rows of tasks still open are kept for their next records."""
        rows: dict[str, dict[str, Any]] = {}
        seen: dict[str, tuple[Any, ...] | None] = {}  # the values as read (None: no row yet)
        for task_id in ids:
            # Taken out: a batch that fails leaves no row in memory that the ledger lacks.
            hit = self._open.pop(task_id, None)
            if hit is not None:
                rows[task_id], seen[task_id] = hit
        with self.engine.begin() as conn:
            self._read_rows(conn, [t for t in ids if t not in rows], rows, seen)
            by_task, published, failed = self._merge_all(records, rows)
            written = self._write_sqlite(conn, rows, seen)
            if len(written) < len(rows):
                # Another backend wrote some of these tasks since this one read them: merge
                # this batch's records into what is stored now, and write those again.
                again = [t for t in rows if t not in written]
                fresh: dict[str, dict[str, Any]] = {}
                seen = {}
                self._read_rows(conn, again, fresh, seen)
                for task_id in again:
                    row = fresh.setdefault(task_id, new_row(task_id, by_task[task_id][0].ts))
                    for rec in by_task[task_id]:
                        merge(row, rec)
                    rows[task_id] = row
                written.update(self._write_sqlite(conn, fresh, seen))
            if published:
                self._index_args(conn, {t: rows[t] for t in published})
            for chunk in chunks(list(failed), IN_CHUNK):
                marks = ",".join("?" * len(chunk))
                conn.exec_driver_sql(
                    "INSERT OR REPLACE INTO tasks_fts(rowid, exc_message) SELECT rowid, "
                    f"exc_message FROM tasks WHERE task_id IN ({marks})",
                    tuple(chunk),
                )
        for task_id, row in rows.items():  # committed: keep the open ones for what comes next
            if row["state"] not in lc.FINAL_STATES and task_id in written:
                self._open[task_id] = (row, written[task_id])
        while len(self._open) > OPEN_ROWS:
            del self._open[next(iter(self._open))]
        return rows

    @staticmethod
    def _index_args(conn: Connection, rows: dict[str, dict[str, Any]]) -> None:
        """SQLite: index the arguments of these tasks for search, by their rowids (read in
        one query per chunk: an insert that looks up each task's rowid itself costs four
        times as much)."""
        for chunk in chunks(list(rows), IN_CHUNK):
            marks = ",".join("?" * len(chunk))
            rowids = conn.exec_driver_sql(
                f"SELECT task_id, rowid FROM tasks WHERE task_id IN ({marks})", tuple(chunk)
            ).all()
            conn.exec_driver_sql(_INDEX_ARGS, [
                (rowid, argument_terms(rows[t]["args"], rows[t]["kwargs"], rows[t]["options"]))
                for t, rowid in rowids
            ])  # fmt: skip

    def _read_rows(
        self,
        conn: Connection,
        ids: list[str],
        rows: dict[str, dict[str, Any]],
        seen: dict[str, tuple[Any, ...] | None],
    ) -> None:
        """SQLite: the stored rows of ``ids`` into ``rows`` (history decoded) and their
        values as stored into ``seen`` (None for an id without a row)."""
        for chunk in chunks(ids, IN_CHUNK):
            sql = self._select_rows + f"({','.join('?' * len(chunk))})"
            for values in conn.exec_driver_sql(sql, tuple(chunk)):
                row = stored_row(values)
                rows[row["task_id"]] = row
                seen[row["task_id"]] = tuple(values)
        for task_id in ids:
            seen.setdefault(task_id, None)

    @staticmethod
    def _merge_all(
        records: Sequence[lc.LifecycleRecord], rows: dict[str, dict[str, Any]]
    ) -> tuple[dict[str, list[lc.LifecycleRecord]], dict[str, None], dict[str, None]]:
        """Merge ``records`` into ``rows`` (a task without a row gets a new one); returns
        the records per task, in order, and the tasks published and failed among them."""
        by_task: dict[str, list[lc.LifecycleRecord]] = {}
        published: dict[str, None] = {}
        failed: dict[str, None] = {}
        for rec in records:
            row = rows.get(rec.task_id)
            if row is None:
                row = rows[rec.task_id] = new_row(rec.task_id, rec.ts)
            merge(row, rec)
            if rec.task_id in by_task:
                by_task[rec.task_id].append(rec)
            else:
                by_task[rec.task_id] = [rec]
            if rec.type == lc.PUBLISHED:
                published[rec.task_id] = None
            elif rec.type == lc.FAILED:
                failed[rec.task_id] = None
        return by_task, published, failed

    def _write_sqlite(
        self,
        conn: Connection,
        rows: dict[str, dict[str, Any]],
        seen: dict[str, tuple[Any, ...] | None],
    ) -> dict[str, tuple[Any, ...]]:
        """SQLite: write ``rows`` over the versions in ``seen``; returns the values written
        per task id, for the rows that were written (a row changed by another backend since
        it was read is not, nor a new row another backend inserted meanwhile)."""
        inserts: list[tuple[Any, ...]] = []
        updates: dict[tuple[int, ...], list[tuple[Any, ...]]] = {}
        written: dict[str, tuple[Any, ...]] = {}
        for task_id, row in rows.items():
            values = [row[c] for c in COLUMNS]
            values[HISTORY] = to_json(row["history"])
            new = written[task_id] = tuple(values)
            old = seen[task_id]
            if old is None:
                inserts.append(new)
                continue
            changed = tuple(i for i, (a, b) in enumerate(zip(new, old, strict=True)) if a != b)
            if changed:  # else: a record applied before; nothing to write
                updates.setdefault(changed, []).append(
                    (*(new[i] for i in changed), task_id, old[HISTORY])
                )
        count = sum(len(group) for group in updates.values()) + len(inserts)
        done = 0
        if inserts:
            done += conn.exec_driver_sql(self._insert_rows, inserts).rowcount
        for changed, params in updates.items():
            sql = self._updates.get(changed)
            if sql is None:
                sets = ", ".join(f'"{COLUMNS[i]}" = ?' for i in changed)
                sql = self._updates[changed] = (
                    f"UPDATE tasks SET {sets} WHERE task_id = ? AND history = ?"
                )
            done += conn.exec_driver_sql(sql, params).rowcount
        if done == count:
            return written
        ids = list(rows)
        stored: dict[str, str] = {}
        for chunk in chunks(ids, IN_CHUNK):
            marks = ",".join("?" * len(chunk))
            stored.update(conn.exec_driver_sql(
                f"SELECT task_id, history FROM tasks WHERE task_id IN ({marks})", tuple(chunk)
            ).all())  # fmt: skip
        return {t: v for t, v in written.items() if stored.get(t) == v[HISTORY]}

    def _forget(self, task_ids: Iterable[str]) -> None:
        """Drop the rows in memory of tasks written by another path (under ``_writing``)."""
        for task_id in task_ids:
            self._open.pop(task_id, None)

    def _upsert(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        stmt: Any = (
            postgresql.insert(tasks) if self.dialect == "postgresql" else sqlite.insert(tasks)
        )
        update = {c: stmt.excluded[c] for c in COLUMNS if c != "task_id"}
        conn.execute(stmt.on_conflict_do_update(index_elements=["task_id"], set_=update), rows)

    def mark(self, task_id: str, state: str, at: float, event_type: str) -> None:
        """Record a state the integration cannot report (a message removed from the broker)."""
        rec = lc.LifecycleRecord(event_type, task_id, at, {})
        with self._writing, self.engine.begin() as conn:
            self._lock(conn, [task_id])
            self._open.pop(task_id, None)
            existing = conn.execute(select(tasks).where(tasks.c.task_id == task_id)).first()
            row = new_row(task_id, at) if existing is None else loaded(existing)
            merge(row, rec)
            row["state"], row["state_ts"] = state, max(at, row["state_ts"])
            self._upsert(conn, [storable(row)])

    def moved(self, task_ids: Sequence[str], priority: int, at: float) -> None:
        """Record that the waiting messages of ``task_ids`` were moved to ``priority``: their
        current priority, and a history entry; a task the ledger has not seen yet (its
        publish not ingested) gets a row now, and its later publish keeps the move."""
        with self._writing, self.engine.begin() as conn:
            self._lock(conn, task_ids)
            self._forget(task_ids)
            rows: dict[str, dict[str, Any]] = {}
            for chunk in chunks(list(dict.fromkeys(task_ids)), IN_CHUNK):
                for existing in conn.execute(select(tasks).where(tasks.c.task_id.in_(chunk))):
                    rows[existing.task_id] = loaded(existing)
            for task_id in dict.fromkeys(task_ids):
                row = rows.setdefault(task_id, new_row(task_id, at))
                row["priority"] = priority
                add_history(row["history"], [PRIORITY_CHANGED, at])
            self._upsert(conn, [storable(row) for row in rows.values()])

    def mark_lost(
        self,
        task_ids: Sequence[str],
        at: float,
        reason: str,
        states: Sequence[str] = (lc.PENDING,),
    ) -> list[str]:
        """Mark those of ``task_ids`` that are still in one of ``states`` (PENDING: waiting;
        RECEIVED or STARTED: held by a worker that died), not marked yet, as lost at ``at``,
        with ``reason`` and a ``lost`` history entry; their state stays. Returns the ids
        marked."""
        marked: list[str] = []
        with self._writing, self.engine.begin() as conn:
            self._lock(conn, task_ids)
            self._forget(task_ids)
            for chunk in chunks(list(dict.fromkeys(task_ids)), IN_CHUNK):
                stmt = select(tasks.c.task_id, tasks.c.history).where(
                    tasks.c.task_id.in_(chunk),
                    tasks.c.state.in_(list(states)),
                    tasks.c.lost_at.is_(None),
                )
                for row in conn.execute(stmt).all():
                    history = json.loads(row.history or "[]")
                    add_history(history, [LOST, at])
                    conn.execute(
                        update(tasks)
                        .where(tasks.c.task_id == row.task_id)
                        .values(
                            lost_at=at, lost_reason=reason, history=to_json(history),
                            redelivery_at=None, redelivery_reason=None,
                        )
                    )  # fmt: skip
                    marked.append(row.task_id)
        return marked

    def held(self) -> list[HeldTask]:
        """Every task the ledger holds as taken by a worker (RECEIVED or STARTED), neither
        lost nor awaiting redelivery."""
        stmt = select(
            tasks.c.task_id, tasks.c.user, tasks.c.state, tasks.c.queue, tasks.c.hostname,
            tasks.c.worker_pid, tasks.c.state_ts,
        ).where(
            tasks.c.state.in_(HELD_STATES),
            tasks.c.lost_at.is_(None),
            tasks.c.redelivery_at.is_(None),
        )  # fmt: skip
        with self.engine.connect() as conn:
            return [HeldTask(*r) for r in conn.execute(stmt)]

    def mark_redelivery(
        self, tasks_due: Sequence[tuple[HeldTask, float, str]], at: float
    ) -> list[str]:
        """For each (task, when kombu delivers it again, why): flag the task as awaiting
        redelivery (``redelivery_at``, ``redelivery_reason`` and an ``awaiting_redelivery``
        history entry at ``at``) if it is still held by the same worker (name and main
        process), not lost and not flagged yet. Returns the ids flagged."""
        flagged: list[str] = []
        with self._writing, self.engine.begin() as conn:
            self._lock(conn, [t.task_id for t, _, _ in tasks_due])
            self._forget(t.task_id for t, _, _ in tasks_due)
            for task, due, reason in tasks_due:
                row = conn.execute(
                    select(tasks.c.history).where(
                        tasks.c.task_id == task.task_id,
                        tasks.c.state.in_(HELD_STATES),
                        tasks.c.hostname == task.hostname,
                        tasks.c.worker_pid.is_(None)
                        if task.worker_pid is None
                        else tasks.c.worker_pid == task.worker_pid,
                        tasks.c.lost_at.is_(None),
                        tasks.c.redelivery_at.is_(None),
                    )
                ).first()
                if row is None:
                    continue
                history = json.loads(row.history or "[]")
                add_history(history, [AWAITING_REDELIVERY, at])
                conn.execute(
                    update(tasks)
                    .where(tasks.c.task_id == task.task_id)
                    .values(redelivery_at=due, redelivery_reason=reason, history=to_json(history))
                )
                flagged.append(task.task_id)
        return flagged

    def awaiting_redelivery(self) -> dict[str, tuple[int, float]]:
        """Per worker name: how many tasks it held await redelivery, and the earliest time."""
        stmt = (
            select(tasks.c.hostname, func.count(), func.min(tasks.c.redelivery_at))
            .where(tasks.c.redelivery_at.is_not(None))
            .group_by(tasks.c.hostname)
        )
        with self.engine.connect() as conn:
            return {str(h or ""): (int(n), float(at)) for h, n, at in conn.execute(stmt)}

    def waiting(self) -> list[tuple[str, str | None]]:
        """(task id, queue) of every task the ledger holds as waiting in the broker: PENDING
        and not marked lost."""
        stmt = select(tasks.c.task_id, tasks.c.queue).where(
            tasks.c.state == lc.PENDING, tasks.c.lost_at.is_(None)
        )
        with self.engine.connect() as conn:
            return [(r.task_id, r.queue) for r in conn.execute(stmt)]

    def still_waiting(self, task_ids: Iterable[str]) -> set[str]:
        """Which of ``task_ids`` the ledger still holds as waiting (PENDING, not lost)."""
        found: set[str] = set()
        with self.engine.connect() as conn:
            for chunk in chunks(list(task_ids), IN_CHUNK):
                stmt = select(tasks.c.task_id).where(
                    tasks.c.task_id.in_(chunk),
                    tasks.c.state == lc.PENDING,
                    tasks.c.lost_at.is_(None),
                )
                found.update(r.task_id for r in conn.execute(stmt))
        return found

    def lost_summary(self) -> tuple[int, float | None]:
        """How many tasks are marked lost, and when the last one was found."""
        stmt = select(func.count(), func.max(tasks.c.lost_at)).where(tasks.c.lost_at.is_not(None))
        with self.engine.connect() as conn:
            count, last = conn.execute(stmt).one()
        return int(count), last

    def purge(self, before: float) -> int:
        """Delete tasks first seen before ``before`` (epoch seconds)."""
        with self.engine.begin() as conn:
            if self.fts:
                for index in ("tasks_fts", "tasks_args_fts"):
                    conn.exec_driver_sql(
                        f"DELETE FROM {index} WHERE rowid IN "
                        "(SELECT rowid FROM tasks WHERE created_at < ?)",
                        (before,),
                    )
            if self.pg_search:
                old = select(tasks.c.task_id).where(tasks.c.created_at < before)
                conn.execute(delete(tasks_search).where(tasks_search.c.task_id.in_(old)))
            result = conn.execute(delete(tasks).where(tasks.c.created_at < before))
        with self._writing:
            self._open.clear()  # a row in memory may be one just deleted
        return int(result.rowcount or 0)

    # -- reading one task or a few ---------------------------------------------

    def get(self, task_id: str) -> TaskDetail | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(tasks).where(tasks.c.task_id == task_id)).first()
            if row is None:
                return None
            retries = conn.execute(
                select(tasks.c.task_id, tasks.c.state, tasks.c.created_at)
                .where(tasks.c.retry_of == task_id)
                .order_by(tasks.c.created_at)
            ).all()
        return TaskDetail.of_row(row, [RetryRef(r.task_id, r.state, r.created_at) for r in retries])

    def rows(self, task_ids: Iterable[str]) -> dict[str, TaskRecord]:
        """Whole rows by id (for actions), missing ids left out."""
        found: dict[str, TaskRecord] = {}
        with self.engine.connect() as conn:
            for chunk in chunks(list(task_ids), IN_CHUNK):
                result = conn.execute(select(tasks).where(tasks.c.task_id.in_(chunk)))
                keys = list(result.keys())  # once: a row's _mapping builds them anew each time
                for row in result:
                    found[row.task_id] = TaskRecord(**dict(zip(keys, row, strict=True)))
        return found

    def known(self, task_ids: Iterable[str]) -> set[str]:
        """Which of ``task_ids`` the ledger holds."""
        found: set[str] = set()
        with self.engine.connect() as conn:
            for chunk in chunks(list(task_ids), IN_CHUNK):
                stmt = select(tasks.c.task_id).where(tasks.c.task_id.in_(chunk))
                found.update(r.task_id for r in conn.execute(stmt))
        return found

    def labels(self, task_ids: Iterable[str]) -> dict[str, TaskLabels]:
        """Metric labels per task."""
        out: dict[str, TaskLabels] = {}
        with self.engine.connect() as conn:
            for chunk in chunks(list(task_ids), IN_CHUNK):
                stmt = select(tasks.c.task_id, tasks.c.name, tasks.c.queue, tasks.c.hostname).where(
                    tasks.c.task_id.in_(chunk)
                )
                for r in conn.execute(stmt):
                    out[r.task_id] = TaskLabels(r.name or "", r.queue or "", r.hostname or "")
        return out

    def open_tasks(self, user: str | None = None) -> list[OpenTask]:
        """Every task the ledger holds as open (of ``user``, if given); a task the broker lost,
        or one whose worker is gone and that awaits redelivery, is not open."""
        stmt = select(tasks.c.task_id, tasks.c.user, tasks.c.state, tasks.c.hostname).where(
            tasks.c.state.in_(sorted(lc.OPEN_STATES)),
            tasks.c.lost_at.is_(None),
            tasks.c.redelivery_at.is_(None),
        )
        if user is not None:
            stmt = stmt.where(tasks.c.user == user)
        with self.engine.connect() as conn:
            return [
                OpenTask(r.task_id, r.user or "", r.state, r.hostname) for r in conn.execute(stmt)
            ]

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(select(1))

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(tasks)).scalar_one())


# PostgreSQL: transaction-level advisory locks on the tasks' buckets (a task id's hash, one
# of 256, in TaskDeck's own lock space), taken in order. Buckets bound how many locks a
# transaction holds: the server's lock table is shared and small (64 per connection by
# default), and a move or a batch can touch thousands of tasks.
LOCK_SPACE = 0x7A5C  # the first key of TaskDeck's ledger locks
LOCK_BUCKETS = 256
_TASK_LOCKS = text(
    "SELECT pg_advisory_xact_lock(:space, b) FROM (SELECT DISTINCT "
    "CAST(hashtextextended(t, 0) & :mask AS integer) AS b "
    "FROM unnest(CAST(:ids AS text[])) AS t ORDER BY b) AS buckets"
)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()
