"""Read-only live data from the broker: queue depths, and Celery's events on a thread.

The console never writes tasks or queues: depths are LLEN of every priority
list. Celery events (worker heartbeats, task events) are received on a thread
of their own and handed to the event loop in batches a few times a second,
so a burst of thousands of events costs the window a handful of updates.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import redis.asyncio as aioredis

from taskdeck_core.events import CaptureOwner, EventCapture
from taskdeck_core.priority import from_celery_priority
from taskdeck_core.transport import QUEUES, SANDBOX_TRANSPORT, Transport

BATCH_INTERVAL_S = 0.25


class BrokerReader:
    """Depths of the configured queues and of every queue bound in the broker, whose lists
    ``transport`` names (the watched system's separator and priority steps)."""

    def __init__(
        self,
        url: str,
        queues: tuple[str, ...] = QUEUES,
        timeout_s: float = 3.0,
        transport: Transport = SANDBOX_TRANSPORT,
    ) -> None:
        self.url = url
        self.configured = queues
        self.queues = queues
        self.transport = transport
        self._redis = aioredis.Redis.from_url(
            url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s
        )

    async def discover(self) -> tuple[str, ...]:
        """The configured queues plus those kombu has bound (its ``_kombu.binding.*`` sets)."""
        names = set(self.configured)
        async for key in self._redis.scan_iter("_kombu.binding.*", count=500):
            if b"pidbox" in key or b"celeryev" in key:
                continue
            members: Any = await self._redis.smembers(key)
            for member in members:
                parts = member.decode().split(self.transport.sep, 2)  # routing key, pattern, queue
                queue = parts[2] if len(parts) == 3 else parts[-1]
                if queue and "pidbox" not in queue and "celeryev" not in queue:
                    names.add(queue)
        self.queues = tuple(sorted(names))
        return self.queues

    async def aclose(self) -> None:
        await self._redis.aclose()

    async def depths(self) -> dict[str, dict[int, int]]:
        """Waiting messages per queue and user priority (10 ... 1), one count per list."""
        queues = self.queues
        pipe = self._redis.pipeline(transaction=False)
        for key in self.transport.all_list_names(queues):
            pipe.llen(key)
        by_step = self.transport.depths(queues, await pipe.execute())
        return {
            queue: {from_celery_priority(step): n for step, n in steps.items()}
            for queue, steps in by_step.items()
        }


class EventReceiver(CaptureOwner):
    """Celery's event stream on a daemon thread, delivered in batches through ``deliver``.

    ``deliver(batch)`` is called on a helper thread; pass something that hands
    the batch to the event loop (``loop.call_soon_threadsafe``).
    """

    def __init__(self, url: str, deliver: Callable[[list[dict[str, Any]]], None]) -> None:
        from celery import Celery

        self.url = url
        self.deliver = deliver
        self._app = Celery(broker=url, set_as_current=False)
        self._capture = EventCapture(self._app, self._on_event)
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
