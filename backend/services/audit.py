"""The audit log: every change, written before it is acknowledged."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, union, update

from backend.services.auth import Principal
from backend.services.cursors import decode_cursor_id, encode_cursor_id
from backend.services.schema import audit, bulk_items, bulk_jobs


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: float  # when the request arrived
    user: str
    role: str
    action: str
    targets: Any  # task ids, or the filter of a bulk job
    target_count: int
    reason: str
    request: Any  # the request body
    status: str  # pending | ok | failed | partial | unknown (sent, no answer said if done)
    outcome: Any  # None while the action is in progress
    finished_at: float | None
    job_id: str | None = None  # the bulk job of a bulk action's entry


@dataclass(frozen=True)
class AuditFilter:
    """Which entries to list; every field given must hold."""

    user: str | None = None
    action: str | None = None
    since: float | None = None  # entries at or after (their ``at``)
    until: float | None = None  # entries before
    task_id: str | None = None  # entries that act on this task, alone or in a bulk job


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)


class AuditLog:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def begin(
        self,
        who: Principal,
        action: str,
        targets: Any,
        target_count: int,
        reason: str,
        request: dict[str, Any],
        at: float | None = None,
        conn: Connection | None = None,
    ) -> int:
        """Record an action about to be taken; returns its audit id. Given ``conn`` (a
        transaction on the audit log's database), the entry is written in it, and so
        exists only if that transaction commits."""
        stmt = insert(audit).values(
            at=at or time.time(),
            user=who.user,
            role=who.role,
            action=action,
            targets=_json(targets),
            target_count=target_count,
            reason=reason,
            request=_json(request),
            outcome=None,
            status="pending",
        )
        if conn is None:
            with self.engine.begin() as own:
                key: Any = own.execute(stmt).inserted_primary_key
        else:
            key = conn.execute(stmt).inserted_primary_key
        return int(key[0])

    def finish(self, audit_id: int, status: str, outcome: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(audit)
                .where(audit.c.id == audit_id)
                .values(status=status, outcome=_json(outcome), finished_at=time.time())
            )

    def list_entries(
        self, limit: int, cursor: str | None, f: AuditFilter | None = None
    ) -> tuple[list[AuditEntry], str | None]:
        """Newest first, keyset-paginated by id."""
        limit = max(1, min(limit, 1000))
        stmt = (
            select(audit, bulk_jobs.c.job_id)
            .outerjoin(bulk_jobs, bulk_jobs.c.audit_id == audit.c.id)
            .where(*_where(f or AuditFilter()))
            .order_by(audit.c.id.desc())
            .limit(limit + 1)
        )
        if cursor:
            stmt = stmt.where(audit.c.id < decode_cursor_id(cursor))
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        more = len(rows) > limit
        rows = rows[:limit]
        items = [
            AuditEntry(
                id=r.id,
                at=r.at,
                user=r.user,
                role=r.role,
                action=r.action,
                targets=json.loads(r.targets),
                target_count=r.target_count,
                reason=r.reason,
                request=json.loads(r.request),
                status=r.status,
                outcome=json.loads(r.outcome) if r.outcome else None,
                finished_at=r.finished_at,
                job_id=r.job_id,
            )  # fmt: skip
            for r in rows
        ]
        return items, (encode_cursor_id(rows[-1].id) if more else None)


def _where(f: AuditFilter) -> list[Any]:
    cond: list[Any] = []
    if f.user is not None:
        cond.append(audit.c.user == f.user)
    if f.action is not None:
        cond.append(audit.c.action == f.action)
    if f.since is not None:
        cond.append(audit.c.at >= f.since)
    if f.until is not None:
        cond.append(audit.c.at < f.until)
    if f.task_id is not None:
        # A single-task action's targets are that one id; a bulk job's items name each
        # of its tasks. Both are looked up by an index.
        alone = select(audit.c.id).where(
            audit.c.target_count == 1, audit.c.targets == _json([f.task_id])
        )
        in_job = (
            select(bulk_jobs.c.audit_id)
            .join(bulk_items, bulk_items.c.job_id == bulk_jobs.c.job_id)
            .where(bulk_items.c.task_id == f.task_id)
        )
        cond.append(audit.c.id.in_(union(alone, in_job)))
    return cond
