"""The window leads nowhere dead, and the Overview looks the way its numbers mean: keys for
every page, tiles that click only where they lead, steady tile widths, percent on the
failure-rate axis, colours by meaning, and a long window over short data."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QToolButton
from pytestqt.qtbot import QtBot

from console.app import Console
from console.controllers.overview_controller import OverviewController
from console.domain.live import LiveCounts
from console.domain.series import Series, window_by_key
from console.domain.task_query import TaskQuery
from console.views.overview_page import OverviewPage
from console.views.widgets.tile import LEVEL_COLOURS
from tests.console.conftest import run_coro


@pytest.fixture
def window_only(qtbot: QtBot) -> Iterator[Console]:
    """The console's window and pages, connected to nothing."""
    console = Console()
    qtbot.addWidget(console.window)
    console.window.resize(1366, 768)
    console.window.show()
    qtbot.waitExposed(console.window)
    console.window.activateWindow()
    yield console


def test_the_first_nine_pages_have_their_key(qtbot: QtBot, window_only: Console) -> None:
    window = window_only.window
    keys = window.page_keys()
    assert "connections" in keys
    assert len(keys) >= 9
    for n, key in enumerate(keys[:9], start=1):  # the first nine: Ctrl+1 … Ctrl+9
        window.show_page("overview" if key != "overview" else keys[-1])
        qtbot.keyClick(window, Qt.Key(Qt.Key.Key_0 + n), Qt.KeyboardModifier.ControlModifier)
        assert window.current_page() == key, f"Ctrl+{n} should show {key}"
        assert window.shortcut_for(key) is not None
    for key in keys[9:]:  # any beyond, through the sidebar and Ctrl+K only
        assert window.shortcut_for(key) is None
    # The pages of later versions come after them, greyed out, and take no key.
    rows = [window.sidebar.item(r) for r in range(window.sidebar.count())]
    enabled = [bool(item.flags() & Qt.ItemFlag.ItemIsEnabled) for item in rows]
    assert enabled == sorted(enabled, reverse=True)


def test_a_tile_is_clickable_only_where_it_leads(qtbot: QtBot, window_only: Console) -> None:
    window, page = window_only.window, window_only.overview_page
    alerts: list[bool] = []
    page.open_alerts.connect(lambda: alerts.append(True))
    for key, tile in page.tiles.items():
        window.show_page("overview")
        alerts.clear()
        qtbot.mouseClick(tile, Qt.MouseButton.LeftButton, pos=QPoint(20, 20))
        went = window.current_page() != "overview" or bool(alerts)
        if tile.clickable:
            assert went, f"the {key} tile is clickable but leads nowhere"
            assert tile.cursor().shape() == Qt.CursorShape.PointingHandCursor
        else:
            assert not went and tile.cursor().shape() == Qt.CursorShape.ArrowCursor
    assert page.tiles["queued"].clickable and page.tiles["alerts"].clickable
    # The failure tiles open the Tasks page on the failures they count: those that ended
    # in their window (the Overview's 5 minutes), not the whole ledger.
    for key in ("failed", "failure_rate"):
        window.show_page("overview")
        window_only.tasks_page.set_query(TaskQuery())
        qtbot.mouseClick(page.tiles[key], Qt.MouseButton.LeftButton, pos=QPoint(20, 20))
        assert window.current_page() == "tasks"
        query = window_only.tasks_page.current_query()
        assert (query.state, query.window, query.time_field) == ("FAILURE", "5m", "finished")
        chips = window_only.tasks_page.chip_row.findChildren(QToolButton)
        assert {c.objectName() for c in chips} >= {"chip_state", "chip_time"}


def test_tiles_keep_their_width_and_elide_long_text_with_a_tooltip(qtbot: QtBot) -> None:
    page = OverviewPage()
    qtbot.addWidget(page)
    page.resize(1366, 700)
    page.show()
    qtbot.waitExposed(page)
    widths = [t.width() for t in page.tiles.values()]
    assert max(widths) - min(widths) <= 1
    names = [f"TaskDeckVeryLongAlertName{n}" for n in range(12)]
    page.show_alerts([{"labels": {"alertname": n, "severity": "warning"}} for n in names])
    qtbot.wait(50)  # one layout pass
    assert [t.width() for t in page.tiles.values()] == widths
    detail = page.tiles["alerts"].detail
    assert detail.text() == ", ".join(sorted(names))  # the whole list, not cut mid-way
    assert detail.is_elided() and detail.toolTip() == detail.text()


class FakeMetrics:
    """Prometheus answers for the Overview: ten minutes of data, whatever the window."""

    def __init__(self, now: float) -> None:
        self.x = np.arange(now - 600, now + 1, 15.0)

    async def ready(self) -> bool:
        return True

    async def instant(self, query: str) -> list[tuple[dict[str, str], float]]:
        return []

    async def range(
        self, query: str, window_s: float, end: float | None = None, max_points: int = 1000,
        legend: str | None = None,
    ) -> list[Series]:  # fmt: skip
        if "celery_task_started_total" in query:
            return [Series(state, {"state": state}, self.x, np.full(len(self.x), 1.0))
                    for state in ("succeeded", "started", "failed")]  # fmt: skip
        if "celery_task_failed_total" in query:
            return [Series("", {}, self.x, np.full(len(self.x), 0.12))]
        return [Series("", {}, self.x, np.full(len(self.x), 3.0))]


def test_the_overview_plots_show_percent_colours_by_meaning_and_the_data_of_a_long_window(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop
) -> None:
    now = time.time()
    page = OverviewPage()
    qtbot.addWidget(page)
    page.show()
    controller = OverviewController(FakeMetrics(now), None)  # type: ignore[arg-type]
    controller.series_changed.connect(lambda name, series: page.plots[name].set_series(series))

    def set_windows(seconds: float) -> None:  # as the console wires it
        for plot in page.plots.values():
            plot.set_window(seconds)

    controller.window_changed.connect(set_windows)
    controller.data_start_changed.connect(page.show_data_start)
    controller.window = window_by_key("7d")
    run_coro(qtbot, controller._refresh_ranges(controller.prometheus))  # type: ignore[arg-type]

    # The failure rate reads in percent on its axis, as on its tile.
    rate = page.plots["failure_rate"]
    assert rate.plot_item.getAxis("left").labelUnits == "%"
    assert float(np.nanmax(rate.curve("failure rate").getData()[1])) == pytest.approx(12.0)
    rate.show_crosshair(now - 60)
    assert "12.0 %" in rate.crosshair_text()

    # Failed red, succeeded green, started blue: the same colours as the tiles' meaning.
    task_rate = page.plots["task_rate"]
    colour = {k: task_rate.curve(k).opts["pen"].color().name() for k in task_rate.keys()}
    assert colour["failed"] == QColor(LEVEL_COLOURS["bad"]).name()
    assert colour["succeeded"] == QColor(LEVEL_COLOURS["ok"]).name()
    assert colour["started"] == QColor(LEVEL_COLOURS["info"]).name()

    # Seven days asked, ten minutes of data: the plots show the ten minutes, and say so.
    for plot in page.plots.values():
        (x0, x1), _ = plot.view_box.viewRange()
        assert now - 1200 < x0 <= now - 600 and x1 >= now - 1
    assert "since" in page.window_note.text()


def test_a_tile_keeps_its_last_figure_and_says_why_its_source_did_not_answer(
    qtbot: QtBot,
) -> None:
    page = OverviewPage()
    qtbot.addWidget(page)
    now = time.time()
    page.show_counts(LiveCounts(failed_5m=3, succeeded_5m=9, finished_at=now - 30))
    assert page.tiles["failed"].value_text() == "3"
    assert page.tiles["failed"].source_text().startswith("ledger, 3")  # 30 s ago
    problem = "cannot reach the backend at http://127.0.0.1:1"
    page.show_counts(LiveCounts(failed_5m=3, succeeded_5m=9, finished_at=now - 30,
                                finished_problem=problem))  # fmt: skip
    for key in ("failed", "failure_rate"):
        assert page.tiles[key].source_text() == f"ledger: {problem}"
    assert page.tiles["failure_rate"].value_text() == "25.0 %"
    assert page.tiles["running"].value_text() == "—"  # no source yet: no figure
