"""Repeating timers for the controllers' polling."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer


def every(parent: QObject, interval_ms: int, slot: Callable[[], object]) -> QTimer:
    """A timer owned by ``parent`` that calls ``slot`` every ``interval_ms`` once started."""
    timer = QTimer(parent)
    timer.setInterval(interval_ms)
    timer.timeout.connect(slot)
    return timer
