"""Connections a page made to one environment's controller, undone when it detaches."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QObject


def disconnect_all(connections: Iterable[Any]) -> None:
    """Undo each connection; one whose controller is gone already is skipped."""
    for connection in connections:
        try:
            QObject.disconnect(connection)
        except (RuntimeError, TypeError):
            pass  # already gone with its controller
