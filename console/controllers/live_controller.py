"""Live queues, workers and task counts: broker depths on a timer, Celery events as they come.

The figures start from their sources of truth, not from zero: on connect (and
every few seconds after) the ledger's counts of finished tasks and the
backend's list of every known worker seed the live state; events move them
in between.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import redis
from PySide6.QtCore import QObject, Signal

from console.controllers.timers import every
from console.domain.clock import now as clock_now
from console.domain.live import FAILED_WINDOW_S, LiveCounts, LiveState
from console.services.backend_client import BackendClient, BackendError
from console.services.broker_reader import BrokerReader, EventReceiver, loop_deliverer
from console.services.prometheus_reader import MetricsSource
from console.tasks import TaskOwner
from taskdeck_core.api_types import Environment, TaskStats, TransportInfo

log = logging.getLogger("taskdeck.console.live")
DEPTH_INTERVAL_MS = 2000
DETAILS_EVERY = 3  # backend details (oldest age, pools) every third depth refresh
TICK_MS = 1000  # heartbeat ages and counts move on even without events
# The sources of live data whose trouble the status bar shows until they work again.
BROKER = "broker"  # the depths and the looks at the bindings
EVENTS = "events"  # Celery's event stream
DISCOVER_EVERY = 15  # look at the bindings (new queues, the transport) every 15th refresh (30 s)
QUEUE_STATS = {
    "rate_in": "sum by (queue_name) (rate(celery_task_sent_total[1m]))",
    "rate_out": "sum by (queue_name) (rate(celery_task_succeeded_total[1m]) "
    "or rate(celery_task_failed_total[1m]))",
    # Workers that took a message from the queue in the last 5 minutes.
    "consumers": "count by (queue_name) (sum by (queue_name, hostname) "
    "(rate(celery_task_received_total[5m])) > 0)",
}


class LiveController(QObject):
    queues_changed = Signal(list)  # list[QueueInfo]
    workers_changed = Signal(list)  # list[WorkerInfo]
    counts_changed = Signal(object)  # LiveCounts
    transport_changed = Signal(object)  # TransportInfo, as the console learned it
    environment_changed = Signal(object)  # Environment, as the backend answered it
    environment_failed = Signal(str)  # why the backend did not say
    error = Signal(str)
    # A source of live data (BROKER, EVENTS) stopped working: a short sentence for the
    # status bar, and the raw error as its detail; ``problem_over`` when it works again.
    problem = Signal(str, str, str)  # source, sentence, detail
    problem_over = Signal(str)  # source
    events_received = Signal(list)  # each batch of Celery events, as it arrived

    def __init__(
        self,
        broker: BrokerReader,
        backend: BackendClient | None,
        prometheus: MetricsSource | None = None,
        receiver_factory: Callable[[Callable[[list[dict[str, Any]]], None]], EventReceiver]
        | None = None,
        clock: Callable[[], float] = clock_now,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.broker = broker
        self.backend = backend
        self.prometheus = prometheus
        self.state = LiveState()
        self.clock = clock
        self._receiver_factory = receiver_factory or (
            lambda deliver: EventReceiver(broker.url, deliver, broker.learn)
        )
        self._receiver: EventReceiver | None = None
        self._tasks = TaskOwner()
        self._rounds = 0
        self._last_counts: LiveCounts | None = None
        self._receiver_error: str | None = None
        self._problems: set[str] = set()  # the sources whose problem is shown
        self._transport: TransportInfo | None = None
        self.environment: Environment | None = None
        self._depth_timer = every(self, DEPTH_INTERVAL_MS, self._poll)
        self._tick = every(self, TICK_MS, self._publish_workers_and_counts)

    def start(self) -> None:
        loop = asyncio.get_event_loop()
        self._receiver = self._receiver_factory(loop_deliverer(loop, self.apply_events))
        self._receiver.start()
        self._depth_timer.start()
        self._tick.start()
        self.refresh()

    async def aclose(self) -> None:
        """Stop the timers and the event receiver; refreshes under way are cancelled."""
        self._depth_timer.stop()
        self._tick.stop()
        await self._tasks.aclose()
        if self._receiver is not None:
            await asyncio.to_thread(self._receiver.stop)

    @property
    def receiver_connected(self) -> bool:
        return bool(self._receiver and self._receiver.connected)

    def apply_events(self, batch: list[dict[str, Any]]) -> None:
        """A batch of Celery events, on the loop's thread."""
        if batch:  # events flow again: whatever the receiver last said is over
            self._receiver_error = None
            self._problem_over(EVENTS)
        self.state.apply_events(batch, self.clock())
        self._publish_workers_and_counts()
        self.events_received.emit(batch)

    def refresh(self) -> None:
        """Everything now: the backend's counts and workers, and the broker's depths."""
        self.seed()
        self._poll()

    def _poll(self) -> None:
        self._tasks.run(self._refresh(), key="refresh")

    async def _refresh(self) -> None:
        try:
            if self._rounds % DISCOVER_EVERY == 0:
                self._tasks.run(self._environment(), key="environment")
                if self.broker.info is None:
                    await self.broker.discover()  # the lists to read come from the first look
                else:
                    # A look again may walk the whole keyspace (a SCAN for the bindings: ten
                    # seconds at 1,000,000 keys on a busy broker); the depths do not wait.
                    self._tasks.run(self._discover(), key="discover")
            self._publish_transport()
            depths = await self.broker.depths()
            self._problem_over(BROKER)
            self.state.set_depths(depths, self.clock())
            self._rounds += 1
            if self._rounds % DETAILS_EVERY == 0:
                await asyncio.gather(self._backend_details(), self._queue_rates())
            self.queues_changed.emit(sorted(self.state.queues.values(), key=lambda q: q.name))
            self._publish_workers_and_counts()
        except BackendError as exc:
            self.error.emit(exc.detail)
        except Exception as exc:  # noqa: BLE001 - shown; the last data stays on screen
            self._broker_failed(exc)

    async def _discover(self) -> None:
        try:
            await self.broker.discover()
        except Exception as exc:  # noqa: BLE001 - shown; the transport last learned stays
            self._broker_failed(exc)
            return
        self._problem_over(BROKER)
        self._publish_transport()

    def _broker_failed(self, exc: Exception) -> None:
        """A read of the broker failed: said in a sentence, the error itself as its detail;
        the next refresh tries again."""
        detail = f"{type(exc).__name__}: {exc}"
        log.info("broker: %s", detail)
        if isinstance(exc, (redis.ConnectionError, redis.TimeoutError, OSError)):
            text = self.tr("Broker unreachable; retrying…")
        else:
            text = self.tr("Reading the broker failed; retrying…")
        self._show_problem(BROKER, text, detail)

    def _show_problem(self, source: str, text: str, detail: str) -> None:
        self._problems.add(source)
        self.problem.emit(source, text, detail)

    def _problem_over(self, source: str) -> None:
        if source in self._problems:
            self._problems.discard(source)
            self.problem_over.emit(source)

    def _publish_transport(self) -> None:
        """The transport as last learned (here, or by the event receiver), when it changed."""
        info = self.broker.info
        if info is not None and info != self._transport:
            self._transport = info
            self.transport_changed.emit(info)

    async def _environment(self) -> None:
        """What the backend learned of the system and what it supports there."""
        if self.backend is None:
            return
        try:
            environment = await self.backend.environment()
        except BackendError as exc:
            self.environment_failed.emit(exc.detail)
            return
        except Exception as exc:  # noqa: BLE001 - shown on the Connections page
            self.environment_failed.emit(f"{type(exc).__name__}: {exc}")
            return
        if environment != self.environment:
            self.environment = environment
            self.environment_changed.emit(environment)

    async def _queue_rates(self) -> None:
        """Rates in and out and consumers per queue, from Prometheus (left blank without it)."""
        if self.prometheus is None:
            return
        try:
            results = await asyncio.gather(
                *(self.prometheus.instant(q) for q in QUEUE_STATS.values())
            )
        except Exception as exc:  # noqa: BLE001 - the Overview shows Prometheus' trouble
            log.info("queue rates: %s", exc)
            return
        for field, rows in zip(QUEUE_STATS, results, strict=True):
            for labels, value in rows:
                name = labels.get("queue_name")
                if name:
                    detail = int(value) if field == "consumers" else value
                    self.state.set_queue_details(name, **{field: detail})

    def seed(self) -> None:
        """Take the counts and workers from the backend now (on connect, and on F5)."""
        self._tasks.run(self._seed(), key="seed")

    async def _seed(self) -> None:
        if self._rounds:  # the first refresh asks with its discovery
            self._tasks.run(self._environment(), key="environment")
        await self._backend_details()
        self._publish_workers_and_counts()

    async def _backend_details(self) -> None:
        """Oldest ages and every known worker from the backend, the window's finished tasks
        from its ledger; each part that fails is reported and the others still apply."""
        if self.backend is None:
            return
        queues, workers, stats = await asyncio.gather(
            self.backend.queues(),
            self.backend.workers(),
            self.backend.task_stats(FAILED_WINDOW_S),
            return_exceptions=True,
        )
        now = self.clock()
        if isinstance(queues, list):
            for q in queues:
                self.state.set_queue_details(q.name, now=now, oldest_age_s=q.oldest_age_s)
        if isinstance(workers, list):
            self.state.seed_workers(workers, now)
        if isinstance(stats, TaskStats):
            self.state.seed_finished(stats, now)
            self.state.finished_problem = None
        elif isinstance(stats, BackendError):
            self.state.finished_problem = stats.detail
        for answer in (queues, workers, stats):
            if isinstance(answer, BackendError):
                self.error.emit(answer.detail)
            elif isinstance(answer, Exception):
                self.error.emit(f"backend: {type(answer).__name__}: {answer}")

    def _publish_workers_and_counts(self) -> None:
        receiver = self._receiver
        receiver_error = receiver.last_error if receiver is not None else None
        if receiver_error != self._receiver_error:
            self._receiver_error = receiver_error
            if receiver_error is None:  # connected again
                self._problem_over(EVENTS)
            else:
                log.info("Celery events: %s", receiver_error)
                if receiver is not None and receiver.waiting_for_binding:
                    text = self.tr("Live events wait for the system's first queue binding…")
                else:
                    text = self.tr("Live events interrupted; reconnecting…")
                self._show_problem(EVENTS, text, receiver_error)
        now = self.clock()
        self.workers_changed.emit(self.state.workers(now))
        counts = self.state.counts(now)
        if counts != self._last_counts:
            self._last_counts = counts
            self.counts_changed.emit(counts)
