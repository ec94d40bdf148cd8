"""TrendPlot: persistent curves, live points through the repaint timer, crosshair, toggles."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QDateTime, QLocale, QPointF, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QCheckBox, QLabel
from pytestqt.qtbot import QtBot

from console.domain.series import Series
from console.views.palette import dark_palette
from console.views.plots import TrendPlot

T0 = 1_700_000_000.0


def at(t: float) -> Any:
    """A time to the hundredth of a second (``pytest.approx`` alone allows ~1,700 s at T0)."""
    return pytest.approx(t, abs=0.01)


def series(key: str, values: list[float], step: float = 15.0, t0: float = T0) -> Series:
    x = t0 + step * np.arange(len(values), dtype=np.float64)
    return Series(key, {"queue_name": key}, x, np.asarray(values, dtype=np.float64))


def curve_data(plot: TrendPlot, key: str) -> tuple[list[float], list[float]]:
    x, y = plot.curve(key).getData()
    return ([] if x is None else x.tolist()), ([] if y is None else y.tolist())


def toggle(plot: TrendPlot, key: str) -> QCheckBox:
    (box,) = [b for b in plot.findChildren(QCheckBox) if b.text() == key]
    return box


@pytest.fixture
def plot(qtbot: QtBot) -> TrendPlot:
    widget = TrendPlot("Queue depth", unit="msgs", clock=lambda: T0 + 3600)
    qtbot.addWidget(widget)
    widget.resize(640, 360)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def count_calls(monkeypatch: pytest.MonkeyPatch, obj: Any, name: str) -> Callable[[], int]:
    calls = 0
    original = getattr(obj, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(obj, name, counted)
    return lambda: calls


def test_set_series_twice_keeps_the_curves_and_replaces_their_data(plot: TrendPlot) -> None:
    plot.set_series([series("default", [1, 2, 3]), series("priority", [4, 5, 6])])
    first = {key: plot.curve(key) for key in plot.keys()}
    items_before = len(plot.plot_item.listDataItems())
    plot.set_series([series("default", [7, 8]), series("priority", [9, 10, 11, 12])])
    assert plot.keys() == ["default", "priority"]
    assert all(plot.curve(key) is curve for key, curve in first.items())
    assert len(plot.plot_item.listDataItems()) == items_before == 2
    assert curve_data(plot, "default") == ([T0, T0 + 15], [7.0, 8.0])
    assert curve_data(plot, "priority")[1] == [9.0, 10.0, 11.0, 12.0]
    x, _ = plot.curve("priority").getData()
    assert x.dtype == np.float64


def test_curves_downsample_by_peak_and_clip_to_the_view(plot: TrendPlot) -> None:
    plot.set_series([series("a", [1.0])])
    opts = plot.curve("a").opts
    assert opts["autoDownsample"] is True
    assert opts["downsampleMethod"] == "peak"
    assert opts["clipToView"] is True


def test_a_vanished_key_loses_its_curve_and_toggle(plot: TrendPlot) -> None:
    plot.set_series([series("a", [1]), series("b", [2]), series("c", [3])])
    b_curve = plot.curve("b")
    plot.set_series([series("a", [1]), series("c", [3])])
    assert plot.keys() == ["a", "c"]
    assert b_curve not in plot.plot_item.listDataItems()
    assert len(plot.plot_item.listDataItems()) == 2
    assert [b.text() for b in plot.findChildren(QCheckBox) if b.isVisibleTo(plot)] == ["a", "c"]
    with pytest.raises(KeyError):
        plot.curve("b")


def test_a_key_that_comes_back_gets_its_colour_back(plot: TrendPlot) -> None:
    plot.set_series([series("a", [1]), series("b", [2])])
    colour_a = plot.curve("a").opts["pen"].color().name()
    colour_b = plot.curve("b").opts["pen"].color().name()
    assert colour_a != colour_b
    plot.set_series([series("a", [1])])
    plot.set_series([series("c", [1]), series("b", [2])])
    assert plot.curve("b").opts["pen"].color().name() == colour_b
    assert plot.curve("c").opts["pen"].color().name() not in {colour_a, colour_b}


def test_values_at_gives_the_nearest_sample_of_each_series(plot: TrendPlot) -> None:
    plot.set_series([series("a", [1, 2, 3]), series("b", [10, 20], step=30.0, t0=T0 + 5)])
    assert plot.values_at(T0 + 16) == {"a": 2.0, "b": 10.0}  # b samples at T0+5, T0+35
    assert plot.values_at(T0 + 21) == {"a": 2.0, "b": 20.0}
    assert plot.values_at(T0 + 24) == {"a": 3.0, "b": 20.0}
    assert plot.values_at(T0 - 1000) == {"a": 1.0, "b": 10.0}
    assert plot.values_at(T0 + 1000) == {"a": 3.0, "b": 20.0}


def test_unchecking_a_toggle_hides_the_curve_and_its_value(qtbot: QtBot, plot: TrendPlot) -> None:
    plot.set_series([series("a", [1, 2]), series("b", [3, 4])])
    box = toggle(plot, "b")
    assert box.isChecked()
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
    assert not box.isChecked()
    assert not plot.curve("b").isVisible()
    assert plot.visible_keys() == ["a"]
    assert plot.values_at(T0) == {"a": 1.0}
    plot.set_visible("b", True)
    assert box.isChecked() and plot.curve("b").isVisible()
    assert plot.values_at(T0) == {"a": 1.0, "b": 3.0}


def test_a_key_hidden_before_it_appears_starts_hidden(plot: TrendPlot) -> None:
    plot.set_visible("later", False)
    plot.set_series([series("now", [1]), series("later", [2])])
    assert plot.visible_keys() == ["now"]
    assert not toggle(plot, "later").isChecked()
    assert not plot.curve("later").isVisible()


def test_live_points_reach_the_curve_through_the_repaint_timer(
    qtbot: QtBot, plot: TrendPlot, monkeypatch: pytest.MonkeyPatch
) -> None:
    plot.set_series([series("a", [1, 2, 3])])
    set_data_calls = count_calls(monkeypatch, plot.curve("a"), "setData")
    last_t = T0 + 30
    for i in range(1, 501):  # a burst far faster than 20 per second
        last_t = T0 + 30 + i
        plot.append_point("a", last_t, float(i))
    assert plot.pending()
    assert curve_data(plot, "a")[0][-1] == T0 + 30  # not drawn yet: coalesced
    qtbot.waitUntil(lambda: curve_data(plot, "a")[0][-1] == last_t, timeout=2_000)
    assert not plot.pending()
    assert set_data_calls() == 1  # one redraw for the whole burst
    x, y = curve_data(plot, "a")
    assert len(x) == 503 and y[-1] == 500.0


def test_a_live_point_for_a_new_key_creates_its_curve(qtbot: QtBot, plot: TrendPlot) -> None:
    plot.append_point("retried", T0, 0.5)
    assert "retried" in plot.keys()
    qtbot.waitUntil(lambda: curve_data(plot, "retried")[1] == [0.5], timeout=2_000)
    assert toggle(plot, "retried").isChecked()


def test_set_window_sets_the_x_range(plot: TrendPlot) -> None:
    plot.set_series([series("a", [1, 2, 3])])
    plot.set_window(900, end=T0 + 30)
    (x0, x1), _ = plot.view_box.viewRange()
    assert x0 == pytest.approx(T0 + 30 - 900)
    assert x1 == pytest.approx(T0 + 30)
    plot.set_window(3600)  # ends at the plot's clock: T0 + 3600
    (x0, x1), _ = plot.view_box.viewRange()
    assert (x0, x1) == (pytest.approx(T0), pytest.approx(T0 + 3600))
    with pytest.raises(ValueError, match="positive"):
        plot.set_window(0)


def test_a_window_ending_now_moves_with_live_points(qtbot: QtBot) -> None:
    now = [T0]
    plot = TrendPlot("Rate", clock=lambda: now[0])
    qtbot.addWidget(plot)
    plot.set_window(600)
    now[0] = T0 + 120
    plot.append_point("a", T0 + 120, 1.0)
    qtbot.waitUntil(lambda: not plot.pending(), timeout=2_000)
    (x0, x1), _ = plot.view_box.viewRange()
    assert (x0, x1) == (pytest.approx(T0 - 480), pytest.approx(T0 + 120))


def test_a_window_ending_now_moves_to_the_newest_history(qtbot: QtBot) -> None:
    now = [T0]
    plot = TrendPlot("Depth", clock=lambda: now[0])
    qtbot.addWidget(plot)
    plot.resize(640, 360)
    plot.show()
    qtbot.waitExposed(plot)
    plot.set_window(3600)  # built at T0, as a page builds its plot
    now[0] = T0 + 600
    plot.set_series([series("a", [1, 2, 3], t0=T0 + 570)])  # newest sample at T0 + 600
    (x0, x1), _ = plot.view_box.viewRange()
    assert (x0, x1) == (at(T0 + 600 - 3600), at(T0 + 600))


def test_a_window_ending_now_moves_with_the_clock_without_data(qtbot: QtBot) -> None:
    now = [T0]
    plot = TrendPlot("Depth", clock=lambda: now[0])
    qtbot.addWidget(plot)
    plot.set_window(300)  # one pixel column of 600 is 0.5 s: moves every second
    now[0] = T0 + 90
    qtbot.waitUntil(lambda: plot.view_box.viewRange()[0][1] == at(T0 + 90), timeout=3_000)
    assert plot.following()


def test_a_window_the_user_panned_stays_where_it_was_put(qtbot: QtBot) -> None:
    now = [T0]
    plot = TrendPlot("Depth", clock=lambda: now[0])
    qtbot.addWidget(plot)
    plot.set_window(300)
    plot.view_box.sigRangeChangedManually.emit((True, False))  # what a drag or a wheel emits
    plot.view_box.setXRange(T0 - 1000, T0 - 700, padding=0)
    now[0] = T0 + 90
    plot.set_series([series("a", [1, 2], t0=T0 + 75)])
    qtbot.wait(1_200)  # longer than the follow timer's interval: it must not fire
    (x0, x1), _ = plot.view_box.viewRange()
    assert (x0, x1) == (at(T0 - 1000), at(T0 - 700))
    assert not plot.following()


def test_mouse_moves_put_the_crosshair_on_the_nearest_values(plot: TrendPlot) -> None:
    plot.set_series([series("a", [1.5, 2.25, 1234.5678]), series("b", [math.nan, 0.0, 1.0])])
    plot.set_window(120, end=T0 + 60)
    plot.view_box.setYRange(0, 2000, padding=0)
    scene_pos = plot.view_box.mapViewToScene(QPointF(T0 + 29, 1000.0))
    plot.plot_widget.scene().sigMouseMoved.emit(scene_pos)
    text = plot.crosshair_text()
    assert "a: 1,230 msgs" in text or "a: 1230 msgs" in text  # the locale's grouping
    assert "b: 1 msgs" in text
    plot.plot_widget.scene().sigMouseMoved.emit(plot.view_box.mapViewToScene(QPointF(T0, 1.0)))
    assert "b: no data" in plot.crosshair_text()
    plot.plot_widget.scene().sigMouseMoved.emit(QPointF(-50.0, -50.0))  # off the plot
    assert plot.crosshair_text() == ""


def test_a_custom_value_format_is_used_by_the_crosshair(qtbot: QtBot) -> None:
    plot = TrendPlot("Failure rate", value_format=lambda v: f"{v:.0%}")
    qtbot.addWidget(plot)
    plot.set_series([series("failure rate", [0.25])])
    plot.show_crosshair(T0)
    assert "failure rate: 25%" in plot.crosshair_text()


def test_a_message_overlays_the_plot_until_cleared(plot: TrendPlot) -> None:
    text = "Prometheus unreachable — showing data from 12:03"
    plot.show_message(text)
    assert plot.message_text() == text
    label = plot.plot_widget.findChild(QLabel, "plotMessage")
    assert label is not None and label.isVisible() and label.text() == text
    plot.clear_message()
    assert plot.message_text() == "" and not label.isVisible()


def test_clear_forgets_every_series_and_brings_the_prompt_back(qtbot: QtBot) -> None:
    plot = TrendPlot.for_selection("Depth", "Select a queue")
    qtbot.addWidget(plot)
    plot.clear_message()
    plot.set_series([series("a", [1, 2]), series("b", [3])])
    plot.clear()
    assert plot.keys() == [] and plot.plot_item.listDataItems() == []
    assert [b for b in plot.findChildren(QCheckBox) if b.isVisibleTo(plot)] == []
    assert plot.message_text() == "Select a queue"


@pytest.mark.parametrize("name", ["en_US", "de_DE", "zh_CN"])
def test_the_crosshair_and_the_time_axis_write_dates_as_the_locale_does(
    qtbot: QtBot, name: str
) -> None:
    plot = TrendPlot("Depth")
    qtbot.addWidget(plot)
    locale = QLocale(name)
    plot.setLocale(locale)
    plot.set_series([series("a", [1, 2, 3])])
    when = QDateTime.fromMSecsSinceEpoch(round(T0 * 1000))
    plot.show_crosshair(T0)
    shown = locale.toString(when, QLocale.FormatType.ShortFormat)
    assert plot.crosshair_text().splitlines()[0] == shown.replace("\u202f", " ")  # plain text
    axis = plot.plot_item.getAxis("bottom")
    short_time = locale.timeFormat(QLocale.FormatType.ShortFormat)
    assert axis.tickStrings([T0], 1.0, 3600.0) == [locale.toString(when.time(), short_time)]
    assert axis.tickStrings([T0], 1.0, 2 * 86_400.0) == [
        locale.toString(when.date(), QLocale.FormatType.ShortFormat)
    ]
    seconds = axis.tickStrings([T0 + 20], 1.0, 10.0)[0]
    assert seconds.count(":") == 2, seconds  # seconds shown when the ticks are seconds apart


def test_a_new_palette_recolours_the_plot(qtbot: QtBot) -> None:
    plot = TrendPlot("Depth")
    qtbot.addWidget(plot)
    plot.setPalette(dark_palette())
    base = dark_palette().color(QPalette.ColorRole.Base)
    assert plot.plot_widget.backgroundBrush().color() == base
    title = pg.mkColor(plot.plot_item.titleLabel.opts["color"])
    assert title == dark_palette().color(QPalette.ColorRole.WindowText)


def test_a_flat_series_on_a_grid_line_is_drawn_over_the_grid(qtbot: QtBot) -> None:
    """A worker running 2 tasks all hour is a line at y = 2, where the grid has a line too."""
    widget = TrendPlot("Active tasks", clock=lambda: T0 + 600)
    qtbot.addWidget(widget)
    widget.resize(640, 360)
    widget.show()
    qtbot.waitExposed(widget)
    widget.set_window(600)
    widget.set_series([series("w", [0.0] + [2.0] * 40)])
    widget.flush()
    colour = widget.curve("w").opts["pen"].color()
    image = widget.plot_widget.grab().toImage()
    wanted = (colour.red(), colour.green(), colour.blue())
    drawn = sum(
        1
        for x in range(image.width())
        for y in range(image.height())
        if image.pixelColor(x, y).getRgb()[:3] == wanted
    )
    assert drawn > 300, f"{drawn} pixels of the curve's colour"


def test_many_series_toggles_scroll_and_never_squeeze_the_plot(qtbot: QtBot) -> None:
    """Twelve series with long names under a small plot (the Rate limits page's rejections
    at 1366x768): the toggles take two rows and scroll; the plot keeps its height."""
    from console.views.plots.trend_plot import MIN_PLOT_HEIGHT

    small = TrendPlot("rejections")
    qtbot.addWidget(small)
    small.resize(420, 260)
    small.show()
    xs = np.arange(10, dtype=float) + 1_000.0
    small.set_series([Series(f"anonymous / data_sync {n}", {}, xs, xs * n) for n in range(12)])
    small.flush()
    area = small.toggle_area
    qtbot.waitUntil(lambda: area.verticalScrollBar().maximum() > 0)  # the rest scroll
    assert len(small.keys()) == 12
    assert small.plot_widget.height() >= MIN_PLOT_HEIGHT
    assert area.height() <= area.maximumHeight()
    visible_rows = {t.y() for t in small.findChildren(QCheckBox) if t.isVisible()}
    assert len(visible_rows) >= 3  # more rows than the two shown: they are there to scroll to
