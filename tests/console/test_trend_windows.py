"""Every trend plot of a running console keeps its newest sample in view."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from console.app import Console
from console.domain.endpoints import Endpoints
from console.models.keyed_table_model import KeyRole
from console.views.plots.trend_plot import TrendPlot
from taskdeck_dev.procs import ManagedProcess
from tests.console.conftest import run_coro
from tests.console.page_driving import click_row
from tests.helpers import api

pytestmark = pytest.mark.integration

WORKER = "testworker@taskdeck"
QUEUE = "data_sync"
# The selection trends reload every 15 s: long enough for one reload after the first
# load, and for many of the test Prometheus's 1 s scrapes.
RUN_S = 20.0


def newest_sample(plot: TrendPlot) -> float | None:
    newest: float | None = None
    for key in plot.keys():
        curve = plot.curve(key)
        x, y = curve.xData, curve.yData  # all of it: getData() is clipped to the view
        if x is None or len(x) == 0:
            continue
        finite = np.asarray(x)[np.isfinite(np.asarray(y, dtype=np.float64))]
        if len(finite):
            newest = max(newest or 0.0, float(finite[-1]))
    return newest


def test_each_plot_shows_its_newest_sample_after_several_scrapes(
    qtbot: QtBot, console: Console, endpoints: Endpoints, celery_worker: ManagedProcess
) -> None:
    started = time.time()
    # Tasks all along, so the rates (which need a counter that grows) have values.
    client = api(endpoints.backend_url)
    sent: list[str] = []

    def submit() -> None:
        body = {"name": "data_sync.sync_single_file", "args": [f"f-{len(sent)}", "ivy"],
                "user": "ivy"}  # fmt: skip
        reply = client.post("/api/v1/tasks", json=body)
        assert reply.status_code < 300, reply.text
        sent.append(reply.json()["task_id"])

    traffic = QTimer()
    traffic.timeout.connect(submit)
    traffic.start(500)
    try:
        see_every_plot_move(qtbot, console, started)
    finally:
        traffic.stop()
        client.close()
        # Closed here, while its window still exists: pytest-qt deletes the window before
        # the fixture's teardown closes the console, and a live update in between would
        # reach a deleted plot.
        run_coro(qtbot, console.aclose())
    assert sent


def see_every_plot_move(qtbot: QtBot, console: Console, started: float) -> None:
    window = console.window
    queues, workers = console.queues_page, console.workers_page
    window.show_page("queues")
    qtbot.waitUntil(lambda: queues.queues.proxy.rowCount() > 0, timeout=20_000)
    click_row(qtbot, queues.queues, QUEUE)
    window.show_page("workers")
    qtbot.waitUntil(
        lambda: any(
            workers.workers.proxy.data(workers.workers.proxy.index(r, 0), KeyRole) == WORKER
            for r in range(workers.workers.proxy.rowCount())
        ),
        timeout=20_000,
    )
    click_row(qtbot, workers.workers, WORKER)
    plots = {
        **{f"overview/{name}": plot for name, plot in console.overview_page.plots.items()},
        "queues/trend": queues.trend,
        "workers/trend": workers.trend,
    }

    def late_enough(plot: TrendPlot) -> bool:
        newest = newest_sample(plot)
        return newest is not None and newest >= started + RUN_S

    try:
        qtbot.waitUntil(lambda: all(late_enough(p) for p in plots.values()), timeout=60_000)
    except qtbot.TimeoutError:
        late = {n: (s - started if (s := newest_sample(p)) else None) for n, p in plots.items()}
        raise AssertionError(f"newest sample of each plot, s from the start: {late}") from None
    out_of_view = {}
    for name, plot in plots.items():
        newest = newest_sample(plot)
        assert newest is not None
        (x0, x1), _ = plot.view_box.viewRange()
        if not x0 <= newest <= x1:
            out_of_view[name] = f"newest {newest - started:+.1f} s, view {x0 - started:+.1f}" \
                f"..{x1 - started:+.1f} s from the start"  # fmt: skip
    assert not out_of_view, out_of_view
