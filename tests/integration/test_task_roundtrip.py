"""A task published to the broker runs on a real prefork worker, and its events arrive."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from celery import Celery

from taskdeck_core.priority import to_celery_priority
from taskdeck_core.transport import priority_list_names
from taskdeck_dev.procs import ManagedProcess
from taskdeck_worker.celery_app import create_celery
from taskdeck_worker.config import WorkerSettings
from tests.conftest import Server
from tests.helpers import wait_for

pytestmark = pytest.mark.integration


class EventLog:
    """Collects Celery events from a real receiver on a thread of its own."""

    def __init__(self, app: Celery) -> None:
        self.app = app
        self.events: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with self.app.connection() as conn:
            recv = self.app.events.Receiver(conn, handlers={"*": self._on_event})
            it = recv.itercapture(limit=None, timeout=0.5, wakeup=True)
            next(it)  # consumer is set up once the first step returns
            self._ready.set()
            while not self._stop.is_set():
                try:
                    next(it)
                except TimeoutError:
                    continue
                except StopIteration:
                    return

    def _on_event(self, event: dict[str, Any]) -> None:
        with self._lock:
            self.events.append(event)

    def start(self) -> None:
        self._thread.start()
        assert self._ready.wait(10), "event receiver did not start"

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def types_for(self, task_id: str) -> list[str]:
        with self._lock:
            return [e["type"] for e in self.events if e.get("uuid") == task_id]


@pytest.fixture
def app(redis_server: Server) -> Iterator[Celery]:
    celery = create_celery(WorkerSettings(broker_url=redis_server.url))
    yield celery
    celery.close()


@pytest.fixture
def events(app: Celery) -> Iterator[EventLog]:
    log = EventLog(app)
    log.start()
    yield log
    log.stop()


def test_submitted_task_runs_on_the_worker_and_its_events_arrive(
    app: Celery, events: EventLog, celery_worker: ManagedProcess
) -> None:
    result = app.send_task(
        "data_sync.sync_single_file",
        args=["f-roundtrip", "alice"],
        queue="data_sync",
        priority=to_celery_priority(7),
        headers={"taskdeck_user": "alice"},
    )
    value = result.get(timeout=30)
    assert value["file_id"] == "f-roundtrip" and value["user_id"] == "alice"
    wanted = {"task-sent", "task-received", "task-started", "task-succeeded"}
    wait_for(lambda: wanted <= set(events.types_for(result.id)), 15, f"events {wanted}")
    order = events.types_for(result.id)
    assert (
        order.index("task-received") < order.index("task-started") < order.index("task-succeeded")
    )


def test_a_queued_message_sits_in_its_priority_list(app: Celery, redis_server: Server) -> None:
    # No worker consumes this queue, so the message stays where the transport put it.
    import redis

    client = redis.Redis.from_url(redis_server.url)
    queue = "td_probe_queue"
    try:
        app.send_task(
            "data_sync.sync_single_file",
            args=["f-waiting", "bob"],
            queue=queue,
            priority=to_celery_priority(8),
        )
        lengths = {key: client.llen(key) for key in priority_list_names(queue)}
        # Celery priority 2 in its own list, named with kombu's default separator.
        assert lengths[f"{queue}\x06\x162"] == 1
        assert sum(lengths.values()) == 1
    finally:
        client.delete(*priority_list_names(queue))
        client.close()
