"""A clickable figure tile: a title, a large value, coloured by how it compares to thresholds."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

LEVEL_COLOURS = {"neutral": "#607d8b", "ok": "#2e7d32", "warn": "#ef6c00", "bad": "#c62828"}


class Tile(QFrame):
    clicked = Signal()

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tile")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel(title)
        self.title.setObjectName("tileTitle")
        self.value = QLabel("—")
        self.value.setObjectName("tileValue")
        self.detail = QLabel("")
        self.detail.setObjectName("tileDetail")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addWidget(self.title)
        layout.addWidget(self.value)
        layout.addWidget(self.detail)
        self.level = "neutral"
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
            "#tileTitle { font-weight: 600; } #tileDetail { color: palette(placeholder-text); }"
        )

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
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
