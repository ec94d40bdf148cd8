"""A figure tile: a title, a large value coloured by how it compares to thresholds, a detail
line, and where the figure comes from and how old it is.

Tiles keep the width the layout gives them whatever their text: a text too long
is elided and shown whole in a tooltip. A tile is clickable only when it leads
somewhere (``set_clickable``).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QMouseEvent, QPainter, QPaintEvent, QPalette, QResizeEvent
from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy, QVBoxLayout, QWidget

from console.domain.clock import now as clock_now
from console.models.format import duration
from console.views.colours import LEVEL_COLOURS

__all__ = ["LEVEL_COLOURS", "ElidedLabel", "Tile", "level_for"]

MIN_TILE_WIDTH = 120


class ElidedLabel(QLabel):
    """A one-line label that never asks for more width than it has: a text that does not
    fit ends in "…", and the whole text is the tooltip."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setWordWrap(False)

    def minimumSizeHint(self) -> QSize:
        return QSize(0, super().minimumSizeHint().height())

    def sizeHint(self) -> QSize:
        return QSize(0, super().sizeHint().height())

    def shown_text(self) -> str:
        """The text as drawn at the current width (elided when it does not fit)."""
        return self.fontMetrics().elidedText(
            self.text(), Qt.TextElideMode.ElideRight, max(0, self.contentsRect().width())
        )

    def is_elided(self) -> bool:
        return self.shown_text() != self.text()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        self.style().drawItemText(
            painter, self.contentsRect(), int(self.alignment()), self.palette(),
            self.isEnabled(), self.shown_text(), QPalette.ColorRole.WindowText,
        )  # fmt: skip
        painter.end()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._update_tooltip()

    def setText(self, text: str) -> None:
        super().setText(text)
        self._update_tooltip()

    def _update_tooltip(self) -> None:
        self.setToolTip(self.text() if self.is_elided() else "")


class Tile(QFrame):
    clicked = Signal()

    def __init__(
        self, title: str, clock: Callable[[], float] = clock_now, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("tile")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        # Every tile takes the same share of the row, whatever its text.
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(MIN_TILE_WIDTH)
        self._clock = clock
        self.title = ElidedLabel(title)
        self.title.setObjectName("tileTitle")
        self.value = ElidedLabel("—")
        self.value.setObjectName("tileValue")
        self.detail = ElidedLabel("")
        self.detail.setObjectName("tileDetail")
        self.source = ElidedLabel("")
        self.source.setObjectName("tileSource")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        for label in (self.title, self.value, self.detail, self.source):
            layout.addWidget(label)
        self.level = "neutral"
        self._source_name = ""
        self._source_at: float | None = None
        self._source_problem = ""
        self.clickable = False
        self.set_clickable(True)
        self.set_value("—")

    def set_value(self, text: str, level: str = "neutral", detail: str = "") -> None:
        self.level = level
        self.value.setText(text)
        self.detail.setText(detail)
        colour = LEVEL_COLOURS.get(level, LEVEL_COLOURS["neutral"])
        self.setStyleSheet(
            f"#tile {{ border: 1px solid palette(mid); border-left: 5px solid {colour};"
            " border-radius: 4px; }"
            f"#tileValue {{ font-size: 20pt; font-weight: 600; color: {colour}; }}"
            "#tileTitle { font-weight: 600; }"
            "#tileDetail, #tileSource { color: palette(placeholder-text); }"
        )

    def value_text(self) -> str:
        """The whole value, as set (the label may show it elided)."""
        return self.value.text()

    def clear(self) -> None:
        """No figure, its source not asked yet (another environment's figure must go)."""
        self.set_value("—")
        self.set_source(self._source_name, None)

    def set_source(self, name: str, at: float | None, problem: str = "") -> None:
        """Where the figure comes from, when that source last confirmed it, and what is
        wrong with it if it could not be asked."""
        self._source_name = name
        self._source_at = at
        self._source_problem = problem
        self.refresh_age()

    def refresh_age(self) -> None:
        """Rewrite the age of the figure (a page timer calls this every second)."""
        if self._source_problem:
            text = self.tr("{source}: {problem}").format(
                source=self._source_name, problem=self._source_problem
            )
        elif self._source_at is None:
            text = self.tr("{source}: waiting for the first answer").format(
                source=self._source_name
            )
        else:
            age = duration(max(0.0, self._clock() - self._source_at))
            text = self.tr("{source}, {age} ago").format(source=self._source_name, age=age)
        if text != self.source.text():
            self.source.setText(text)

    def source_text(self) -> str:
        return self.source.text()

    def set_clickable(self, clickable: bool, hint: str = "") -> None:
        """Clickable only when the click leads somewhere; ``hint`` says where."""
        self.clickable = clickable
        self.setCursor(
            Qt.CursorShape.PointingHandCursor if clickable else Qt.CursorShape.ArrowCursor
        )
        self.setToolTip(hint)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self.clickable and event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()
        super().mouseReleaseEvent(event)


def level_for(value: float | None, warn: float, bad: float) -> str:
    """'ok' below ``warn``, 'warn' below ``bad``, else 'bad'; 'neutral' when unknown."""
    if value is None:
        return "neutral"
    if value >= bad:
        return "bad"
    if value >= warn:
        return "warn"
    return "ok"
