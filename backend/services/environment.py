"""The watched system as the backend knows it: its transport, its queues, what it supports.

Learned from the broker (``taskdeck_core.discovery``) before the backend's Celery
app first connects, and again every ``REFRESH_S``; every write the backend makes
(retries, moves, control broadcasts, the event receiver's own binding) then uses
the system's separator and steps, so its owners' clients can read all of it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

import redis
from celery import Celery
from kombu import pools

from backend.services.broker import BrokerQueues
from backend.services.events_source import EventIngestor, SourceChooser
from backend.services.publishing import drop_closed_pools
from taskdeck_core.api_types import Capability, Environment, Redelivery, TransportInfo
from taskdeck_core.discovery import Learner, known_for_binding

log = logging.getLogger("taskdeck.environment")
REFRESH_S = 10.0  # the known binding sets and the lists; the whole keyspace every 60 s


class NotWritable(Exception):
    """The system's priority steps are not known well enough to write a message."""


class EnvironmentService:
    def __init__(
        self,
        client: redis.Redis,
        app: Celery,
        queues: BrokerQueues,
        sep: str | None = None,
        steps: Sequence[int] | None = None,
        configured_queues: Sequence[str] = (),
        chooser: SourceChooser | None = None,
        events: EventIngestor | None = None,
    ) -> None:
        self.client = client
        self.app = app
        self.queues = queues
        self.sep = sep
        self.steps = tuple(steps) if steps else None
        self.configured_queues = tuple(configured_queues)
        self.chooser = chooser
        self.events = events
        self._info: TransportInfo | None = None
        self._learned_at = 0.0
        self._learner = Learner(client, sep, self.steps, self.configured_queues)
        self._lock = threading.Lock()
        # When a message a dead worker took comes back (``RedeliveryWatch.visibility``).
        self.redelivery: Callable[[], Redelivery] | None = None

    def learn(self) -> TransportInfo:
        """Look at the broker now; raises a Redis error when it cannot be reached."""
        info = self._learner()
        with self._lock:
            before = self._info
            self._info, self._learned_at = info, time.monotonic()
            self.queues.transport = info.transport()
            options = dict(self.app.conf.broker_transport_options or {})
            wanted = {**options, **info.transport().options()}
            if wanted != options:
                self.app.conf.broker_transport_options = wanted
                if before is not None:
                    # Connections made with the old naming must not write again.
                    log.warning("the system's transport changed: %s", info.transport())
                    pools.reset()
                    # The app keeps its own producer and connection pools: closed now, they
                    # would refuse every later send. The next send makes fresh ones.
                    drop_closed_pools(self.app)
        if info.foreign_binding_count:
            log.warning(
                "%d binding entries in the broker cannot be parsed with the system's separator "
                "%r; its kombu clients fail on them, e.g. %s",
                info.foreign_binding_count, info.sep, info.foreign_bindings[0],
            )  # fmt: skip
        return info

    def learn_before_binding(self) -> TransportInfo:
        """Learn, and refuse (``NotReady``) while the separator is only assumed: for the
        event receiver, whose connection writes a binding."""
        return known_for_binding(self.learn())

    def current(self) -> TransportInfo:
        """What was learned, looked at again when older than ``REFRESH_S``."""
        with self._lock:
            info, age = self._info, time.monotonic() - self._learned_at
        if info is None or age > REFRESH_S:
            return self.learn()
        return info

    def queue_names(self) -> list[str]:
        return self.current().queues

    def writable(self) -> TransportInfo:
        """The transport, if a message can be written where the workers read it."""
        info = self.current()
        if not info.writable:
            raise NotWritable(
                f"the system's priority steps are unknown: messages wait in lists of steps "
                f"{info.steps_seen}, outside kombu's default [0, 3, 6, 9]; set "
                "TASKDECK_PRIORITY_STEPS to the workers' broker_transport_options priority_steps"
            )
        return info

    @property
    def plugin_seen(self) -> bool:
        return self.chooser is not None and self.chooser.plugin_seen

    def capabilities(self, info: TransportInfo) -> list[Capability]:
        plugin = self.plugin_seen
        extended = self.events.extended if self.events is not None else None
        if plugin:
            retry = "the TaskDeck plug-in records every task's whole arguments"
        elif extended:
            retry = "the result backend keeps whole arguments (result_extended is on)"
        elif extended is None:
            retry = (
                "not known until a task finishes: a retry needs the whole arguments, which "
                "only result_extended=True or the TaskDeck plug-in records"
            )
        else:
            retry = (
                "results carry no arguments: set result_extended=True in the system's Celery "
                "configuration (or install the TaskDeck plug-in) to retry finished tasks"
            )
        if info.writable:
            move = (
                f"messages move between the system's own lists (steps {info.steps}, "
                f"{info.steps_source})"
            )
        else:
            move = f"refused: priority steps unknown (lists of steps {info.steps_seen} hold messages); set TASKDECK_PRIORITY_STEPS"  # noqa: E501
        return [
            Capability(
                name="durable_cancel",
                available=plugin,
                detail="a cancelled task a worker already holds is skipped, even after a restart"
                if plugin
                else "a waiting task is taken out of its list; for one a worker already holds, "
                "only a revoke broadcast is possible, which a worker restart forgets "
                "(install the TaskDeck plug-in for a durable cancel)",
            ),
            Capability(
                name="retry_whole_arguments", available=bool(plugin or extended), detail=retry
            ),  # fmt: skip
            Capability(
                name="lifecycle_stream",
                available=plugin,
                detail="the ledger is fed by the plug-in's lifecycle stream"
                if plugin
                else "the ledger is built from Celery's task events and the result backend",
            ),
            Capability(name="move", available=info.writable, detail=move),
        ]

    def describe(self) -> Environment:
        info = self.current()
        redelivery = self.redelivery() if self.redelivery is not None else None
        return Environment(
            transport=info, capabilities=self.capabilities(info), redelivery=redelivery
        )
