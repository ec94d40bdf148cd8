"""The Overview's tiles tell the truth from the first second: a console opened on a system
that has been failing, with a dead worker and tasks waiting on a countdown, shows what the
ledger and the backend know, not only what it saw since it connected."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
from celery import Celery
from pytestqt.qtbot import QtBot

from console.app import Console
from console.domain.endpoints import Endpoints
from console.domain.live import FAILED_WINDOW_S
from taskdeck_core.api_types import TaskSummary, WorkerInfo
from taskdeck_core.transport import priority_list_names
from taskdeck_dev.stack import start_worker
from taskdeck_worker.celery_app import create_celery
from taskdeck_worker.config import WorkerSettings
from tests.conftest import FAST_WORKLOAD, Server
from tests.console.conftest import open_console, run_coro
from tests.helpers import api, wait_for

pytestmark = pytest.mark.integration
FAIL_QUEUE = "truth_failing"
LIVE_QUEUE = "truth_live"
FINAL = {"SUCCESS", "FAILURE"}


@pytest.fixture
def producer(redis_server: Server) -> Iterator[Celery]:
    app = create_celery(WorkerSettings(broker_url=redis_server.url), results=False)
    yield app
    app.close()


def tasks_since(backend: httpx.Client, since: float, **filters: str) -> list[TaskSummary]:
    """Every task the ledger has since ``since`` matching ``filters`` (all pages)."""
    found: list[TaskSummary] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | float | int] = {"since": since, "limit": 1000, **filters}
        if cursor:
            params["cursor"] = cursor
        page = backend.get("/api/v1/tasks", params=params).raise_for_status().json()
        found += [TaskSummary.model_validate(t) for t in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            return found


def workers(backend: httpx.Client) -> list[WorkerInfo]:
    return [WorkerInfo.model_validate(w) for w in backend.get("/api/v1/workers").json()]


def finished_in_window(backend: httpx.Client) -> tuple[int, int]:
    """(failed, succeeded) with their outcome recorded in the tiles' window, per the ledger."""
    now = time.time()
    cutoff = now - FAILED_WINDOW_S
    recent = tasks_since(backend, now - 3600)  # created earlier, finished in the window too
    done = [t for t in recent if t.finished_at is not None and t.finished_at > cutoff]
    return (
        sum(1 for t in done if t.state == "FAILURE"),
        sum(1 for t in done if t.state == "SUCCESS"),
    )


def test_a_console_opened_late_seeds_every_tile_from_the_ledger_and_the_backend(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, endpoints: Endpoints, producer: Celery,
    redis_server: Server, backend_server: Server, tmp_path: Path,
) -> None:  # fmt: skip
    backend = api(backend_server.url)
    start = time.time() - 1
    failing = start_worker(
        tmp_path / "failing", redis_server.url, "truthdead", concurrency=2, queues=FAIL_QUEUE,
        env={**FAST_WORKLOAD, "TASKDECK_WORKLOAD_FAILURE_RATE": "0.5"},
    )  # fmt: skip
    live = None
    console: Console | None = None
    try:
        # Failures happen, then their worker dies: all before the console opens.
        for n in range(12):
            producer.send_task("data_sync.sync_single_file", args=[f"truth-{n}", "carol"],
                               queue=FAIL_QUEUE)  # fmt: skip

        def all_finished() -> bool:
            ours = tasks_since(backend, start, queue=FAIL_QUEUE)
            return len(ours) == 12 and all(t.state in FINAL for t in ours)

        wait_for(all_finished, 60, "the failing tasks to finish in the ledger")
        failing.stop()
        wait_for(
            lambda: any(w.hostname == "truthdead@taskdeck" and w.status == "offline"
                        for w in workers(backend)),
            20, "the backend to see the failing worker offline",
        )  # fmt: skip
        failed, succeeded = finished_in_window(backend)
        assert failed > 0 and succeeded > 0  # the workload is seeded by file id: both happen

        # One task runs for minutes.
        live = start_worker(
            tmp_path / "live", redis_server.url, "truthlive", concurrency=1, queues=LIVE_QUEUE,
            env={**FAST_WORKLOAD, "TASKDECK_WORKLOAD_SPEED": "0.005"},
        )  # fmt: skip
        producer.send_task("data_sync.sync_single_file", args=["slow", "dave"], queue=LIVE_QUEUE)

        def states() -> list[str]:
            return sorted(t.state for t in tasks_since(backend, start, queue=LIVE_QUEUE))

        wait_for(lambda: states() == ["STARTED"], 30, "the slow task to start")

        console = open_console(qtbot, endpoints)
        tiles = console.overview_page.tiles

        def shown(key: str) -> str:
            return tiles[key].value_text()

        # Failed and failure rate: as the ledger counts them over the tile's window.
        def failures_agree() -> bool:
            failed, succeeded = finished_in_window(backend)
            rate = f"{failed / (failed + succeeded) * 100:.1f} %"
            return shown("failed") == str(failed) and shown("failure_rate") == rate

        qtbot.waitUntil(failures_agree, timeout=15_000)
        assert shown("failed") != "0"

        # Workers: every worker the backend knows, the dead one included.
        def workers_agree() -> bool:
            known = workers(backend)
            up = sum(1 for w in known if w.status == "online")
            return shown("workers") == f"{up} / {len(known)}"

        qtbot.waitUntil(workers_agree, timeout=15_000)
        row = console.workers_model.row_for("truthdead@taskdeck")
        assert row is not None and row.status == "offline"
        model = console.workers_model
        status = next(
            model.index(r, 1).data()
            for r in range(model.rowCount())
            if model.row_at(r).hostname == "truthdead@taskdeck"
        )
        assert status.startswith("offline for ")  # how long it has been down

        # Running: started and not finished, as the ledger and the workers say; not received.
        def running_agrees() -> bool:
            started = len(tasks_since(backend, start, queue=LIVE_QUEUE, state="STARTED"))
            active = sum(w.active for w in workers(backend) if w.status != "offline")
            return shown("running") == str(started) == str(active) == "1"

        qtbot.waitUntil(running_agrees, timeout=15_000)
        # Waiting behind it: queued, not running.
        producer.send_task("data_sync.sync_single_file", args=["later", "dave"], queue=LIVE_QUEUE)
        wait_for(lambda: states() == ["PENDING", "STARTED"], 20, "a second task waiting")
        qtbot.waitUntil(lambda: shown("queued") != "0", timeout=10_000)
        assert shown("running") == "1"

        # Queued: every message waiting in the broker's lists of the queues the console lists.
        broker = redis.Redis.from_url(redis_server.url)

        def queued_agrees() -> bool:
            names = [console.queues_model.row_at(r).name
                     for r in range(console.queues_model.rowCount())]  # fmt: skip
            depth = sum(int(broker.llen(k)) for n in names for k in priority_list_names(n))
            return LIVE_QUEUE in names and shown("queued") == str(depth)

        qtbot.waitUntil(queued_agrees, timeout=15_000)
        broker.close()

        # Every figure says where it comes from and how old it is.
        for key, source in (("queued", "broker"), ("running", "heartbeats"),
                            ("failed", "ledger"), ("failure_rate", "ledger"),
                            ("workers", "heartbeats"), ("alerts", "Alertmanager")):  # fmt: skip

            def told(key: str = key, source: str = source) -> bool:
                text = tiles[key].source_text()
                return source in text and " ago" in text

            qtbot.waitUntil(told, timeout=10_000)
    finally:
        if console is not None:
            run_coro(qtbot, console.aclose())
        failing.stop()
        if live is not None:
            live.stop()
        client = redis.Redis.from_url(redis_server.url)
        client.delete(*priority_list_names(LIVE_QUEUE), *priority_list_names(FAIL_QUEUE))
        client.close()
        backend.close()
