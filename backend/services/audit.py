"""The audit log: every change, written before it is acknowledged."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from backend.services.auth import Principal
from backend.services.cursors import decode_cursor_id, encode_cursor_id
from backend.services.schema import audit


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
    status: str  # pending | ok | failed | partial
    outcome: Any  # None while the action is in progress
    finished_at: float | None


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

    def list_entries(self, limit: int, cursor: str | None) -> tuple[list[AuditEntry], str | None]:
        limit = max(1, min(limit, 1000))
        stmt = select(audit).order_by(audit.c.id.desc()).limit(limit + 1)
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
            )  # fmt: skip
            for r in rows
        ]
        return items, (encode_cursor_id(rows[-1].id) if more else None)
