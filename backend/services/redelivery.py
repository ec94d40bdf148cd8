"""Tasks held by a worker process that is gone: awaiting redelivery, or lost.

A worker that dies whole (its main process and its pool, e.g. SIGKILL or a host
crash) acknowledges nothing. With acks_late the broker keeps each message it took
in kombu's ``unacked`` hash, with the time it took it, and delivers it again to
any worker once it is older than the visibility timeout; a worker started again
under the same name looks like the one that died, except for its main process
id, which every worker event carries (``WorkerFacts.pid``, ``started_at``).

Every ``TASKDECK_BROKER_WATCH_S`` the backend looks at the tasks the ledger holds
as RECEIVED or STARTED. A task's worker process is gone when another main
process has been heard from under its name since the task's latest record, or
(once the worker monitor has watched for ``TASKDECK_WORKER_TIMEOUT_S``) when its
worker is offline. For such a task the broker says what comes next:

(A worker that sent its own worker-offline was shut down, not crashed: on a warm
shutdown it finishes the tasks it runs, so those are not counted as awaiting
redelivery before their visibility timeout is over.)

- its message is in the ``unacked`` hash: it **awaits redelivery** at the time
  it was taken plus the visibility timeout (``Ledger.mark_redelivery``); its
  quota slot is freed meanwhile and taken again when a worker receives it;
- its message is back in a list of its queue: it is queued again and is left
  as it is (a worker receives it in a moment);
- its message is nowhere (and no result is stored), found so twice
  ``TASKDECK_LOST_CONFIRM_S`` apart: it was acknowledged when it started (the
  worker did not use acks_late), so Celery will never deliver it again: it is
  marked **lost** (``Ledger.mark_lost``) and its slot is freed.

Nothing is written until the ledger has applied the whole lifecycle stream, so a
task whose end, or whose receipt by another worker, is still on its way is not
flagged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

import redis
from sqlalchemy.exc import SQLAlchemyError

from backend.services.broker import UNACKED_INDEX_KEY, UNACKED_KEY, BrokerQueues
from backend.services.broker_watch import RESULT_PREFIX, stream_caught_up
from backend.services.ledger import HELD_STATES, Ledger
from backend.services.ledger_rows import HeldTask
from backend.services.quotas import Quotas
from backend.services.workers import KOMBU_VISIBILITY_TIMEOUT_S, WorkerMonitor
from taskdeck_core.api_types import Redelivery, WorkerInfo

log = logging.getLogger("taskdeck.redelivery")


_SOURCES = {
    "workers": "as the live workers report it (the shortest)",
    "configured": "as TASKDECK_VISIBILITY_TIMEOUT_S sets it",
    "assumed": "kombu's default: no worker reported its own",
}


def visibility_timeout(
    workers: Iterable[WorkerInfo], configured: float | None = None
) -> Redelivery:
    """The shortest visibility timeout a live worker reported (any live worker delivers a
    message again once it is past its own timeout); else the configured one; else
    kombu's default."""
    reported = [w.visibility_timeout_s for w in workers if w.online and w.visibility_timeout_s]
    seconds, source = (
        (float(min(reported)), "workers")
        if reported
        else (float(configured), "configured")
        if configured
        else (KOMBU_VISIBILITY_TIMEOUT_S, "assumed")
    )
    return Redelivery(
        visibility_timeout_s=seconds,
        source=source,  # type: ignore[arg-type]
        detail=f"{seconds:g} s, {_SOURCES[source]}",
    )


def clock(at: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(at))


def gone_why(task: HeldTask, worker: WorkerInfo | None, sure: bool) -> str | None:
    """Why the worker process holding ``task`` is gone, or None while it may run it. ``sure``:
    the monitor has listened long enough that a worker not heard from is really gone."""
    if not task.hostname:
        return None
    if (
        worker is not None
        and worker.pid is not None
        and task.worker_pid is not None
        and worker.pid != task.worker_pid
        and worker.started_at is not None
        and worker.started_at > task.taken_at
    ):
        return (
            f"{task.hostname} was started again: its process {worker.pid}, heard from since "
            f"{clock(worker.started_at)}, is not process {task.worker_pid} that took the task"
        )
    if not sure:
        return None
    if worker is None:
        return f"{task.hostname} has not been heard from since the backend started listening"
    if not worker.online:
        return f"{task.hostname} is offline: last heard from at {clock(worker.last_heartbeat)}"
    return None


def finishing(task: HeldTask, when: float, now: float, shut_down: set[str]) -> bool:
    """``task``'s worker shut itself down (it sent worker-offline; a crash sends nothing) and
    the broker does not deliver the task again before ``when``: a warm shutdown finishes the
    tasks it runs, so it is not counted as awaiting redelivery until then."""
    return bool(task.hostname) and task.hostname in shut_down and now < when


class RedeliveryWatch:
    def __init__(
        self,
        ledger: Ledger,
        queues: BrokerQueues,
        results: redis.Redis,
        workers: WorkerMonitor,
        quotas: Quotas,
        timeout_s: float,
        confirm_s: float,
        configured_timeout_s: float | None = None,
        caught_up: Callable[[], bool] | None = None,
        unacked_key: str = UNACKED_KEY,
        unacked_index_key: str = UNACKED_INDEX_KEY,
    ) -> None:
        self.ledger = ledger
        self.queues = queues
        self.results = results
        self.workers = workers
        self.quotas = quotas
        self.timeout_s = timeout_s
        self.confirm_s = confirm_s
        self.configured_timeout_s = configured_timeout_s
        self.caught_up = caught_up or (lambda: stream_caught_up(queues.client))
        self.unacked_key = unacked_key
        self.unacked_index_key = unacked_index_key
        self._suspects: dict[str, float] = {}  # task id -> when first found nowhere

    def visibility(self) -> Redelivery:
        return visibility_timeout(self.workers.snapshot(), self.configured_timeout_s)

    def run_once(self) -> None:
        held = self.ledger.held()
        workers = {w.hostname: w for w in self.workers.snapshot()}
        sure = self.workers.watching_for(self.timeout_s)
        gone = {}
        for task in held:
            why = gone_why(task, workers.get(task.hostname or ""), sure)
            if why is not None:
                gone[task.task_id] = (task, why)
        if not gone:
            self._suspects = {}
            return
        # The broker: the waiting lists first, then the unacked hash (a message delivered
        # again meanwhile is seen in one or the other), then the results.
        waiting: set[str] = set()
        for queue in sorted({t.queue for t, _ in gone.values() if t.queue}):
            waiting |= self.queues.waiting_ids(queue)
        taken = self.queues.unacked_taken(self.unacked_key, self.unacked_index_key)
        nowhere = [i for i in gone if i not in taken and i not in waiting]
        ran = self._ran(nowhere)
        nowhere = [i for i in nowhere if i not in ran]
        if not self.caught_up():
            return  # a record of these tasks may be on its way: looked at again next round
        now = time.time()
        self._flag(gone, taken, now)
        self._lose(gone, nowhere, now)

    def _ran(self, task_ids: list[str]) -> set[str]:
        if not task_ids:
            return set()
        pipe = self.results.pipeline(transaction=False)
        for task_id in task_ids:
            pipe.exists(RESULT_PREFIX + task_id)
        return {t for t, n in zip(task_ids, pipe.execute(), strict=True) if n}

    def _flag(
        self,
        gone: dict[str, tuple[HeldTask, str]],
        taken: dict[str, tuple[str, float | None]],
        now: float,
    ) -> None:
        timeout = self.visibility()
        shut_down = self.workers.shut_down()
        due: list[tuple[HeldTask, float, str]] = []
        for task_id, (task, why) in gone.items():
            if task_id not in taken:
                continue
            at = taken[task_id][1] or task.taken_at
            when = at + timeout.visibility_timeout_s
            if finishing(task, when, now, shut_down):
                continue
            reason = (
                f"{why}. The broker still holds its message, taken at {clock(at)} and not "
                f"acknowledged, and delivers it again at {clock(when)}: the visibility "
                f"timeout ({timeout.detail}) after it was taken, to any live worker"
            )
            due.append((task, when, reason))
        if not due:
            return
        flagged = self.ledger.mark_redelivery(due, now)
        if not flagged:
            return
        freed = self.quotas.release_for_redelivery(
            {t: taken[t][0] for t in flagged}, self.unacked_key
        )
        first = min(when for task, when, _ in due if task.task_id in flagged)
        log.warning(
            "%d tasks held by worker processes that are gone await redelivery, the first at "
            "%s (%d quota slots freed until then), e.g. %s",
            len(flagged), clock(first), len(freed), flagged[0],
        )  # fmt: skip

    def _lose(self, gone: dict[str, tuple[HeldTask, str]], nowhere: list[str], now: float) -> None:
        confirmed = [
            t for t in nowhere if t in self._suspects and now - self._suspects[t] >= self.confirm_s
        ]
        self._suspects = {t: self._suspects.get(t, now) for t in nowhere if t not in confirmed}
        lost: list[str] = []
        for task_id in confirmed:
            task, why = gone[task_id]
            reason = (
                f"{why}, and its message is no longer in the broker: not waiting in its queue, "
                "not held unacknowledged, no result stored. It was acknowledged when it "
                "started (the worker does not use acks_late), so Celery will not deliver it "
                "again; it may have done part of its work: check before retrying"
            )
            lost += self.ledger.mark_lost([task_id], now, reason, states=HELD_STATES)
        if not lost:
            return
        self.quotas.release(lost)
        log.warning(
            "%d tasks held by worker processes that are gone will never run again (not "
            "acks_late); marked lost (GET /api/v1/tasks?lost=true), e.g. %s",
            len(lost), lost[0],
        )  # fmt: skip


def with_redelivery(workers: list[WorkerInfo], ledger: Ledger) -> list[WorkerInfo]:
    """``workers`` with how many tasks each one's dead processes held await redelivery, and
    when the first is due (from the ledger; left out while it cannot be read)."""
    try:
        awaiting = ledger.awaiting_redelivery()
    except SQLAlchemyError as exc:
        log.warning("workers: cannot count the tasks awaiting redelivery now: %s", exc)
        return workers
    out = []
    for worker in workers:
        count, at = awaiting.get(worker.hostname, (0, None))
        out.append(worker.model_copy(update={"awaiting_redelivery": count, "redelivery_at": at}))
    return out
