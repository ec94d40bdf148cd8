"""The task ledger's read side: filtered lists, search, selections and failure groups.

``LedgerQueries`` is the part of ``Ledger`` that answers the task list and the
failures page; ``Ledger`` opens the database and adds the writes.
"""

from __future__ import annotations

import re
import time
from dataclasses import replace
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Integer,
    and_,
    cast,
    exists,
    func,
    literal_column,
    select,
    text,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import TSQUERY

from backend.domain.failures import normalise_message, top_frame
from backend.services.cursors import decode_cursor, encode_cursor
from backend.services.ledger_rows import SUMMARY_COLUMNS, FailureGroup, TaskFilter, TaskSummary
from backend.services.ledger_terms import message_words, tsquery_phrase
from backend.services.ledger_terms import words as argument_words
from backend.services.schema import tasks, tasks_search
from taskdeck_core import lifecycle as lc

MAX_LIMIT = 1000
SEARCH_CAP = 2000  # newest message matches a search looks through
# A pasted short task id: the start of a UUID.
ID_PREFIX = re.compile(r"[0-9a-fA-F-]{6,}")
NAMES_TTL_S = 60.0
# The distinct task names, each found as the least name above the one before (SQLite and
# PostgreSQL both answer each step from the index on name).
NEXT_NAMES = text(
    "WITH RECURSIVE found(name) AS ("
    " SELECT (SELECT min(name) FROM tasks)"
    " UNION ALL"
    " SELECT (SELECT min(t.name) FROM tasks AS t WHERE t.name > found.name)"
    " FROM found WHERE found.name IS NOT NULL"
    ") SELECT name FROM found WHERE name IS NOT NULL"
)

# SQLite: the failure messages' full-text index keeps prefix indexes of words' first 1 to 4
# characters, so that a search whose last word is short ("timed out after 30s reading
# f-99") reads one list of rows, not the rows of every word it starts (at 10,000,000 tasks,
# "f 99*" took 4 ms without them, 0.5 ms with; "f 9*" 14 ms, 0.6 ms).
MESSAGE_PREFIXES = "1 2 3 4"


def index_message_prefixes(conn: Connection) -> bool:
    """Give a ledger whose message index was made without prefix indexes (before they were
    added) a new one with them, in the caller's transaction; returns whether it did."""
    made = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'tasks_fts'").scalar()
    if made is None or "prefix=" in str(made):
        return False
    conn.exec_driver_sql("DROP TABLE IF EXISTS tasks_fts_prefixed")
    conn.exec_driver_sql(
        "CREATE VIRTUAL TABLE tasks_fts_prefixed USING "
        f"fts5(exc_message, prefix='{MESSAGE_PREFIXES}')"
    )
    conn.exec_driver_sql(
        "INSERT INTO tasks_fts_prefixed(rowid, exc_message) SELECT rowid, exc_message FROM tasks_fts"
    )
    conn.exec_driver_sql("DROP TABLE tasks_fts")
    conn.exec_driver_sql("ALTER TABLE tasks_fts_prefixed RENAME TO tasks_fts")
    return True


class LedgerQueries:
    """Reads over the ``tasks`` table; needs ``engine``, ``fts`` (SQLite's full-text
    index) and ``pg_search`` (PostgreSQL's, ``tasks_search``)."""

    engine: Engine
    fts: bool
    pg_search: bool
    _names: tuple[float, list[str]] = (float("-inf"), [])

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
        if f.lost is not None:
            cond.append(tasks.c.lost_at.is_not(None) if f.lost else tasks.c.lost_at.is_(None))
        if f.retried is not None:  # a retry names its original (ix_tasks_retry_of)
            retry = tasks.alias("retry")
            has_retry = exists(select(retry.c.task_id).where(retry.c.retry_of == tasks.c.task_id))
            cond.append(has_retry if f.retried else ~has_retry)
        if f.since is not None:
            cond.append(tasks.c.created_at >= f.since)
        if f.until is not None:
            cond.append(tasks.c.created_at < f.until)
        if f.finished_since is not None:
            cond.append(tasks.c.finished_at >= f.finished_since)
        if f.finished_until is not None:
            cond.append(tasks.c.finished_at < f.finished_until)
        return cond

    def _task_names(self) -> list[str]:
        """The distinct task names (few), cached for a minute. Read by skipping from one name
        to the next in ix_tasks_name (one index lookup per name): a plain DISTINCT walks the
        whole index, a second and more at 10,000,000 tasks."""
        at, names = self._names
        if time.monotonic() - at > NAMES_TTL_S:
            with self.engine.connect() as conn:
                names = [r[0] for r in conn.execute(NEXT_NAMES) if r[0]]
            self._names = (time.monotonic(), names)
        return names

    def _id_prefix_branches(self, q: str) -> list[Any]:
        """Tasks whose id starts with ``q`` (a short id pasted: as given, or in lower case),
        found first in a range of the primary key's index, so that the list's other filters
        never make the database look through their own index instead."""
        found: list[str] = []
        with self.engine.connect() as conn:
            for prefix in dict.fromkeys((q, q.lower())):
                # Ids are compared as the database collates them: the prefix is checked too.
                stmt = (
                    select(tasks.c.task_id)
                    .where(
                        tasks.c.task_id >= prefix,
                        tasks.c.task_id < prefix + "\uffff",
                        tasks.c.task_id.startswith(prefix),
                    )
                    .limit(SEARCH_CAP)
                )
                found.extend(conn.execute(stmt).scalars())
        return [tasks.c.task_id.in_(found)] if found else []

    def _search_branches(self, q: str) -> list[Any]:
        """Conditions, each served by an index, whose union is 'q matches id, name, message
        or argument values' (arguments as ``ledger_terms`` splits them: q=1234 finds F-01234)."""
        branches: list[Any] = [tasks.c.task_id == q]
        if ID_PREFIX.fullmatch(q):
            branches.extend(self._id_prefix_branches(q))
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
            terms = argument_words(q)
            if terms:
                phrase = '"' + " ".join(terms) + '"*'  # as argument values are indexed
                matches = text(
                    "SELECT rowid FROM tasks_args_fts WHERE tasks_args_fts MATCH :phrase "
                    f"ORDER BY rowid DESC LIMIT {SEARCH_CAP}"
                ).bindparams(phrase=phrase)
                branches.append(literal_column("tasks.rowid").in_(matches))
        elif self.pg_search:
            # The same phrases as above, as tsqueries over tsvectors (GIN indexes).
            for column, terms in ((tasks_search.c.message, message_words(q)),
                                  (tasks_search.c.terms, argument_words(q))):  # fmt: skip
                query = tsquery_phrase(terms)
                if query is None:
                    continue
                newest = (
                    select(tasks_search.c.task_id)
                    .where(column.op("@@")(cast(query, TSQUERY)))
                    .order_by(tasks_search.c.created_at.desc())
                    .limit(SEARCH_CAP)
                )
                branches.append(tasks.c.task_id.in_(newest))
        else:
            like = f"%{_escape_like(q)}%"
            branches.append(tasks.c.exc_message.like(like, escape="\\"))
            branches.append(tasks.c.args.like(like, escape="\\"))
        return branches

    def list_tasks(
        self, f: TaskFilter, limit: int = 100, cursor: str | None = None
    ) -> tuple[list[TaskSummary], str | None]:
        """Newest first, keyset-paginated by (created_at, task_id)."""
        limit = max(1, min(limit, MAX_LIMIT))
        cond = self._where(f)
        if cursor:
            created_at, task_id = decode_cursor(cursor)
            cond.append(tuple_(tasks.c.created_at, tasks.c.task_id) < (created_at, task_id))
        columns = [tasks.c[c] for c in SUMMARY_COLUMNS]
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
        next_cursor = encode_cursor(rows[-1].created_at, rows[-1].task_id) if more else None
        return [TaskSummary.of(r) for r in rows], next_cursor

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
        self,
        since: float | None,
        until: float | None,
        name: str | None,
        limit: int = 200,
        buckets: int = 0,
    ) -> list[FailureGroup]:
        """Failures that finished in [since, until), by signature, most first. With
        ``buckets``, each group's ``series`` counts them in that many equal parts of the
        window, oldest first (the window must then be bounded: ``since`` and ``until``)."""
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
                func.count().label("failures"),
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
                    FailureGroup(
                        signature=g.signature,
                        name=first.name,
                        exc_type=first.exc_type,
                        message=normalise_message(first.exc_message or ""),
                        top_frame=top_frame(first.traceback),
                        count=g.failures,
                        first_seen=g.first_seen,
                        last_seen=g.last_seen,
                        affected_users=g.users,
                        users=[u.user for u in users],
                        sample_ids=[s.task_id for s in sample],
                        sample_message=first.exc_message,
                    )
                )
            if buckets and groups and since is not None and until is not None:
                series = self._series(conn, cond, [g.signature for g in groups], since, until,
                                      buckets)  # fmt: skip
                groups = [replace(g, series=series[g.signature]) for g in groups]
        return groups

    def _series(
        self, conn: Connection, cond: list[Any], signatures: list[str], since: float,
        until: float, buckets: int,
    ) -> dict[str, list[int]]:  # fmt: skip
        """Each signature's failures (``cond``) in ``buckets`` equal parts of [since, until)."""
        width = (until - since) / buckets
        part: Any = (tasks.c.finished_at - since) / width
        # The part's number: SQLite's CAST truncates (the value is never negative); others
        # round, so they are given the floor.
        part = cast(part if self.engine.dialect.name == "sqlite" else func.floor(part), Integer)
        series = {s: [0] * buckets for s in signatures}
        stmt = (
            select(tasks.c.signature, part.label("part"), func.count().label("failures"))
            .where(*cond, tasks.c.signature.in_(signatures))
            .group_by(tasks.c.signature, part)
        )
        for row in conn.execute(stmt):
            # A failure a rounding error puts just past the end counts in the last part.
            series[row.signature][max(0, min(int(row.part), buckets - 1))] += row.failures
        return series


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
