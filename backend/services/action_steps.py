"""The steps of cancel, priority and retry, for any number of tasks at once.

A single action runs them for one task, a bulk job for a chunk of its items;
both get the same outcome per task. The rules:
- cancel: a waiting task is taken out of whichever list holds it, atomically,
  and put in the durable cancelled set that workers with the TaskDeck plug-in
  check before starting a task; a running task is terminated (prefork). A task
  a worker without the plug-in already holds can only be revoked by broadcast,
  which a worker restart forgets, and the outcome says so.
- priority: a waiting task's message moves to the list of the system's own step
  for its new priority, with the same task id; a task that is not waiting
  cannot change priority.
- retry: the original envelope is published again as a new task linked to
  the original, optionally with a new priority, straight into the list of its
  queue that the system's workers read (no binding is declared).

Every write uses the watched system's transport (``EnvironmentService``); with
its priority steps unknown, moves and retries are refused rather than guessed.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import redis
from celery import Celery

from backend.services.batching import chunks
from backend.services.broker import BrokerQueues
from backend.services.environment import EnvironmentService, NotWritable
from backend.services.ledger import Ledger
from backend.services.ledger_rows import TaskRecord
from backend.services.publishing import publishing
from backend.services.quotas import Quotas
from taskdeck_core import lifecycle as lc
from taskdeck_core.api_types import TransportInfo
from taskdeck_core.priority import USER_PRIORITY_DEFAULT, to_celery_priority
from taskdeck_core.transport import Transport
from taskdeck_worker.integration import RETRY_OF_HEADER, TIER_HEADER, USER_HEADER

# What an action came to, per task.
REMOVED = "removed_from_queue"
TERMINATED = "terminated"
REVOKED = "revoked"
REVOKE_BROADCAST = "revoke_broadcast"
ALREADY_FINISHED = "already_finished"
MOVED = "moved"
NOT_QUEUED = "not_queued"
RETRIED = "retried"
NOT_RETRYABLE = "not_retryable"
NOT_FOUND = "not_found"
STEPS_UNKNOWN = "steps_unknown"
# Outcomes that count as failed items of a bulk job.
FAILED_OUTCOMES = frozenset({NOT_FOUND, NOT_QUEUED, NOT_RETRYABLE})

BROKER_CHUNK = 2000  # task ids per broker script call


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
    if row.state not in lc.FINAL_STATES and row.lost_at is None:
        return (
            f"task {row.task_id} is {row.state}; only a finished task, or one the broker "
            "lost, can be retried"
        )
    if row.state == lc.SUCCESS and row.result_stored is False:
        return (
            f"task {row.task_id} did its work: its worker reported it succeeded; only storing "
            f"its result failed ({(row.result_error or 'no error reported')[:200]}). A retry "
            "would run the work a second time; check its effects, and submit it anew if it "
            "must run again"
        )
    if not row.name or row.args is None:
        return (
            f"task {row.task_id} has no recorded arguments, so it cannot be re-sent exactly: "
            "whole arguments are recorded only by the TaskDeck plug-in or, without it, by "
            "the result backend with result_extended=True in the system's Celery configuration"
        )
    if not row.queue:
        return f"task {row.task_id} has no recorded queue, so TaskDeck cannot tell where to send it"
    return None


# What an action comes to for one task, from what the ledger holds for it (``row``, None
# if nothing) and whether its message waits in the broker. Doing an action and
# previewing it (a dry run) both decide by these.


def cancel_outcome(
    task_id: str, row: TaskRecord | None, waiting_in: str | None, durable: bool = True
) -> Outcome:
    """``durable``: the workers have the TaskDeck plug-in, which skips a cancelled task."""
    if row is not None and row.state in lc.FINAL_STATES:
        return Outcome(task_id, ALREADY_FINISHED, f"task is {row.state}")
    if waiting_in is not None:
        return Outcome(task_id, REMOVED, f"taken out of {waiting_in!r}")
    if row is None:
        return Outcome(task_id, NOT_FOUND, "no such task in the ledger or the broker")
    if row.state == lc.STATE_STARTED:
        return Outcome(task_id, TERMINATED, f"running on {row.hostname}")
    if durable:
        return Outcome(task_id, REVOKED, "held by a worker; it will be skipped")
    return Outcome(
        task_id,
        REVOKE_BROADCAST,
        "a worker already holds it and runs without the TaskDeck plug-in, so only a revoke "
        "broadcast was possible: the workers keep it in memory only, and a worker restart "
        "before the task starts runs it anyway",
    )


def landing(transport: Transport, queue: str | None, priority: int) -> str:
    """Where a message of user ``priority`` waits: the list of the system's step for it."""
    celery_priority = to_celery_priority(priority)
    step = transport.step_for(celery_priority)
    low, high = transport.serves(step)
    where = f"in {transport.list_for(queue, celery_priority)!r}" if queue else "in the list"
    return f"now priority {priority}, waiting {where} (step {step}: Celery priorities {low}-{high})"


def move_outcome(
    task_id: str, row: TaskRecord | None, waiting: bool, priority: int, detail: str | None = None
) -> Outcome:
    if waiting:
        return Outcome(task_id, MOVED, detail or f"now priority {priority}")
    if row is None:
        return Outcome(task_id, NOT_FOUND, "no such task in the ledger or the broker")
    return Outcome(
        task_id, NOT_QUEUED, f"task is {row.state}; only a waiting task can change priority"
    )


def _queue_of_list(key: str | None, transport: Transport) -> str | None:
    """The queue a list key belongs to (``q`` or ``q<sep><step>``)."""
    if key is None:
        return None
    head, sep, tail = key.rpartition(transport.sep)
    return head if sep and tail.isdigit() else key


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
    environment: EnvironmentService
    quotas: Quotas | None = None

    def queues_for(self, row: TaskRecord | None) -> list[str]:
        """The queue the ledger knows for a task, or every queue of the system."""
        if row is not None and row.queue:
            return [row.queue]
        return self.environment.queue_names()

    def find_waiting(self, task_id: str, row: TaskRecord | None) -> list[str]:
        """Queues in which a message of ``task_id`` is waiting (normally none or one):
        the queue the ledger knows for it, and every other queue of the system."""
        candidates = dict.fromkeys([*self.queues_for(row), *self.environment.queue_names()])
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
        durable = self.environment.plugin_seen
        out = [cancel_outcome(i, rows.get(i), removed.get(i), durable) for i in ids]
        to_terminate = [o.task_id for o in out if o.outcome == TERMINATED]
        to_revoke = [o.task_id for o in out if o.outcome in (REVOKED, REVOKE_BROADCAST)]
        if to_terminate:
            publishing(
                self.app,
                lambda: self.app.control.revoke(to_terminate, terminate=True, signal="SIGTERM"),
            )
        if to_revoke:
            publishing(self.app, lambda: self.app.control.revoke(to_revoke))
        unknown = [o.task_id for o in out if o.outcome == NOT_FOUND]
        if unknown:
            self.redis.zrem(lc.CANCELLED_KEY, *unknown)
        return out

    def move_many(
        self, ids: list[str], rows: dict[str, TaskRecord], priority: int
    ) -> list[Outcome]:
        transport = self._writable().transport()
        celery_priority = to_celery_priority(priority)
        queue_of: dict[str, str] = {}

        def move(queue: str, part: list[str]) -> dict[str, str]:
            found = self.queues.move(queue, part, celery_priority)
            queue_of.update(dict.fromkeys(found, queue))
            return found

        moved = in_queues(ids, self._queues_of(rows), move)
        if moved:
            self.ledger.moved(list(moved), priority, time.time())
        return [
            move_outcome(i, rows.get(i), i in moved, priority,
                         landing(transport, queue_of.get(i), priority))
            for i in ids
        ]  # fmt: skip

    def _writable(self) -> TransportInfo:
        try:
            return self.environment.writable()
        except NotWritable as exc:
            raise ActionError(409, STEPS_UNKNOWN, str(exc)) from None

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
            durable = self.environment.plugin_seen
            return [cancel_outcome(i, rows.get(i), waiting.get(i), durable) for i in ids]
        if priority is None:
            raise ValueError("a priority action names a priority")
        transport = self._writable().transport()
        waiting = self.waiting_in(ids, rows)
        return [
            move_outcome(i, rows.get(i), i in waiting, priority,
                         landing(transport, _queue_of_list(waiting.get(i), transport), priority))
            for i in ids
        ]  # fmt: skip

    def retry_many(
        self, rows: list[TaskRecord], priority: int | None, new_ids: list[str] | None = None,
        slots_taken: bool = False, ready: Callable[[], None] | None = None,
    ) -> list[Outcome]:  # fmt: skip
        """Publish a retry of each of ``rows`` (new task ids ``new_ids``, or fresh ones);
        ``slots_taken``: ``take_retry_slots`` already counted them against their users'
        quotas (a bulk job does it beside the publishing of the chunk before). ``ready``
        is called once the messages are built, just before they are sent: if it raises,
        none is sent (their lifecycle records are, and a resumed job looks for them)."""
        ids = new_ids or [str(uuid.uuid4()) for _ in rows]
        self._writable()  # the app publishes with the system's transport, once it is known
        if not slots_taken:
            self.take_retry_slots(rows, ids)
        # One thread, pipelines for the messages and the lifecycle records: building a
        # message is Python work under the GIL, so threads only contended for it (four
        # threads, started anew per chunk, published a bulk job's retries slower than one).
        return self._publish_retries(rows, priority, ids, ready)

    def take_retry_slots(self, rows: list[TaskRecord], new_ids: list[str]) -> None:
        """A retry is queued work of its user: it counts against the quota (but is not
        refused by it: support decided to run it). One round trip; taking a slot twice
        (a resumed job sends a retry it had taken one for) holds one."""
        if self.quotas is not None:
            self.quotas.force_take_many(
                [(row.user, new_id) for row, new_id in zip(rows, new_ids, strict=True)
                 if row.user and not not_retryable(row)]
            )  # fmt: skip

    def _publish_retries(
        self, rows: list[TaskRecord], priority: int | None, new_ids: list[str],
        ready: Callable[[], None] | None = None,
    ) -> list[Outcome]:  # fmt: skip
        return publishing(self.app, lambda: self._publish_batch(rows, priority, new_ids, ready))

    def _publish_batch(
        self, rows: list[TaskRecord], priority: int | None, new_ids: list[str],
        ready: Callable[[], None] | None = None,
    ) -> list[Outcome]:  # fmt: skip
        out = []
        emitter = getattr(self.app, "taskdeck_emitter", None)
        recording = emitter.batched() if emitter is not None else contextlib.nullcontext()
        # Both are sent in one pipeline each at the end, the records first (the inner
        # context exits first), so a crash in between loses a retry rather than
        # running one twice: a bulk job that resumes treats a recorded publish as sent.
        batch_size = 4 * len(rows) + 10  # never flushes early
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
                    queue=row.queue,
                    priority=to_celery_priority(user_priority),
                    headers=headers,
                    producer=producer,
                    declare=[],  # straight into the queue's list: no binding is written
                    retry=False,  # into the batch, sent once at its end (no retry there)
                )
                out.append(Outcome(row.task_id, RETRIED, None, new_task_id=new_id))
            if ready is not None:
                ready()  # raising here leaves the batch unsent (kombu discards it)
        return out
