"""A time-series plot: persistent curves over ring buffers, a crosshair and series toggles.

Each series key gets one PlotDataItem, created the first time the key appears
and only ``setData()``-ed afterwards. History arrives whole through
:meth:`TrendPlot.set_series` and is drawn at once; single live points arrive
through :meth:`TrendPlot.append_point` and are drawn by a timer at most
``max_fps`` times a second, however fast they come.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import (
    QCoreApplication,
    QDateTime,
    QEvent,
    QLocale,
    QObject,
    QPointF,
    Qt,
    QTimer,
)
from PySide6.QtGui import QColor, QIcon, QPalette, QPixmap
from PySide6.QtWidgets import QCheckBox, QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget

from console.domain.clock import now as clock_now
from console.domain.series import RingSeries, Series
from console.views.widgets.flow_layout import FlowLayout

# Tableau 10: distinguishable on light and dark backgrounds.
PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)
DEFAULT_CAPACITY = 50_000  # 7 days at 15 s is 40,320 points
MAX_FPS = 20
TOGGLE_ROWS = 2  # rows of series toggles shown below a plot; more scroll
MIN_PLOT_HEIGHT = 120  # pixels: the plot is never squeezed below this by its toggles
DOWNSAMPLE_FACTOR = 2.0  # samples drawn per pixel column (pyqtgraph's default is 5)
GRID_SHADE = 0.15  # grid colour: this much of the foreground over the background
# A window that ends now moves with the clock about once per pixel column (a 1 h window
# on ~600 px: every 6 s), however rarely data arrives, and at most once a second.
FOLLOW_STEPS = 600
FOLLOW_MIN_MS = 1000


class LocaleDateAxis(pg.DateAxisItem):
    """A time axis whose labels are written as ``owner``'s locale writes times and dates
    ("14:05" or "2:05 PM", "18.11.26" or "11/18/26"), like the crosshair beside it."""

    def __init__(self, owner: QWidget, orientation: str = "bottom") -> None:
        super().__init__(orientation=orientation)
        self._owner = owner

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        locale = self._owner.locale()
        short = QLocale.FormatType.ShortFormat
        if spacing >= 86_400:
            return [locale.toString(_local(v).date(), short) for v in values]
        time_format = locale.timeFormat(short)
        if spacing < 60 and ":ss" not in time_format:
            time_format = time_format.replace("mm", "mm:ss", 1)
        return [locale.toString(_local(v).time(), time_format) for v in values]


def _local(t: float) -> QDateTime:
    return QDateTime.fromMSecsSinceEpoch(round(t * 1000))


class TrendPlot(QWidget):
    """One titled plot of time series, x in epoch seconds."""

    def __init__(
        self,
        title: str,
        unit: str = "",
        value_format: Callable[[float], str] | None = None,
        capacity: int = DEFAULT_CAPACITY,
        max_fps: int = MAX_FPS,
        clock: Callable[[], float] = clock_now,
        parent: QWidget | None = None,
        colours: Mapping[str, str] | None = None,
    ) -> None:
        """``colours``: fixed colours for series keys that carry a meaning ("failed")."""
        super().__init__(parent)
        self.unit = unit
        self._value_format = value_format or self._default_format
        self._capacity = capacity
        self._clock = clock
        self._curves: dict[str, pg.PlotDataItem] = {}
        self._rings: dict[str, RingSeries] = {}
        self._toggles: dict[str, QCheckBox] = {}
        # Kept when a key vanishes, so it comes back alike; keys with a meaning are fixed.
        self._colors: dict[str, str] = dict(colours or {})
        self._hidden: set[str] = set()
        self._dirty: set[str] = set()
        self._window_s: float | None = None
        self._follow = False  # the window ends now and moves with the clock
        self.prompt = ""  # what to do to see a trend (a selection trend's "Select a queue")

        self.title = title
        self.plot_widget = pg.PlotWidget(
            axisItems={"bottom": LocaleDateAxis(self, orientation="bottom")}
        )
        self.plot_item: pg.PlotItem = self.plot_widget.getPlotItem()
        for name in ("left", "bottom"):
            axis = self.plot_item.getAxis(name)
            axis.setStyle(tickAlpha=255, maxTickLevel=1)
            axis.setGrid(255)
            # Under the curves (pyqtgraph draws axes, grid included, above the view box): an
            # opaque grid line would hide a flat series lying on it, such as 2 active tasks.
            axis.setZValue(self.plot_item.getViewBox().zValue() - 1)
        if unit:
            # The unit as given: an SI prefix on "tasks/s" or "%" would only confuse.
            self.plot_item.getAxis("left").enableAutoSIPrefix(False)
            self.plot_item.setLabel("left", units=unit)
        self.plot_item.setMenuEnabled(False)
        # Defaults that PlotItem.addItem gives every curve (it overrides the curve's own).
        self.plot_item.setDownsampling(auto=True, mode="peak")
        self.plot_item.setClipToView(True)
        self.view_box: pg.ViewBox = self.plot_item.getViewBox()
        self.view_box.setAutoVisible(y=True)  # y fits what is visible in the x window
        self.view_box.sigRangeChangedManually.connect(self._stop_following)

        self._vline = pg.InfiniteLine(angle=90, movable=False)
        self._readout = pg.TextItem(anchor=(0, 0))
        self._apply_colours()
        for item in (self._vline, self._readout):
            item.setZValue(1000)
            item.hide()
            self.plot_item.addItem(item, ignoreBounds=True)
        self._crosshair_x: float | None = None
        self.plot_widget.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.plot_widget.installEventFilter(self)

        self._message = QLabel(self.plot_widget)
        self._message.setObjectName("plotMessage")
        self._message.setWordWrap(True)
        self._message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._message.setStyleSheet(
            "QLabel#plotMessage { background: rgba(40, 40, 40, 200); color: white;"
            " border-radius: 4px; padding: 4px 8px; }"
        )
        self._message.hide()

        # The toggles wrap into rows: many series (or longer names) never widen the window;
        # beyond TOGGLE_ROWS rows they scroll, so they never squeeze the plot either.
        toggles = QWidget()
        self._toggle_row = FlowLayout(toggles)
        self._toggle_row.setContentsMargins(4, 0, 4, 0)
        self.toggle_area = QScrollArea()
        self.toggle_area.setWidget(toggles)
        self.toggle_area.setWidgetResizable(True)
        self.toggle_area.setFrameShape(QFrame.Shape.NoFrame)
        self.toggle_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        row = QCheckBox("Xg").sizeHint().height() + self._toggle_row.spacing()
        self.toggle_area.setMaximumHeight(TOGGLE_ROWS * row + 2)
        self.plot_widget.setMinimumHeight(MIN_PLOT_HEIGHT)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.plot_widget, 1)
        layout.addWidget(self.toggle_area)

        self._repaint_timer = QTimer(self)
        self._repaint_timer.setSingleShot(True)
        self._repaint_timer.setInterval(max(1, 1000 // max_fps))
        self._repaint_timer.timeout.connect(self.flush)
        self._follow_timer = QTimer(self)
        self._follow_timer.timeout.connect(self._move_with_clock)

    # -- colours ----------------------------------------------------------------------

    def _apply_colours(self) -> None:
        """Colour the plot from the widget's palette (again when the palette changes)."""
        palette = self.palette()
        foreground = palette.color(QPalette.ColorRole.WindowText)
        background = palette.color(QPalette.ColorRole.Base)
        self.plot_widget.setBackground(background)
        self.plot_item.setTitle(self.title, color=foreground)
        # An opaque grid of a pre-mixed shade: translucent grid lines cost ~3 ms
        # per plot and frame in Qt's raster engine, opaque ones almost nothing.
        grid = _mix(background, foreground, GRID_SHADE)
        for name in ("left", "bottom"):
            axis = self.plot_item.getAxis(name)
            axis.setPen(foreground)
            axis.setTextPen(foreground)
            axis.setTickPen(grid)
        self._vline.setPen(pg.mkPen(foreground, width=1, style=Qt.PenStyle.DashLine))
        self._readout.setColor(foreground)
        self._readout.fill = pg.mkBrush(background)
        self._readout.update()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_colours()
        super().changeEvent(event)

    # -- data -------------------------------------------------------------------------

    @classmethod
    def for_selection(cls, title: str, prompt: str, window_s: float = 3600.0) -> TrendPlot:
        """The trend of what is selected in a table: ``prompt`` until something is."""
        plot = cls(title)
        plot.set_window(window_s)
        plot.prompt = prompt
        plot.show_message(prompt)
        return plot

    def clear(self) -> None:
        """Forget every series (another environment's data must not stay on screen); the
        window stays, and the prompt of a selection trend comes back."""
        for key in list(self._curves):
            self._remove(key)
        self.hide_crosshair()
        if self.prompt:
            self.show_message(self.prompt)
        else:
            self.clear_message()

    def keys(self) -> list[str]:
        """Every series key, in the order the keys appeared."""
        return list(self._curves)

    def curve(self, key: str) -> pg.PlotDataItem:
        return self._curves[key]

    def set_series(self, series: list[Series]) -> None:
        """Show exactly ``series``: update the curves of known keys, add new ones, and
        remove the curves of keys no longer present. Drawn at once."""
        wanted = {s.key for s in series}
        for key in [k for k in self._curves if k not in wanted]:
            self._remove(key)
        for s in series:
            ring = self._ensure(s.key)
            ring.clear()
            ring.extend(s.x, s.y)
            self._dirty.discard(s.key)
            self._curves[s.key].setData(*ring.view())
        self._move_with_clock()
        self._refresh_crosshair()

    def append_point(self, key: str, t: float, v: float) -> None:
        """Add a live point to ``key`` (created if new); drawn by the repaint timer."""
        if self._ensure(key).append(t, v):
            self._dirty.add(key)
            if not self._repaint_timer.isActive():
                self._repaint_timer.start()

    def pending(self) -> bool:
        """Points have arrived that the repaint timer has not drawn yet."""
        return bool(self._dirty)

    def flush(self) -> None:
        """Draw the curves that changed since the last draw (the repaint timer's slot)."""
        for key in self._dirty:
            self._curves[key].setData(*self._rings[key].view())
        self._dirty.clear()
        self._move_with_clock()
        self._refresh_crosshair()

    def _ensure(self, key: str) -> RingSeries:
        ring = self._rings.get(key)
        if ring is not None:
            return ring
        color = self._colors.setdefault(key, PALETTE[len(self._colors) % len(PALETTE)])
        # A 1-px (cosmetic) pen draws twice as fast as a wider one; peak downsampling to
        # 2 samples per pixel column keeps every spike (2 for high-DPI screens).
        curve = pg.PlotDataItem(
            pen=pg.mkPen(color, width=1),
            name=key,
            autoDownsampleFactor=DOWNSAMPLE_FACTOR,
            connect="finite",  # a NaN is a gap in the data, drawn as one
        )
        curve.setVisible(key not in self._hidden)
        self.plot_item.addItem(curve)
        # After addItem, which applies the PlotItem's own modes to the curve.
        # (PlotDataItem's keyword is ``method``; PlotItem's is ``mode``.)
        curve.setDownsampling(auto=True, method="peak")
        curve.setClipToView(True)
        self._curves[key] = curve
        ring = self._rings[key] = RingSeries(self._capacity)
        self._add_toggle(key, color)
        return ring

    def _remove(self, key: str) -> None:
        self.plot_item.removeItem(self._curves.pop(key))
        del self._rings[key]
        self._dirty.discard(key)
        toggle = self._toggles.pop(key)
        self._toggle_row.removeWidget(toggle)
        toggle.hide()
        toggle.deleteLater()

    # -- window -----------------------------------------------------------------------

    def set_window(self, seconds: float, end: float | None = None) -> None:
        """Show ``[end - seconds, end]``; without ``end``, the last ``seconds`` up to now,
        moving with each live redraw until the user pans or zooms."""
        if not seconds > 0:
            raise ValueError(f"a window is a positive number of seconds, not {seconds!r}")
        self._window_s = float(seconds)
        self._follow = end is None
        self._apply_window(self._window_s, self._clock() if end is None else float(end))
        if self._follow:
            self._follow_timer.start(max(FOLLOW_MIN_MS, round(seconds * 1000 / FOLLOW_STEPS)))
        else:
            self._follow_timer.stop()

    def following(self) -> bool:
        """The window ends now and moves with the clock."""
        return self._follow and self._window_s is not None

    def _move_with_clock(self) -> None:
        if self._follow and self._window_s is not None:
            self._apply_window(self._window_s, self._clock())

    def _apply_window(self, seconds: float, end: float) -> None:
        self.view_box.setXRange(end - seconds, end, padding=0)

    def _stop_following(self) -> None:
        self._follow = False
        self._follow_timer.stop()

    # -- visibility -------------------------------------------------------------------

    def visible_keys(self) -> list[str]:
        return [k for k in self._curves if k not in self._hidden]

    def set_visible(self, key: str, visible: bool) -> None:
        """Show or hide ``key``'s curve; remembered for a key that has not appeared yet."""
        toggle = self._toggles.get(key)
        if toggle is not None and toggle.isChecked() != visible:
            toggle.setChecked(visible)  # toggled -> _apply_visible
        else:
            self._apply_visible(key, visible)

    def _apply_visible(self, key: str, visible: bool) -> None:
        if visible:
            self._hidden.discard(key)
        else:
            self._hidden.add(key)
        curve = self._curves.get(key)
        if curve is not None:
            curve.setVisible(visible)
        self._refresh_crosshair()

    def _add_toggle(self, key: str, color: str) -> None:
        toggle = QCheckBox(QCoreApplication.translate("TrendPlot", key))
        swatch = QPixmap(12, 12)
        swatch.fill(QColor(color))
        toggle.setIcon(QIcon(swatch))
        toggle.setChecked(key not in self._hidden)
        toggle.setToolTip(self.tr("Show or hide {series}").format(series=key))
        toggle.toggled.connect(lambda checked, k=key: self._apply_visible(k, checked))
        self._toggles[key] = toggle
        self._toggle_row.addWidget(toggle)
        toggle.show()  # a layout shows a widget added to a visible parent only later

    # -- crosshair --------------------------------------------------------------------

    def values_at(self, x: float) -> dict[str, float]:
        """The value of the sample nearest to ``x`` of every visible series with data."""
        out: dict[str, float] = {}
        for key in self.visible_keys():
            xs, ys = self._rings[key].view()
            if len(xs) == 0:
                continue
            i = int(np.searchsorted(xs, x))
            if i == len(xs) or (i > 0 and x - xs[i - 1] <= xs[i] - x):
                i -= 1
            out[key] = float(ys[i])
        return out

    def crosshair_text(self) -> str:
        """The crosshair's readout as plain text ("" while it is hidden)."""
        return self._readout.textItem.toPlainText() if self._readout.isVisible() else ""

    def show_crosshair(self, x: float) -> None:
        """Put the crosshair at time ``x`` (what a mouse move over the plot does)."""
        self._crosshair_x = x
        self._vline.setPos(x)
        locale = self.locale()
        lines = [html.escape(locale.toString(_local(x), QLocale.FormatType.ShortFormat))]
        for key, value in self.values_at(x).items():
            shown = self._value_format(value) if math.isfinite(value) else self.tr("no data")
            lines.append(
                f'<span style="color:{self._colors[key]}">■</span> '
                f"{html.escape(QCoreApplication.translate('TrendPlot', key))}: {html.escape(shown)}"
            )
        self._readout.setHtml("<br>".join(lines))
        (x0, x1), (_, y1) = self.view_box.viewRange()
        self._readout.setAnchor((1, 0) if x > (x0 + x1) / 2 else (0, 0))
        self._readout.setPos(x, y1)
        self._vline.show()
        self._readout.show()

    def hide_crosshair(self) -> None:
        self._crosshair_x = None
        self._vline.hide()
        self._readout.hide()

    def _refresh_crosshair(self) -> None:
        if self._crosshair_x is not None:
            self.show_crosshair(self._crosshair_x)

    def _on_mouse_moved(self, pos: QPointF) -> None:
        if self.view_box.sceneBoundingRect().contains(pos):
            self.show_crosshair(float(self.view_box.mapSceneToView(pos).x()))
        else:
            self.hide_crosshair()

    def _default_format(self, value: float) -> str:
        """Three significant digits in the widget's locale, then the unit."""
        text = _three_significant(value, self.locale())
        return f"{text} {self.unit}" if self.unit else text

    # -- message ----------------------------------------------------------------------

    def show_message(self, text: str) -> None:
        """Overlay a short note on the plot, e.g. that the data shown is stale."""
        self._message.setText(text)
        self._message.show()
        self._place_message()
        self._message.raise_()

    def clear_message(self) -> None:
        self._message.clear()
        self._message.hide()

    def show_answer(self, series: list[Series]) -> None:
        """A new answer for the whole plot: any error shown before is over. A slot, so a
        late answer for a plot already destroyed is never delivered."""
        self.clear_message()
        self.set_series(series)

    def show_failure(self, text: str) -> None:
        """A slot for a query's error, shown over the last data the plot had."""
        self.show_message(text)

    def message_text(self) -> str:
        """The overlaid note, or "" when none is shown."""
        return self._message.text() if not self._message.isHidden() else ""

    def _place_message(self) -> None:
        width = self.plot_widget.width()
        self._message.setMaximumWidth(max(100, width - 40))
        self._message.adjustSize()
        self._message.move(max(0, (width - self._message.width()) // 2), 28)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.plot_widget:
            if event.type() == QEvent.Type.Resize and not self._message.isHidden():
                self._place_message()
            elif event.type() == QEvent.Type.Leave:
                self.hide_crosshair()
        return super().eventFilter(watched, event)


def _three_significant(value: float, locale: QLocale) -> str:
    """``value`` rounded to 3 significant digits, as plain digits in the usual range."""
    if value == 0 or not math.isfinite(value):
        return locale.toString(value, "g", 3)
    magnitude = math.floor(math.log10(abs(value)))
    if magnitude < -3 or magnitude >= 9:
        return locale.toString(value, "g", 3)
    decimals = max(0, 2 - magnitude)
    text = locale.toString(round(value, 2 - magnitude), "f", decimals)
    if decimals:  # 1.50 -> 1.5, 2.00 -> 2
        text = text.rstrip("0").removesuffix(locale.decimalPoint())
    return text


def _mix(base: QColor, over: QColor, amount: float) -> QColor:
    """``over`` laid over ``base`` at opacity ``amount``, as one opaque colour."""
    return QColor.fromRgbF(
        base.redF() + (over.redF() - base.redF()) * amount,
        base.greenF() + (over.greenF() - base.greenF()) * amount,
        base.blueF() + (over.blueF() - base.blueF()) * amount,
    )
