"""The steps of cancel, priority and retry, for any number of tasks at once.

A single action runs them for one task, a bulk job for a chunk of its items;
both get the same outcome per task. The rules:
- cancel: a waiting task is taken out of the broker atomically and put in the
  durable cancelled set that the workers check before starting a task; a
  running task is terminated (prefork); the outcome names what happened.
- priority: a waiting task's message moves to the other priority list with
  the same task id; a task that is not waiting cannot change priority.
- retry: the original envelope is published again as a new task linked to
  the original, optionally with a new priority.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import redis
from celery import Celery

from backend.services.batching import chunks
from backend.services.broker import BrokerQueues
from backend.services.ledger import Ledger
from backend.services.ledger_rows import TaskRecord
from backend.services.quotas import Quotas
from taskdeck_core import lifecycle as lc
from taskdeck_core.priority import USER_PRIORITY_DEFAULT, to_celery_priority
from taskdeck_core.transport import QUEUES
from taskdeck_worker.integration import RETRY_OF_HEADER, TIER_HEADER, USER_HEADER

# What an action came to, per task.
REMOVED = "removed_from_queue"
TERMINATED = "terminated"
REVOKED = "revoked"
ALREADY_FINISHED = "already_finished"
MOVED = "moved"
NOT_QUEUED = "not_queued"
RETRIED = "retried"
NOT_RETRYABLE = "not_retryable"
NOT_FOUND = "not_found"
# Outcomes that count as failed items of a bulk job.
FAILED_OUTCOMES = frozenset({NOT_FOUND, NOT_QUEUED, NOT_RETRYABLE})

BROKER_CHUNK = 2000  # task ids per broker script call
PUBLISH_THREADS = 4
SERIAL_RETRIES = 50  # up to this many retries are published from the calling thread


class ActionError(Exception):
    """An action refused; ``status`` is the HTTP status, ``code`` the error name."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Outcome:
    task_id: str
    outcome: str
    detail: str | None = None
    new_task_id: str | None = None


def in_queues(
    ids: Sequence[str],
    queues_of: Callable[[str], list[str]],
    act: Callable[[str, list[str]], dict[str, str]],
    chunk: int = BROKER_CHUNK,
) -> dict[str, str]:
    """Run ``act(queue, ids)`` on each queue for the ids that may wait in it, ``chunk`` ids
    per call; an id that one queue answered for is not asked of the next. ``act`` returns
    task id -> list key for the ids it found; so does this, over all queues."""
    by_queue: dict[str, list[str]] = defaultdict(list)
    for task_id in ids:
        for queue in queues_of(task_id):
            by_queue[queue].append(task_id)
    found: dict[str, str] = {}
    for queue, queue_ids in by_queue.items():
        pending = [i for i in queue_ids if i not in found]
        for part in chunks(pending, chunk):
            found.update(act(queue, list(part)))
    return found


def not_retryable(row: TaskRecord) -> str | None:
    """Why the task cannot be retried, or None if it can."""
    if row.state not in lc.FINAL_STATES:
        return f"task {row.task_id} is {row.state}; only a finished task can be retried"
    if not row.name or row.args is None:
        return (
            f"task {row.task_id} has no recorded envelope (it was published where the "
            "TaskDeck integration is not installed), so it cannot be re-sent exactly"
        )
    return None


# What an action comes to for one task, from what the ledger holds for it (``row``, None
# if nothing) and whether its message waits in the broker. Doing an action and
# previewing it (a dry run) both decide by these.


def cancel_outcome(task_id: str, row: TaskRecord | None, waiting_in: str | None) -> Outcome:
    if row is not None and row.state in lc.FINAL_STATES:
        return Outcome(task_id, ALREADY_FINISHED, f"task is {row.state}")
    if waiting_in is not None:
        return Outcome(task_id, REMOVED, f"taken out of {waiting_in}")
    if row is None:
        return Outcome(task_id, NOT_FOUND, "no such task in the ledger or the broker")
    if row.state == lc.STATE_STARTED:
        return Outcome(task_id, TERMINATED, f"running on {row.hostname}")
    return Outcome(task_id, REVOKED, "held by a worker; it will be skipped")


def move_outcome(task_id: str, row: TaskRecord | None, waiting: bool, priority: int) -> Outcome:
    if waiting:
        return Outcome(task_id, MOVED, f"now priority {priority}")
    if row is None:
        return Outcome(task_id, NOT_FOUND, "no such task in the ledger or the broker")
    return Outcome(
        task_id, NOT_QUEUED, f"task is {row.state}; only a waiting task can change priority"
    )


def retry_outcome(task_id: str, row: TaskRecord | None) -> Outcome:
    if row is None:
        return Outcome(task_id, NOT_FOUND, "no such task in the ledger")
    reason = not_retryable(row)
    if reason:
        return Outcome(task_id, NOT_RETRYABLE, reason)
    return Outcome(task_id, RETRIED)


@dataclass
class ActionSteps:
    ledger: Ledger
    queues: BrokerQueues
    redis: redis.Redis
    app: Celery
    quotas: Quotas | None = None

    def queues_for(self, row: TaskRecord | None) -> list[str]:
        """The queue the ledger knows for a task, or every configured one."""
        return [row.queue] if row is not None and row.queue else list(QUEUES)

    def find_waiting(self, task_id: str, row: TaskRecord | None) -> list[str]:
        """Queues in which a message of ``task_id`` is waiting (normally none or one):
        the queue the ledger knows for it, and the configured ones."""
        candidates = dict.fromkeys([*self.queues_for(row), *QUEUES])
        return [q for q in candidates if self.queues.locate(q, task_id)]

    def _queues_of(self, rows: dict[str, TaskRecord]) -> Callable[[str], list[str]]:
        return lambda task_id: self.queues_for(rows.get(task_id))

    def waiting_in(self, ids: list[str], rows: dict[str, TaskRecord]) -> dict[str, str]:
        """Which of ``ids`` wait in the broker: task id -> list key (nothing is changed)."""
        return in_queues(ids, self._queues_of(rows), self.queues.find)

    def cancel_many(self, ids: list[str], rows: dict[str, TaskRecord]) -> list[Outcome]:
        live = [i for i in ids if i not in rows or rows[i].state not in lc.FINAL_STATES]
        removed: dict[str, str] = {}
        if live:
            now = time.time()
            # Durable first: a worker that receives one of these from now on skips it.
            self.redis.zadd(lc.CANCELLED_KEY, dict.fromkeys(live, now))
            removed = in_queues(live, self._queues_of(rows), self.queues.remove)
            if removed and self.quotas is not None:
                self.quotas.release(list(removed))  # it will never run: its slot is free
            for i in removed:
                self.ledger.mark(i, lc.STATE_REVOKED, now, lc.REVOKED)
        out = [cancel_outcome(i, rows.get(i), removed.get(i)) for i in ids]
        to_terminate = [o.task_id for o in out if o.outcome == TERMINATED]
        to_revoke = [o.task_id for o in out if o.outcome == REVOKED]
        if to_terminate:
            self.app.control.revoke(to_terminate, terminate=True, signal="SIGTERM")
        if to_revoke:
            self.app.control.revoke(to_revoke)
        unknown = [o.task_id for o in out if o.outcome == NOT_FOUND]
        if unknown:
            self.redis.zrem(lc.CANCELLED_KEY, *unknown)
        return out

    def move_many(
        self, ids: list[str], rows: dict[str, TaskRecord], priority: int
    ) -> list[Outcome]:
        step = to_celery_priority(priority)
        moved = in_queues(
            ids, self._queues_of(rows), lambda queue, part: self.queues.move(queue, part, step)
        )
        if moved:
            self.ledger.moved(list(moved), priority, time.time())
        return [move_outcome(i, rows.get(i), i in moved, priority) for i in ids]

    def preview(
        self, action: str, ids: list[str], rows: dict[str, TaskRecord], priority: int | None
    ) -> list[Outcome]:
        """What ``action`` would come to for each of ``ids`` if done now, by the same rules
        as doing it (a bulk job's dry run); nothing is changed."""
        if action == "retry":
            return [retry_outcome(i, rows.get(i)) for i in ids]
        if action == "cancel":
            live = [i for i in ids if i not in rows or rows[i].state not in lc.FINAL_STATES]
            waiting = self.waiting_in(live, rows)
            return [cancel_outcome(i, rows.get(i), waiting.get(i)) for i in ids]
        if priority is None:
            raise ValueError("a priority action names a priority")
        waiting = self.waiting_in(ids, rows)
        return [move_outcome(i, rows.get(i), i in waiting, priority) for i in ids]

    def retry_many(
        self, rows: list[TaskRecord], priority: int | None, new_ids: list[str] | None = None
    ) -> list[Outcome]:
        ids = new_ids or [str(uuid.uuid4()) for _ in rows]
        if len(rows) <= SERIAL_RETRIES:
            return self._publish_retries(rows, priority, ids)
        # Publishing waits on Redis round trips; a few threads overlap them.
        parts = [
            (rows[k::PUBLISH_THREADS], ids[k::PUBLISH_THREADS]) for k in range(PUBLISH_THREADS)
        ]
        with ThreadPoolExecutor(PUBLISH_THREADS, thread_name_prefix="retry") as pool:
            done = list(pool.map(lambda p: self._publish_retries(p[0], priority, p[1]), parts))
        by_id = {o.task_id: o for part in done for o in part}
        return [by_id[row.task_id] for row in rows]

    def _publish_retries(
        self, rows: list[TaskRecord], priority: int | None, new_ids: list[str]
    ) -> list[Outcome]:
        out = []
        emitter = getattr(self.app, "taskdeck_emitter", None)
        recording = emitter.batched() if emitter is not None else contextlib.nullcontext()
        # Both are sent in one pipeline each at the end, the records first (the inner
        # context exits first), so a crash in between loses a retry rather than
        # running one twice: a bulk job that resumes treats a recorded publish as sent.
        batch_size = 4 * len(rows) + 10  # never flushes early
        if self.quotas is not None:
            # A retry is queued work of its user: it counts against the quota (but is
            # not refused by it: support decided to run it).
            self.quotas.force_take_many(
                [(row.user, new_id) for row, new_id in zip(rows, new_ids, strict=True)
                 if row.user and not not_retryable(row)]
            )  # fmt: skip
        with self.app.producer_or_acquire() as producer, producer.batch(batch_size), recording:
            for row, new_id in zip(rows, new_ids, strict=True):
                refused = retry_outcome(row.task_id, row)
                if refused.outcome != RETRIED:
                    out.append(refused)
                    continue
                user_priority = (
                    priority if priority is not None else (row.priority or USER_PRIORITY_DEFAULT)
                )
                headers = {RETRY_OF_HEADER: row.task_id}
                if row.user:
                    headers[USER_HEADER] = row.user
                if row.tier:
                    headers[TIER_HEADER] = row.tier
                self.app.send_task(
                    row.name,
                    args=json.loads(row.args or "[]"),
                    kwargs=json.loads(row.kwargs or "{}"),
                    task_id=new_id,
                    queue=row.queue or None,
                    priority=to_celery_priority(user_priority),
                    headers=headers,
                    producer=producer,
                )
                out.append(Outcome(row.task_id, RETRIED, None, new_task_id=new_id))
        return out
