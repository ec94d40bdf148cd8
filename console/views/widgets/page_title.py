"""The title at the top of a page."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel


def page_title(text: str) -> QLabel:
    """A label in the page-title style (see the main window's style sheet)."""
    title = QLabel(text)
    title.setObjectName("pageTitle")
    return title
