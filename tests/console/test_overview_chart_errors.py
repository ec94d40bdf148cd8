"""With Prometheus down, each Overview chart says why its own query failed."""

from __future__ import annotations

import asyncio

import pytest
from pytestqt.qtbot import QtBot

from console.domain.endpoints import Endpoints
from console.services.prometheus_reader import OVERVIEW_QUERIES
from taskdeck_dev.procs import LOOPBACK, free_port
from tests.conftest import TOKENS, Server
from tests.console.conftest import open_console, run_coro

pytestmark = pytest.mark.integration


def opening(query: str) -> str:
    """The start of ``query`` as an error message quotes it (spaces collapsed)."""
    return " ".join(query.split())[:30]


def test_each_chart_names_its_own_query_while_prometheus_is_down(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, redis_server: Server, backend_server: Server
) -> None:
    dead = f"http://{LOOPBACK}:{free_port()}"
    endpoints = Endpoints(redis_server.url, backend_server.url, dead, dead,
                          backend_token=TOKENS["admin"])  # fmt: skip
    console = open_console(qtbot, endpoints)
    try:
        plots = console.overview_page.plots
        assert set(plots) == set(OVERVIEW_QUERIES)

        def own_query_named() -> bool:
            return all(
                opening(query) in plots[name].message_text()
                for name, (query, _legend) in OVERVIEW_QUERIES.items()
            )

        qtbot.waitUntil(own_query_named, timeout=20_000)
        depth_query = opening(OVERVIEW_QUERIES["queue_depth"][0])
        for name, plot in plots.items():
            text = plot.message_text()
            assert text.startswith("Prometheus unreachable: "), text
            if name != "queue_depth":
                assert depth_query not in text, (name, text)
    finally:
        run_coro(qtbot, console.aclose())
