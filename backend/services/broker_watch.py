"""Broker restarts, and the tasks a restart lost.

Redis keeps what it acknowledged only as far as its persistence allows: with AOF
and ``appendfsync everysec``, a crash of Redis itself loses nothing and a crash of
its machine up to about a second of writes; without AOF, a crash loses everything
since the last snapshot; a failover to a replica loses what had not reached it.
A task published in that window was accepted (it is in the ledger, PENDING) and
will never run: its message is gone.

The backend looks at the broker every ``TASKDECK_BROKER_WATCH_S``: a new
``run_id`` (or an uptime that went back) in ``INFO server`` is a restart. After
one, and once when the backend starts (the broker may have restarted while it
was down), once the ledger has caught up with the lifecycle stream, every task
the ledger holds as waiting (PENDING: published, never received) is looked for
in the broker: in any list of any queue, in kombu's unacked hash (a worker took
it and has not acknowledged it), or as a stored result. Those found nowhere are
looked for again ``TASKDECK_LOST_CONFIRM_S`` later, once the ledger has caught
up with the lifecycle stream (a worker's record of taking one may still be on
its way); found nowhere again and still PENDING, they are marked lost in the
ledger (``Ledger.mark_lost``: when, and why), counted in ``/health`` and in
``taskdeck_tasks_lost_total``. Then, once the ledger has caught up, the quota
slots a restart rolled back are taken again (``on_checked``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

import redis

from backend.services.broker import UNACKED_KEY, BrokerQueues
from backend.services.environment import EnvironmentService
from backend.services.ledger import Ledger
from taskdeck_core import lifecycle as lc
from taskdeck_core.redis_clients import master_address

log = logging.getLogger("taskdeck.broker_watch")

RESULT_PREFIX = "celery-task-meta-"  # Celery's Redis result backend keys
EXISTS_CHUNK = 1000


@dataclass(frozen=True)
class WatchStatus:
    """What the backend last saw of the broker's restarts and persistence, and of its checks."""

    run_id: str | None = None
    aof_enabled: bool | None = None  # None until the broker answered once
    restarts: int = 0  # restarts seen since the backend started
    last_restart_at: float | None = None
    last_check_at: float | None = None  # when waiting tasks were last checked against it
    suspects: int = 0  # tasks found missing once, to be looked for again
    error: str | None = None


def stream_caught_up(
    client: redis.Redis, stream: str = lc.STREAM_KEY, group: str = lc.LEDGER_GROUP
) -> bool:
    """Whether the ledger's consumer group has applied every entry of the lifecycle stream."""
    try:
        groups: Any = client.xinfo_groups(stream)
    except redis.ResponseError:
        return True  # no stream: no plug-in writes one, nothing to wait for
    for info in groups:
        name = info.get("name")
        if (name.decode() if isinstance(name, bytes) else name) != group:
            continue
        if int(info.get("pending") or 0):
            return False
        lag = info.get("lag")
        if lag is not None:
            return int(lag) == 0
        last: Any = client.xinfo_stream(stream).get("last-generated-id")
        return bool(info.get("last-delivered-id") == last)
    return False  # the stream is back but the ingest has not made its group again yet


class BrokerWatch:
    def __init__(
        self,
        client: redis.Redis,
        results: redis.Redis,
        ledger: Ledger,
        queues: BrokerQueues,
        environment: EnvironmentService,
        confirm_s: float,
        caught_up: Callable[[], bool] | None = None,
        on_lost: Callable[[int], object] | None = None,
        on_checked: Callable[[], object] | None = None,
        unacked_key: str = UNACKED_KEY,
    ) -> None:
        self.client = client
        self.results = results
        self.ledger = ledger
        self.queues = queues
        self.environment = environment
        self.confirm_s = confirm_s
        self.caught_up = caught_up or (lambda: stream_caught_up(client))
        self.on_lost = on_lost
        self.on_checked = on_checked
        self.unacked_key = unacked_key
        self.status = WatchStatus()
        self._uptime = 0
        self._master: tuple[str, int] | None = None  # under Sentinel, the master last seen
        self._due = False
        self._why = ""
        self._suspects: dict[str, str | None] = {}  # task id -> its queue
        self._confirm_at = 0.0
        self._repair_due = False
        self._lock = threading.Lock()  # one round at a time

    def run_once(self) -> None:
        """Look at the broker; start a check after a restart, or finish one that is due."""
        with self._lock:
            try:
                self._look_at_server()
                if self._due:
                    # The ledger must first hold what the stream says: a backend killed
                    # between recording a publish and sending its message left a task
                    # the ledger knows only once it has applied the stream.
                    if self.caught_up():
                        self._first_look()
                elif self._suspects and time.monotonic() >= self._confirm_at:
                    self._second_look()
                if self._repair_due:
                    self._repair()
            except redis.RedisError as exc:
                self.status = replace(self.status, error=f"{type(exc).__name__}: {exc}")
                raise

    # -- restarts --------------------------------------------------------------

    def _look_at_server(self) -> None:
        pipe = self.client.pipeline(transaction=False)
        pipe.info("server")
        pipe.info("persistence")
        server, persistence = pipe.execute()
        run_id, uptime = str(server.get("run_id", "")), int(server.get("uptime_in_seconds", 0))
        aof = bool(int(persistence.get("aof_enabled", 0)))
        before = self.status
        now = time.time()
        self.status = replace(before, run_id=run_id, aof_enabled=aof, error=None)
        if before.run_id is None:
            self._start_check("when the backend started")
        elif run_id != before.run_id or uptime < self._uptime:
            master = master_address(self.client)
            failover = master is not None and master != self._master
            # A replica promoted by Sentinel has run for a while: the change is now.
            at = now if failover else now - uptime
            self.status = replace(self.status, restarts=before.restarts + 1, last_restart_at=at)
            when = time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(at))
            if failover and master is not None:
                log.warning(
                    "the broker failed over to %s:%d at %s (Sentinel): checking the tasks "
                    "waiting in it (what had not reached the replica is lost)",
                    master[0], master[1], when,
                )  # fmt: skip
                self._start_check(f"after it failed over to {master[0]}:{master[1]} at {when}")
            else:
                log.warning(
                    "the broker restarted at %s (AOF %s): checking the tasks waiting in it",
                    when, "on" if aof else "off",
                )  # fmt: skip
                self._start_check(f"after it restarted at {when}" + ("" if aof else " without AOF"))
        self._master = master_address(self.client)
        self._uptime = uptime

    def _start_check(self, why: str) -> None:
        self._due, self._why = True, why
        self._suspects = {}
        self.status = replace(self.status, suspects=0)

    # -- the check -------------------------------------------------------------

    def _present(self, queues: Iterable[str | None]) -> set[str]:
        """Task ids the broker holds: waiting in any list of any queue, or taken by a
        worker and not acknowledged (read after the lists, so a message taken meanwhile
        is seen in one or the other)."""
        info = self.environment.current()  # the system's own transport and queues
        names = sorted(set(info.queues) | {q for q in queues if q})
        ids: set[str] = set()
        for queue in names:
            ids |= self.queues.waiting_ids(queue)
        return ids | self.queues.unacked_ids(self.unacked_key)

    def _ran(self, task_ids: list[str]) -> set[str]:
        """Which of ``task_ids`` have a stored result: a worker ran them."""
        ran: set[str] = set()
        for start in range(0, len(task_ids), EXISTS_CHUNK):
            chunk = task_ids[start : start + EXISTS_CHUNK]
            pipe = self.results.pipeline(transaction=False)
            for task_id in chunk:
                pipe.exists(RESULT_PREFIX + task_id)
            ran.update(t for t, n in zip(chunk, pipe.execute(), strict=True) if n)
        return ran

    def _missing(self, tasks: dict[str, str | None]) -> list[str]:
        present = self._present(tasks.values())
        absent = [t for t in tasks if t not in present]
        ran = self._ran(absent) if absent else set()
        return [t for t in absent if t not in ran]

    def _first_look(self) -> None:
        waiting = dict(self.ledger.waiting())
        missing = self._missing(waiting) if waiting else []
        self._due = False
        self._suspects = {t: waiting[t] for t in missing}
        self._confirm_at = time.monotonic() + self.confirm_s
        self.status = replace(self.status, suspects=len(missing))
        if not missing:
            self._checked()

    def _second_look(self) -> None:
        # The broker first, then the stream, then the ledger: a task a worker took before
        # this look has its record in the stream, and in the ledger once it has caught up.
        missing = self._missing(self._suspects)
        if not self.caught_up():
            return  # looked at again next round
        gone = self.ledger.still_waiting(missing)
        reason = (
            f"its message was not in the broker {self._why}: in no list of its queue, not "
            "held by a worker, no result stored, and no worker reported receiving it"
        )
        marked = self.ledger.mark_lost(sorted(gone), time.time(), reason) if gone else []
        if marked:
            log.warning(
                "%d accepted tasks were lost by the broker %s; they are marked lost in the "
                "ledger (GET /api/v1/tasks?lost=true), e.g. %s",
                len(marked), self._why, marked[0],
            )  # fmt: skip
            if self.on_lost is not None:
                self.on_lost(len(marked))
        self._suspects = {}
        self.status = replace(self.status, suspects=0)
        self._checked()

    def _checked(self) -> None:
        self.status = replace(self.status, last_check_at=time.time())
        self._repair_due = self.on_checked is not None

    def _repair(self) -> None:
        """After a check, once the ledger has caught up with the stream: ``on_checked``
        (the quota slots a restart rolled back are taken again)."""
        if self.on_checked is None or not self.caught_up():
            return
        self.on_checked()
        self._repair_due = False
