"""A profile switch shows nothing of the previous environment; a trend says why it is empty."""

from __future__ import annotations

import asyncio

import pytest
from pytestqt.qtbot import QtBot

from console.app import Console
from console.domain.endpoints import Endpoints
from console.views.plots.trend_plot import TrendPlot
from taskdeck_dev.procs import LOOPBACK, ManagedProcess, free_port
from tests.console.conftest import open_console, run_coro
from tests.console.page_driving import click_row, row_of

pytestmark = pytest.mark.integration

WORKER = "testworker@taskdeck"
QUEUE = "data_sync"


def dead_url(scheme: str = "http") -> str:
    """An address where nothing listens."""
    return f"{scheme}://{LOOPBACK}:{free_port()}" + ("/0" if scheme == "redis" else "")


def all_plots(console: Console) -> dict[str, TrendPlot]:
    return {
        **{f"overview/{name}": plot for name, plot in console.overview_page.plots.items()},
        "queues/trend": console.queues_page.trend,
        "workers/trend": console.workers_page.trend,
    }


def test_a_switch_clears_every_plot_table_and_tile_of_the_previous_environment(
    qtbot: QtBot, console: Console, endpoints: Endpoints, celery_worker: ManagedProcess
) -> None:
    queues, workers = console.queues_page, console.workers_page
    console.window.show_page("queues")
    qtbot.waitUntil(lambda: row_of(queues.queues, QUEUE) is not None, timeout=20_000)
    click_row(qtbot, queues.queues, QUEUE)
    console.window.show_page("workers")
    qtbot.waitUntil(lambda: row_of(workers.workers, WORKER) is not None, timeout=20_000)
    click_row(qtbot, workers.workers, WORKER)
    console.window.show_page("overview")
    plots = all_plots(console)
    tiles = console.overview_page.tiles
    drawn = ("overview/queue_depth", "queues/trend", "workers/trend")
    qtbot.waitUntil(lambda: all(plots[name].keys() for name in drawn), timeout=40_000)
    qtbot.waitUntil(lambda: tiles["workers"].value_text() != "—", timeout=20_000)
    assert queues.queues.proxy.rowCount() > 0 and workers.workers.proxy.rowCount() > 0

    elsewhere = Endpoints(dead_url("redis"), dead_url(), dead_url(), dead_url(),
                          backend_token="unused-token-0123456789")  # fmt: skip
    run_coro(qtbot, console.switch(elsewhere, "Elsewhere"))

    assert "Elsewhere" in console.window.windowTitle()
    left = {name: plot.keys() for name, plot in plots.items() if plot.keys()}
    assert not left, f"curves of the previous environment: {left}"
    assert queues.queues.proxy.rowCount() == 0
    assert workers.workers.proxy.rowCount() == 0
    assert queues.messages.proxy.rowCount() == 0
    figures = {key: tile.value_text() for key, tile in tiles.items()}
    assert all(value == "—" for value in figures.values()), figures
    assert queues.trend.message_text() == "Select a queue"
    assert workers.trend.message_text() == "Select a worker"


def test_a_trend_that_prometheus_cannot_give_says_so_on_its_plot(
    qtbot: QtBot,
    loop: asyncio.AbstractEventLoop,
    endpoints: Endpoints,
    celery_worker: ManagedProcess,
) -> None:
    no_prometheus = Endpoints(endpoints.broker_url, endpoints.backend_url, dead_url(),
                              endpoints.alertmanager_url, endpoints.backend_token)  # fmt: skip
    console = open_console(qtbot, no_prometheus)
    try:
        queues, workers = console.queues_page, console.workers_page
        console.window.show_page("queues")
        qtbot.waitUntil(lambda: row_of(queues.queues, QUEUE) is not None, timeout=20_000)
        click_row(qtbot, queues.queues, QUEUE)
        qtbot.waitUntil(lambda: "Prometheus" in queues.trend.message_text(), timeout=20_000)
        assert "connection refused" in queues.trend.message_text().lower()
        console.window.show_page("workers")
        qtbot.waitUntil(lambda: row_of(workers.workers, WORKER) is not None, timeout=20_000)
        click_row(qtbot, workers.workers, WORKER)
        qtbot.waitUntil(lambda: "Prometheus" in workers.trend.message_text(), timeout=20_000)
        assert queues.trend.keys() == [] and workers.trend.keys() == []
    finally:
        run_coro(qtbot, console.aclose())
