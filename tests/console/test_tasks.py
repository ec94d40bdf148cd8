"""Work started from signals and timers ends with its owner: a closed controller answers nothing."""

from __future__ import annotations

import asyncio

import pytest
from pytestqt.qtbot import QtBot

from console.controllers.overview_controller import OverviewController
from console.controllers.trend_controller import TrendController
from console.domain.series import Series
from console.tasks import TaskOwner
from tests.console.conftest import run_coro


class StalledMetrics:
    """A Prometheus that never answers: each query waits until it is cancelled, and counts."""

    def __init__(self) -> None:
        self.started = 0
        self.cancelled = 0

    async def _stall(self) -> None:
        self.started += 1
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled += 1
            raise

    async def ready(self) -> bool:
        return True

    async def instant(self, query: str) -> list[tuple[dict[str, str], float]]:
        await self._stall()
        return []

    async def range(
        self, query: str, window_s: float, end: float | None = None, max_points: int = 1000,
        legend: str | None = None,
    ) -> list[Series]:  # fmt: skip
        await self._stall()
        return []

    def close(self) -> None:
        pass


def test_closing_a_controller_cancels_its_pending_queries_and_starts_no_more(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop
) -> None:
    metrics = StalledMetrics()
    trend = TrendController(metrics, "sum(x{{q={value}}})")
    with qtbot.assertNotEmitted(trend.series_changed), qtbot.assertNotEmitted(trend.failed):
        trend.select("data_sync")
        trend.select("default")
        qtbot.waitUntil(lambda: metrics.started == 2)
        run_coro(qtbot, trend.aclose())
        assert metrics.cancelled == 2
        trend.refresh()  # a timer tick or a click after closing starts nothing
        trend.select("scheduled")
    assert metrics.started == 2


def test_closing_the_overview_cancels_its_range_and_edge_queries(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop
) -> None:
    metrics = StalledMetrics()
    overview = OverviewController(metrics, None)
    overview.start()
    overview.refresh()  # the range queries are under way: no second set starts
    qtbot.waitUntil(lambda: metrics.started > 0)
    with qtbot.assertNotEmitted(overview.series_changed):
        run_coro(qtbot, overview.aclose())
    assert metrics.cancelled == metrics.started


def test_a_task_owner_runs_one_task_per_key_and_reports_errors(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[BaseException] = []
    monkeypatch.setattr("sys.excepthook", lambda _kind, value, _tb: seen.append(value))
    owner = TaskOwner()
    gate = asyncio.Event()

    async def wait() -> None:
        await gate.wait()

    async def fail() -> None:
        raise ValueError("broken answer")

    first = owner.run(wait(), key="refresh")
    assert first is not None and owner.run(wait(), key="refresh") is None  # still running
    owner.run(fail())
    qtbot.waitUntil(lambda: len(seen) == 1)
    assert isinstance(seen[0], ValueError)
    gate.set()
    qtbot.waitUntil(first.done)
    assert owner.run(wait(), key="refresh") is not None  # the key is free again
    run_coro(qtbot, owner.aclose())
    assert owner.pending == 0 and len(seen) == 1  # cancelled quietly
