"""Read-only live data from the broker: queue depths, and Celery's events on a thread.

The console never writes tasks or queues: depths are LLEN of every priority
list, named as the watched system names them (its separator and priority
steps, learned by ``taskdeck_core.discovery`` unless the profile sets them).
Celery events (worker heartbeats, task events) are received on a thread of
their own and handed to the event loop in batches a few times a second, so a
burst of thousands of events costs the window a handful of updates. The
receiver's own binding is written in the system's format, so the system's
kombu clients can still parse every binding table; that binding is all the
console writes (``monitoring/redis/console-reader.acl`` grants exactly this).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import redis

from console.domain.endpoints import LEARNED, TransportSettings
from taskdeck_core.api_types import TransportInfo
from taskdeck_core.discovery import Learner, known_for_binding
from taskdeck_core.events import CaptureOwner, EventCapture
from taskdeck_core.priority import from_celery_priority
from taskdeck_core.redis_clients import async_client, celery_url_and_options, sync_client
from taskdeck_core.transport import Transport

BATCH_INTERVAL_S = 0.25


def learner(client: redis.Redis, settings: TransportSettings) -> Callable[[], TransportInfo]:
    """A blocking look at the broker behind ``client`` (run it on a worker thread): the
    system's transport and queues, with what ``settings`` configures taking precedence."""
    return Learner(client, settings.sep or None, settings.steps or None, settings.queues)


def settings_transport(settings: TransportSettings) -> Transport:
    """The transport ``settings`` name, kombu's defaults for what they leave out (only until
    the broker has been looked at)."""
    defaults = Transport()
    return Transport(settings.sep or defaults.sep, settings.steps or defaults.steps)


class BrokerReader:
    """Depths of the configured queues and of every queue bound in the broker, read from
    the lists the watched system's transport names (as learned by :meth:`discover`)."""

    def __init__(
        self,
        url: str,
        settings: TransportSettings = LEARNED,
        timeout_s: float = 3.0,
    ) -> None:
        self.url = url
        self.settings = settings
        self._redis = async_client(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s)
        # Discovery is blocking redis-py, run on worker threads (and the event receiver's).
        self._sync = sync_client(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s)
        self._learn = learner(self._sync, settings)
        self._info: TransportInfo | None = None

    @property
    def info(self) -> TransportInfo | None:
        """What was last learned of the system's transport (None until it has been)."""
        return self._info

    @property
    def queues(self) -> tuple[str, ...]:
        info = self._info
        return tuple(info.queues) if info is not None else self.settings.queues

    @property
    def transport(self) -> Transport:
        info = self._info
        return info.transport() if info is not None else settings_transport(self.settings)

    def learn(self) -> TransportInfo:
        """Look at the broker now; blocking, so on a worker thread. Raises a Redis error
        when the broker cannot be reached."""
        info = self._learn()
        self._info = info  # one assignment: readers on other threads see all of it or none
        return info

    async def discover(self) -> TransportInfo:
        """The system's transport and queues (bound ones and the profile's), learned off the
        event loop's thread."""
        return await asyncio.to_thread(self.learn)

    async def aclose(self) -> None:
        await self._redis.aclose()
        await asyncio.to_thread(self._sync.close)

    async def depths(self) -> dict[str, dict[int, int]]:
        """Waiting messages per queue and user priority (10 ... 1), one count per list."""
        info = self._info
        if info is not None:
            queues, transport = tuple(info.queues), info.transport()
        else:
            queues, transport = self.settings.queues, settings_transport(self.settings)
        pipe = self._redis.pipeline(transaction=False)
        for key in transport.all_list_names(queues):
            pipe.llen(key)
        by_step = transport.depths(queues, await pipe.execute())
        return {
            queue: {from_celery_priority(step): n for step, n in steps.items()}
            for queue, steps in by_step.items()
        }


class EventReceiver(CaptureOwner):
    """Celery's event stream on a daemon thread, delivered in batches through ``deliver``.

    ``deliver(batch)`` is called on a helper thread; pass something that hands
    the batch to the event loop (``loop.call_soon_threadsafe``). Before each
    connection ``learn()`` (blocking, on the receiver's thread) tells the
    system's transport, so the receiver binds its queue in the system's format,
    and not at all before that format is known.
    """

    # Whether the last try to connect waited for that format (its last error says why).
    waiting_for_binding = False

    def __init__(
        self,
        url: str,
        deliver: Callable[[list[dict[str, Any]]], None],
        learn: Callable[[], TransportInfo],
    ) -> None:
        from celery import Celery

        self.url = url
        self.deliver = deliver
        self.learn = learn
        # A queue without an expiry: kombu binds it with plain SADDs and takes the binding
        # out again on stop. An expiring one would need its scripts and a write to the
        # broker-wide ``_kombu.binding_deadlines`` set, which would let a read-only user
        # (monitoring/redis/console-reader.acl) schedule the system's own binding tables
        # for deletion. Events arrive by pub/sub either way; the queue's lists stay empty.
        broker_url, sentinel_options = celery_url_and_options(url)
        self._app = Celery(broker=broker_url, set_as_current=False)
        if sentinel_options:
            self._app.conf.broker_transport_options = sentinel_options
        self._app.conf.event_queue_expires = None
        self._capture = EventCapture(self._app, self._on_event, prepare=self._prepare)
        self._stop = threading.Event()
        self._buffer: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._flusher = threading.Thread(
            target=self._flush_loop, name="celery-events-flush", daemon=True
        )

    def start(self) -> None:
        self._capture.start()
        self._flusher.start()

    def stop(self) -> None:
        self._stop.set()
        self._capture.stop(timeout=3)
        self._flusher.join(timeout=3)
        self._app.close()

    def _prepare(self) -> None:
        """On the receiver's thread, before it connects: the system's transport options. Its
        connection binds a queue, so it waits (``NotReady``) while the separator is only
        assumed: a binding in another format breaks the system's own clients."""
        self.waiting_for_binding = False
        info = self.learn()
        self.waiting_for_binding = info.sep_source == "assumed"
        info = known_for_binding(info)
        options = dict(self._app.conf.broker_transport_options or {})
        self._app.conf.broker_transport_options = {**options, **info.transport().options()}

    def _on_event(self, event: dict[str, Any]) -> None:
        with self._lock:
            self._buffer.append(event)

    def _flush_loop(self) -> None:
        while not self._stop.wait(BATCH_INTERVAL_S):
            with self._lock:
                batch, self._buffer = self._buffer, []
            if batch:
                self.deliver(batch)


def loop_deliverer(
    loop: asyncio.AbstractEventLoop, apply: Callable[[list[dict[str, Any]]], None]
) -> Callable[[list[dict[str, Any]]], None]:
    """A ``deliver`` that runs ``apply(batch)`` on ``loop``'s thread."""

    def deliver(batch: list[dict[str, Any]]) -> None:
        if not loop.is_closed():
            loop.call_soon_threadsafe(apply, batch)

    return deliver
