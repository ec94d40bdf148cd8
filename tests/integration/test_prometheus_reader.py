"""PrometheusReader against the real Prometheus of the test stack, scraping the real backend."""

from __future__ import annotations

import asyncio
import gc
import math
import socket
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from console.domain.series import Series
from console.services.prometheus_reader import OVERVIEW_QUERIES, PrometheusError, PrometheusReader
from taskdeck_dev.procs import LOOPBACK, free_port
from tests.conftest import Server
from tests.console import conftest as console_conftest
from tests.console.conftest import run_coro

pytestmark = pytest.mark.integration

TIMEOUT_S = 2.0
R = TypeVar("R")

# The qasync loop fixture of the console tests, made a fixture of this module too.
loop = console_conftest.loop


@pytest.fixture(autouse=True)
def collect_closed_loops() -> Iterator[None]:
    """Free closed qasync loops here, in the main thread (set up before ``loop``, so
    torn down after it).

    A closed loop lives in reference cycles; left to the cyclic garbage collector,
    it may be freed in one of the reader's worker threads, which cannot stop the Qt
    timers of the loop's QObjects ("QObject::~QObject: Timers cannot be stopped
    from another thread"), and the process segfaults when one of them fires.
    """
    gc.collect()
    yield
    gc.collect()


@pytest.fixture
def reader(
    loop: asyncio.AbstractEventLoop, prometheus_server: Server
) -> Iterator[PrometheusReader]:
    client = PrometheusReader(prometheus_server.url, timeout_s=TIMEOUT_S)
    yield client
    client.close()


def wait_for_result(qtbot: QtBot, query: Callable[[], Awaitable[list[R]]]) -> list[R]:
    """Run ``query`` again and again on the loop until it answers a non-empty list.

    The stack's Prometheus has just started: its first scrape of the backend
    comes a few seconds after it is ready.
    """
    state: dict[str, asyncio.Future[list[R]]] = {}

    def answered() -> bool:
        task = state.get("task")
        if task is None or (task.done() and not task.result()):
            state["task"] = asyncio.ensure_future(query())
            return False
        return task.done() and bool(task.result())

    qtbot.waitUntil(answered, timeout=30_000)
    return state["task"].result()


def wait_for_backend_scraped(
    qtbot: QtBot, reader: PrometheusReader
) -> list[tuple[dict[str, str], float]]:
    return wait_for_result(qtbot, lambda: reader.instant('up{job="taskdeck-backend"}'))


def test_instant_query_sees_the_backend_target(qtbot: QtBot, reader: PrometheusReader) -> None:
    assert run_coro(qtbot, reader.ready()) is True
    wait_for_backend_scraped(qtbot, reader)
    up = run_coro(qtbot, reader.instant("up"))
    by_job = {labels.get("job"): value for labels, value in up}
    assert by_job.get("taskdeck-backend") == 1.0
    assert all(labels.get("__name__") == "up" for labels, _ in up)


def test_range_query_is_bounded_and_in_time_order(qtbot: QtBot, reader: PrometheusReader) -> None:
    ends: list[float] = []

    def query() -> Awaitable[list[Series]]:
        ends.append(time.time())
        return reader.range("up", 15 * 60, end=ends[-1], legend="job")

    result = wait_for_result(qtbot, query)
    end = ends[-1]
    keys = [s.key for s in result]
    assert "taskdeck-backend" in keys
    for series in result:
        assert 1 <= len(series.x) <= 1000
        assert series.x.dtype == np.float64 and series.y.dtype == np.float64
        assert np.all(np.diff(series.x) > 0)
        assert np.all(np.diff(series.x) == 15.0)  # the step of a 15-minute window
        # The newest sample is at the end (the whole second), the oldest within the window.
        assert series.x[-1] == math.floor(end)
        assert math.floor(end) - 15 * 60 <= series.x[0]
    backend = result[keys.index("taskdeck-backend")]
    assert backend.labels["job"] == "taskdeck-backend"
    assert backend.y[-1] == 1.0


def test_range_query_names_series_by_their_labels_without_a_legend(
    qtbot: QtBot, reader: PrometheusReader
) -> None:
    labelled = wait_for_result(qtbot, lambda: reader.range('up{job="taskdeck-backend"}', 900))
    assert [s.key for s in labelled] == [
        ", ".join(f"{k}={v}" for k, v in sorted(labelled[0].labels.items()))
    ]
    unlabelled = run_coro(qtbot, reader.range("sum(up)", 900))
    assert [s.key for s in unlabelled] == ["sum(up)"] and unlabelled[0].labels == {}


@pytest.mark.parametrize("name", sorted(OVERVIEW_QUERIES))
def test_every_overview_query_runs(qtbot: QtBot, reader: PrometheusReader, name: str) -> None:
    query, legend = OVERVIEW_QUERIES[name]
    instant = run_coro(qtbot, reader.instant(query))
    result = run_coro(qtbot, reader.range(query, 15 * 60, legend=legend))
    assert isinstance(instant, list)
    for series in result:
        assert len(series.x) <= 1000
        if legend is not None:
            assert series.key == series.labels[legend]
        else:
            assert series.labels == {}


def test_a_bad_query_reports_prometheus_error_text(qtbot: QtBot, reader: PrometheusReader) -> None:
    with pytest.raises(PrometheusError) as caught:
        run_coro(qtbot, reader.instant("sum(rate(up[1m]"))
    message = str(caught.value)
    assert "HTTP 400" in message and "parse error" in message
    assert reader.url in message and "Traceback" not in message


def test_nothing_listening_fails_fast_with_the_url(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop
) -> None:
    url = f"http://{LOOPBACK}:{free_port()}"
    dead = PrometheusReader(url, timeout_s=TIMEOUT_S)
    try:
        for call in (dead.ready(), dead.instant("up"), dead.range("up", 900)):
            started = time.monotonic()
            with pytest.raises(PrometheusError) as caught:
                run_coro(qtbot, call, timeout_ms=int((TIMEOUT_S + 5) * 1000))
            assert time.monotonic() - started < TIMEOUT_S + 2
            assert url in str(caught.value)
    finally:
        dead.close()


def test_a_server_that_never_answers_fails_within_the_timeout(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop
) -> None:
    with socket.socket() as silent:  # accepts connections (backlog) but never answers
        silent.bind((LOOPBACK, 0))
        silent.listen(8)
        url = f"http://{LOOPBACK}:{silent.getsockname()[1]}"
        slow = PrometheusReader(url, timeout_s=1.0)
        try:
            started = time.monotonic()
            with pytest.raises(PrometheusError, match="no answer within 1 s"):
                run_coro(qtbot, slow.instant("up"), timeout_ms=10_000)
            assert 0.9 < time.monotonic() - started < 3.0
        finally:
            slow.close()


def test_a_closed_reader_refuses_requests(qtbot: QtBot, loop: asyncio.AbstractEventLoop) -> None:
    closed = PrometheusReader(f"http://{LOOPBACK}:{free_port()}")
    closed.close()
    with pytest.raises(PrometheusError, match="closed"):
        run_coro(qtbot, closed.instant("up"))
