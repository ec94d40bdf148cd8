"""Cancel, retry and change the priority of one task, audited.

Every accepted action is in the audit log before it is answered. The steps
themselves, shared with bulk jobs, are in ``action_steps``; bulk jobs in ``bulk``.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import redis
from celery import Celery

from backend.services.action_steps import (
    NOT_QUEUED,
    NOT_RETRYABLE,
    ActionError,
    ActionSteps,
    Outcome,
    not_retryable,
)
from backend.services.audit import AuditLog
from backend.services.auth import Principal
from backend.services.broker import BrokerQueues
from backend.services.bulk import LEASE_S, BulkJobs
from backend.services.environment import EnvironmentService
from backend.services.ledger import Ledger
from backend.services.quotas import Quotas

# ActionError is what the API's error handler imports from here.
__all__ = ["ActionAnswer", "ActionError", "Actions"]


@dataclass(frozen=True)
class ActionAnswer:
    """What an action on one task came to, and the audit entry that records it."""

    task_id: str
    outcome: str
    detail: str | None
    new_task_id: str | None  # a retry's new task
    audit_id: int


class Actions:
    def __init__(
        self,
        ledger: Ledger,
        audit: AuditLog,
        queues: BrokerQueues,
        client: redis.Redis,
        app: Celery,
        environment: EnvironmentService,
        quotas: Quotas | None = None,
        bulk_lease_s: float = LEASE_S,
    ) -> None:
        self.steps = ActionSteps(ledger, queues, client, app, environment, quotas)
        self.audit = audit
        self.bulk = BulkJobs(self.steps, audit, bulk_lease_s)

    # The routes' job starter runs bulk jobs through these two.
    @property
    def job_pool(self) -> ThreadPoolExecutor:
        return self.bulk.job_pool

    def run_job(self, job_id: str) -> None:
        self.bulk.run_job(job_id)

    def _audited(
        self, who: Principal, action: str, task_id: str, reason: str, request: dict[str, Any],
        act: Callable[[], Outcome],
    ) -> ActionAnswer:  # fmt: skip
        audit_id = self.audit.begin(who, action, [task_id], 1, reason, request)
        try:
            outcome = act()
        except Exception as exc:
            self.audit.finish(audit_id, "failed", {"error": f"{type(exc).__name__}: {exc}"})
            raise
        recorded: dict[str, Any] = {
            "task_id": task_id, "outcome": outcome.outcome, "detail": outcome.detail,
        }  # fmt: skip
        if outcome.new_task_id:
            recorded["new_task_id"] = outcome.new_task_id
        self.audit.finish(audit_id, "ok", recorded)
        return ActionAnswer(
            task_id, outcome.outcome, outcome.detail, outcome.new_task_id or None, audit_id
        )

    def cancel(self, who: Principal, task_id: str, reason: str) -> ActionAnswer:
        row = self.steps.ledger.rows([task_id]).get(task_id)
        if row is None and not any(self.steps.find_waiting(task_id, row)):
            raise ActionError(404, "unknown_task", f"no task with id {task_id!r}")
        rows = {task_id: row} if row else {}
        return self._audited(
            who, "cancel", task_id, reason, {"reason": reason},
            lambda: self.steps.cancel_many([task_id], rows)[0],
        )  # fmt: skip

    def set_priority(
        self, who: Principal, task_id: str, priority: int, reason: str
    ) -> ActionAnswer:
        row = self.steps.ledger.rows([task_id]).get(task_id)
        waiting = self.steps.find_waiting(task_id, row)
        if row is None and not waiting:
            raise ActionError(404, "unknown_task", f"no task with id {task_id!r}")
        if not waiting:
            state = row.state if row else "unknown"
            raise ActionError(
                409, NOT_QUEUED,
                f"task {task_id} is {state}, not waiting in a queue; only a waiting task can change priority",
            )  # fmt: skip
        rows = {task_id: row} if row else {}
        return self._audited(
            who, "priority", task_id, reason, {"priority": priority, "reason": reason},
            lambda: self.steps.move_many([task_id], rows, priority)[0],
        )  # fmt: skip

    def retry(
        self, who: Principal, task_id: str, reason: str, priority: int | None
    ) -> ActionAnswer:
        row = self.steps.ledger.rows([task_id]).get(task_id)
        if row is None:
            raise ActionError(404, "unknown_task", f"no task with id {task_id!r}")
        why = not_retryable(row)
        if why:
            raise ActionError(409, NOT_RETRYABLE, why)
        return self._audited(
            who, "retry", task_id, reason, {"priority": priority, "reason": reason},
            lambda: self.steps.retry_many([row], priority)[0],
        )  # fmt: skip
