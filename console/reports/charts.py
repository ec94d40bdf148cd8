"""Draw a report's plot with QPainter on any paint device: a PDF page (as vectors)
or an image (a PNG for the HTML report).

Lengths are in points and turned into the device's units through its resolution,
so a plot looks the same on a 600 dpi PDF and a 2x image. Times on the axis are
in the report's zone. A series is not joined across a gap (two points more than
three of its usual steps apart). Needs a QGuiApplication (fonts).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from datetime import tzinfo

from PySide6.QtCore import QBuffer, QByteArray, QCoreApplication, QIODevice, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QGuiApplication,
    QImage,
    QPainter,
    QPainterPath,
    QPen,
)

from console.domain.translation import QT_TRANSLATE_NOOP
from console.reports.formatting import format_number_with_unit, local_time, moment
from console.reports.model import Plot, Series

# Dark enough to read on white paper and apart from each other in grey print too.
PALETTE = (
    "#1f5fa8",
    "#c0392b",
    "#2e7d32",
    "#7b3fa0",
    "#d35400",
    "#5d4037",
    "#00838f",
    "#ad1457",
)
NO_DATA = QT_TRANSLATE_NOOP("Report", "no data in this window")

# DejaVu first: Qt's PDF writer maps Noto CJK's Latin digits to no text, so pdftotext
# (and copy and paste) would lose every number; CJK falls back to Noto.
SANS_FAMILIES = ["DejaVu Sans", "Noto Sans CJK SC", "Noto Sans CJK JP", "Sans Serif"]
MONO_FAMILIES = ["DejaVu Sans Mono", "Noto Sans Mono CJK SC", "Noto Sans Mono", "Monospace"]

# Time steps an axis may tick at, in seconds.
_TIME_STEPS = (
    60,
    120,
    300,
    600,
    900,
    1800,
    3600,
    7200,
    10800,
    21600,
    43200,
    86400,
    172800,
    604800,
)


def series_name(name: str) -> str:
    """A series' name as a legend shows it: the names the console gives series (such as
    "failure rate") in the user's language, a queue's or a state's as it is."""
    return QCoreApplication.translate("TrendPlot", name)


def require_gui() -> None:
    """Fonts and images need a QGuiApplication (the console's); say so rather than crash."""
    if not isinstance(QCoreApplication.instance(), QGuiApplication):
        raise RuntimeError("drawing a report (PDF, HTML plots) needs a QGuiApplication")


def report_font(points: float, *, bold: bool = False, mono: bool = False) -> QFont:
    """A font that covers Latin and CJK text (Noto, DejaVu), falling back to Qt's choice."""
    font = QFont()
    font.setFamilies(MONO_FAMILIES if mono else SANS_FAMILIES)
    if mono:
        font.setStyleHint(QFont.StyleHint.TypeWriter)
    else:
        font.setStyleHint(QFont.StyleHint.SansSerif)
    font.setPointSizeF(points)
    font.setBold(bold)
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    # No ligatures: "fl" drawn as one glyph reads back from a PDF as "ﬂ", which a
    # search for the word would not find.
    for feature in ("liga", "clig", "dlig"):
        font.setFeature(QFont.Tag(feature), 0)
    return font


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round values from at most ``low`` to at least ``high``, about ``count`` of them."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return [0.0, 1.0]
    if high < low:
        low, high = high, low
    if high == low:
        high = low + (abs(low) or 1.0)
    raw = (high - low) / max(1, count)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = magnitude * 10
    for factor in (1, 2, 2.5, 5, 10):
        if magnitude * factor >= raw:
            step = magnitude * factor
            break
    first = math.floor(low / step + 1e-9) * step
    last = math.ceil(high / step - 1e-9) * step
    ticks: list[float] = []
    value = first
    while value <= last + step / 2:
        ticks.append(round(value, 10))
        value += step
    return ticks if len(ticks) >= 2 else [first, first + step]


def time_ticks(start: float, end: float, zone: tzinfo, most: int) -> list[tuple[float, str]]:
    """Ticks on whole local minutes, hours or days in ``zone``, at most ``most`` of them."""
    span = end - start
    if span <= 0:
        return [(start, local_time(start, zone).strftime("%H:%M"))]
    step = _TIME_STEPS[-1]
    for candidate in _TIME_STEPS:
        if span / candidate <= max(1, most):
            step = candidate
            break
    offset = local_time(start, zone).utcoffset()
    shift = offset.total_seconds() if offset is not None else 0.0
    if step < 86400 and span <= 86400:
        pattern = "%H:%M"
    elif step < 86400:
        pattern = "%m-%d %H:%M"
    else:
        pattern = "%m-%d"
    tick = math.ceil((start + shift) / step) * step - shift
    found: list[tuple[float, str]] = []
    while tick <= end + 1e-6:
        found.append((tick, local_time(tick, zone).strftime(pattern)))
        tick += step
    return found


def segments(series: Series) -> list[list[tuple[float, float]]]:
    """The runs of a series to join: a gap of more than three usual steps ends a run."""
    points = [(t, v) for t, v in series.points if math.isfinite(t) and math.isfinite(v)]
    if len(points) < 2:
        return [points] if points else []
    steps = [b[0] - a[0] for a, b in zip(points, points[1:], strict=False) if b[0] > a[0]]
    usual = statistics.median(steps) if steps else 0.0
    runs: list[list[tuple[float, float]]] = [[points[0]]]
    for before, point in zip(points, points[1:], strict=False):
        if usual > 0 and point[0] - before[0] > 3 * usual:
            runs.append([])
        runs[-1].append(point)
    return runs


def _elided(metrics: QFontMetricsF, text: str, width: float) -> str:
    return metrics.elidedText(text, Qt.TextElideMode.ElideRight, width)


def _legend_rows(
    names: Sequence[str], metrics: QFontMetricsF, width: float, swatch: float, gap: float
) -> list[list[tuple[int, str, float]]]:
    """The legend's items (index, name, width) in rows that fit ``width``."""
    rows: list[list[tuple[int, str, float]]] = [[]]
    used = 0.0
    for index, name in enumerate(names):
        text = _elided(metrics, name, width - swatch - gap)
        item = swatch + gap / 2 + metrics.horizontalAdvance(text)
        if rows[-1] and used + item > width:
            rows.append([])
            used = 0.0
        rows[-1].append((index, text, item))
        used += item + gap
    return rows if rows[0] else []


def draw_plot(painter: QPainter, rect: QRectF, plot: Plot, zone: tzinfo) -> None:
    """Draw ``plot`` in ``rect`` (the painter's device units): title, axes, lines, legend."""
    device = painter.device()
    k = device.logicalDpiY() / 72.0  # device units per point
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)

    title_font = report_font(9.5, bold=True)
    small = report_font(7.5)
    title_metrics = QFontMetricsF(title_font, device)
    metrics = QFontMetricsF(small, device)

    painter.setFont(title_font)
    painter.setPen(QColor("#111111"))
    title_height = title_metrics.height()
    painter.drawText(
        QRectF(rect.left(), rect.top(), rect.width(), title_height),
        int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
        _elided(title_metrics, plot.title, rect.width()),
    )

    swatch = 12 * k
    gap = 10 * k
    rows = _legend_rows(
        [series_name(s.name) for s in plot.series], metrics, rect.width(), swatch, gap
    )
    line_height = metrics.height()
    legend_height = len(rows) * line_height + (4 * k if rows else 0)

    values = [v for s in plot.series for _, v in s.points if math.isfinite(v)]
    has_data = bool(values)
    low = min(values) if values else 0.0
    high = max(values) if values else 1.0
    if low >= 0:
        low = 0.0
    y_ticks = nice_ticks(low, high)
    y_labels = [format_number_with_unit(t, plot.unit) for t in y_ticks] if has_data else []
    label_width = max((metrics.horizontalAdvance(t) for t in y_labels), default=0.0)

    area = QRectF(
        rect.left() + label_width + 6 * k,
        rect.top() + title_height + 6 * k,
        rect.width() - label_width - 6 * k - 4 * k,
        rect.height() - title_height - 6 * k - line_height - 4 * k - legend_height,
    )
    if area.width() <= 0 or area.height() <= 0:
        painter.restore()
        return
    start, end = plot.start, plot.end
    if not (moment(start, zone) and moment(end, zone)):
        start, end = 0.0, 1.0
    if end <= start:
        end = start + 1.0
    y_low, y_high = y_ticks[0], y_ticks[-1]

    def x_of(t: float) -> float:
        return area.left() + (t - start) / (end - start) * area.width()

    def y_of(v: float) -> float:
        return area.bottom() - (v - y_low) / (y_high - y_low) * area.height()

    # Grid and y ticks.
    painter.setFont(small)
    grid = QPen(QColor("#d9d9d9"), 0.5 * k)
    text_colour = QColor("#333333")
    if has_data:
        for tick, label in zip(y_ticks, y_labels, strict=True):
            y = y_of(tick)
            painter.setPen(grid)
            painter.drawLine(QPointF(area.left(), y), QPointF(area.right(), y))
            painter.setPen(text_colour)
            painter.drawText(
                QRectF(rect.left(), y - line_height / 2, label_width, line_height),
                int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                label,
            )

    # Time ticks.
    sample = metrics.horizontalAdvance("00-00 00:00") + 16 * k
    most = max(2, int(area.width() / sample))
    axis = QPen(QColor("#555555"), 0.8 * k)
    for tick, label in time_ticks(start, end, zone, most):
        x = x_of(tick)
        painter.setPen(axis)
        painter.drawLine(QPointF(x, area.bottom()), QPointF(x, area.bottom() + 3 * k))
        width = metrics.horizontalAdvance(label) + 2 * k
        left = min(max(x - width / 2, rect.left()), rect.right() - width)
        painter.setPen(text_colour)
        painter.drawText(
            QRectF(left, area.bottom() + 3 * k, width, line_height),
            int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop),
            label,
        )
    painter.setPen(axis)
    painter.drawLine(area.bottomLeft(), area.bottomRight())
    painter.drawLine(area.bottomLeft(), area.topLeft())

    # The series.
    if has_data:
        painter.save()
        painter.setClipRect(area.adjusted(-2 * k, -2 * k, 2 * k, 2 * k))
        for index, series in enumerate(plot.series):
            colour = QColor(PALETTE[index % len(PALETTE)])
            pen = QPen(colour, 1.4 * k)
            pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            for run in segments(series):
                if len(run) == 1:
                    painter.setPen(Qt.PenStyle.NoPen)
                    painter.setBrush(colour)
                    t, v = run[0]
                    painter.drawEllipse(QPointF(x_of(t), y_of(v)), 1.6 * k, 1.6 * k)
                    continue
                path = QPainterPath(QPointF(x_of(run[0][0]), y_of(run[0][1])))
                for t, v in run[1:]:
                    path.lineTo(x_of(t), y_of(v))
                painter.setPen(pen)
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawPath(path)
        painter.restore()
    else:
        painter.setPen(QColor("#666666"))
        painter.setFont(report_font(9))
        painter.drawText(
            area, int(Qt.AlignmentFlag.AlignCenter), QCoreApplication.translate("Report", NO_DATA)
        )

    # Legend.
    painter.setFont(small)
    top = area.bottom() + 3 * k + line_height + 4 * k
    for row in rows:
        x = rect.left()
        for index, text, width in row:
            colour = QColor(PALETTE[index % len(PALETTE)])
            middle = top + line_height / 2
            painter.setPen(QPen(colour, 2.5 * k))
            painter.drawLine(QPointF(x, middle), QPointF(x + swatch, middle))
            painter.setPen(text_colour)
            painter.drawText(
                QRectF(x + swatch + gap / 2, top, width - swatch - gap / 2 + k, line_height),
                int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                text,
            )
            x += width + gap
        top += line_height
    painter.restore()


# The HTML report shows a plot as wide as its text column (57rem: 912 CSS pixels, scaled
# down with a narrower column or on paper) and a third of that high, drawn at twice that.
PNG_CSS_SIZE = (912, 304)
_PNG_SCALE = 2
_PNG_DPI = 96 * _PNG_SCALE


def plot_png(plot: Plot, zone: tzinfo) -> bytes:
    """``plot`` as a PNG at twice the resolution it is shown at in HTML."""
    require_gui()
    width, height = (size * _PNG_SCALE for size in PNG_CSS_SIZE)
    image = QImage(width, height, QImage.Format.Format_RGB32)
    dots_per_metre = round(_PNG_DPI / 0.0254)
    image.setDotsPerMeterX(dots_per_metre)
    image.setDotsPerMeterY(dots_per_metre)
    image.fill(QColor("white"))
    painter = QPainter(image)
    try:
        margin = 6 * _PNG_SCALE
        draw_plot(
            painter, QRectF(margin, margin, width - 2 * margin, height - 2 * margin), plot, zone
        )
    finally:
        painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # type: ignore[call-overload]  # the stubs say bytes, Qt takes str
    buffer.close()
    return bytes(data.data())
