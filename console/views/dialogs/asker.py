"""The questions a page asks before an action ("why?", "which priority?"), behind a seam.

Pages ask through an :class:`Asker`; the window's is :class:`DialogAsker`, whose
dialogs open window-modal with ``open()`` and are awaited through their
``finished`` signal, so no nested event loop runs inside a coroutine. Tests
hand the page another Asker that answers at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QDialog, QInputDialog, QMessageBox, QWidget

from taskdeck_core.priority import USER_PRIORITY_MAX, USER_PRIORITY_MIN


class Asker(Protocol):
    async def reason(self, title: str, subject: str) -> str | None:
        """The reason for the audit log, without surrounding spaces; None when the user
        cancelled or gave none. ``subject`` says what the action touches."""
        ...

    async def priority(
        self,
        title: str,
        subject: str,
        current: int,
        landing: Callable[[int], str | None] | None = None,
    ) -> int | None:
        """A priority as users speak it (1 lowest … 10 highest), offered from ``current``;
        None when cancelled. ``subject`` says what the change touches; ``landing(p)``, where
        the task would wait with priority ``p`` (shown as the user picks)."""
        ...


async def answered(dialog: QDialog) -> bool:
    """Open ``dialog`` window-modal and wait until it is closed; True when accepted.

    Cancelling the waiting coroutine closes the dialog.
    """
    finished: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def done(result: int) -> None:
        if not finished.done():
            finished.set_result(result)

    dialog.finished.connect(done)
    dialog.open()
    try:
        return await finished == QDialog.DialogCode.Accepted.value
    finally:
        if dialog.isVisible():
            dialog.reject()
        dialog.deleteLater()


class DialogAsker(QObject):
    """Asks with an input dialog over ``parent``."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._parent = parent

    def _dialog(self, title: str, subject: str, label: str) -> QInputDialog:
        dialog = QInputDialog(self._parent)
        dialog.setWindowTitle(title)
        dialog.setLabelText(f"{subject}\n\n{label}" if subject else label)
        return dialog

    async def reason(self, title: str, subject: str) -> str | None:
        dialog = self._dialog(title, subject, self.tr("Reason (recorded in the audit log):"))
        dialog.setInputMode(QInputDialog.InputMode.TextInput)
        if not await answered(dialog):
            return None
        text = dialog.textValue().strip()
        if not text:
            warning = QMessageBox(QMessageBox.Icon.Warning, title,
                                  self.tr("A reason is required."), parent=self._parent)  # fmt: skip
            await answered(warning)
            return None
        return text

    async def priority(
        self,
        title: str,
        subject: str,
        current: int,
        landing: Callable[[int], str | None] | None = None,
    ) -> int | None:
        label = self.tr("New priority (1 lowest … 10 highest):")
        dialog = self._dialog(title, subject, label)
        dialog.setInputMode(QInputDialog.InputMode.IntInput)
        dialog.setIntRange(USER_PRIORITY_MIN, USER_PRIORITY_MAX)
        dialog.setIntValue(current)
        if landing is not None:

            def show_landing(value: int) -> None:
                where = landing(value)
                text = f"{label}\n\n{where}" if where else label
                dialog.setLabelText(f"{subject}\n\n{text}" if subject else text)

            dialog.intValueChanged.connect(show_landing)
            show_landing(current)
        return dialog.intValue() if await answered(dialog) else None
