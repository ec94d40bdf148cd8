"""What the pages are told while a snapshot is open: nothing may be changed."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QCoreApplication

# The role the pages are given while a snapshot is open: no action is allowed.
READ_ONLY_ROLE = "snapshot"


def read_only_text() -> str:
    """Why nothing can be changed here, in words."""
    return QCoreApplication.translate(
        "Snapshot",
        "This is a snapshot, read-only: nothing can be changed from it. Open a live profile to act.",
    )


def saved_moment(at: float) -> str:
    """When a snapshot was taken, with its date (it may be opened days later)."""
    return datetime.fromtimestamp(at).strftime("%Y-%m-%d %H:%M:%S")
