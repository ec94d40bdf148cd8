"""Go to anything: a page, a queue, a worker, a failure group or a task, by typing a few letters.

The palette matches what it knows (the window hands it the pages, queues, workers and
failure groups); a task is looked up by its owner, who asks the backend when the text
looks like a task id and answers with ``show_tasks``. ``PasteOpener`` opens a task whose
id is pasted anywhere in the window but a text box.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDialog,
    QFrame,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from taskdeck_core.api_types import TaskSummary

LOOKUP_DELAY_MS = 250  # a task id is looked up once the user stops typing
SHOWN = 50  # candidates listed at most
KindRole = Qt.ItemDataRole.UserRole + 1
ValueRole = Qt.ItemDataRole.UserRole + 2
_UUID_SHAPE = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
_HEX = re.compile(r"[0-9a-fA-F]")
MIN_PREFIX = 6
STEPS = {Qt.Key.Key_Up: -1, Qt.Key.Key_Down: 1, Qt.Key.Key_PageUp: -10, Qt.Key.Key_PageDown: 10}


def looks_like_task_id(text: str) -> str | None:
    """``text`` without surrounding spaces when it is a task id (a UUID) or its first
    ``MIN_PREFIX`` characters or more; None otherwise."""
    stripped = text.strip()
    if not MIN_PREFIX <= len(stripped) <= len(_UUID_SHAPE):
        return None
    for char, shape in zip(stripped, _UUID_SHAPE, strict=False):
        if (char == "-") != (shape == "-") or (char != "-" and not _HEX.fullmatch(char)):
            return None
    return stripped


FULL_ID_LENGTH = 36  # a task id as Celery makes it (a UUID)


class GoToPalette(QDialog):
    """Type to narrow, Up/Down to move, Enter to open, Esc to close."""

    chosen = Signal(str, str)  # kind (page | queue | worker | group | task), value
    task_lookup = Signal(str)  # the text looks like a task id: find the tasks it names

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowFlags(Qt.WindowType.Popup | Qt.WindowType.FramelessWindowHint)
        self.setWindowTitle(self.tr("Go to"))
        self.setMinimumWidth(520)
        self._sources: list[tuple[str, str, str]] = []  # kind, value, text shown
        self._tasks: list[TaskSummary] = []  # found for the text typed
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(
            self.tr("Go to a page, queue, worker, failure group or task id…")
        )
        self.edit.installEventFilter(self)
        self.list = QListWidget()
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.list.setUniformItemSizes(True)
        self.list.itemActivated.connect(self._choose_item)
        self.list.itemClicked.connect(self._choose_item)
        self._lookup = QTimer(self)
        self._lookup.setSingleShot(True)
        self._lookup.setInterval(LOOKUP_DELAY_MS)
        self._lookup.timeout.connect(self._ask_lookup)
        self.edit.textChanged.connect(self._typed)
        self.edit.returnPressed.connect(self.choose_current)
        frame = QFrame()
        frame.setFrameShape(QFrame.Shape.StyledPanel)
        inner = QVBoxLayout(frame)
        inner.addWidget(self.edit)
        inner.addWidget(self.list, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(frame)
        self.resize(560, 360)

    def _kinds(self) -> dict[str, str]:
        return {"page": self.tr("Page"), "queue": self.tr("Queue"), "worker": self.tr("Worker"),
                "group": self.tr("Failure group"), "task": self.tr("Task")}  # fmt: skip

    def set_sources(
        self,
        pages: list[tuple[str, str]],
        queues: list[str],
        workers: list[str],
        groups: list[tuple[str, str]],
    ) -> None:
        """What can be gone to: pages as (key, title), queues, workers, failure groups as
        (signature, label)."""
        kinds = self._kinds()
        self._sources = [
            *(("page", key, f"{kinds['page']}: {title}") for key, title in pages),
            *(("queue", q, f"{kinds['queue']}: {q}") for q in queues),
            *(("worker", w, f"{kinds['worker']}: {w}") for w in workers),
            *(("group", sig, f"{kinds['group']}: {label}") for sig, label in groups),
        ]
        self._refill()

    def open_palette(self) -> None:
        """Show the palette empty, over the top of its parent window, ready for typing."""
        self.edit.clear()
        self._tasks = []
        self._refill()
        parent = self.parentWidget()
        if parent is not None:
            top = parent.window()
            at = top.mapToGlobal(top.rect().topLeft())
            self.move(at.x() + (top.width() - self.width()) // 2, at.y() + top.height() // 8)
        self.show()
        self.raise_()
        self.activateWindow()
        self.edit.setFocus()

    def _typed(self, text: str) -> None:
        self._tasks = [t for t in self._tasks if self._names(text, t)]
        self._refill()
        if looks_like_task_id(text):
            self._lookup.start()
        else:
            self._lookup.stop()

    def _ask_lookup(self) -> None:
        task_id = looks_like_task_id(self.edit.text())
        if task_id:
            self.task_lookup.emit(task_id)

    @staticmethod
    def _names(text: str, task: TaskSummary) -> bool:
        wanted = looks_like_task_id(text)
        return wanted is not None and task.task_id.lower().startswith(wanted.lower())

    def show_tasks(self, tasks: list[TaskSummary]) -> None:
        """The tasks the owner found for the text typed (those it no longer names are left out)."""
        text = self.edit.text()
        self._tasks = [t for t in tasks if self._names(text, t)]
        self._refill()

    def candidates(self) -> list[tuple[str, str, str]]:
        """What is listed, in order: (kind, value, text shown)."""
        found = []
        for row in range(self.list.count()):
            item = self.list.item(row)
            found.append((item.data(KindRole), item.data(ValueRole), item.text()))
        return found

    def _refill(self) -> None:
        text = self.edit.text().strip()
        needle = text.lower()
        rows: list[tuple[str, str, str]] = []
        task_id = looks_like_task_id(text)
        if task_id:
            # The tasks the ledger found first (Enter opens the first); the text itself
            # only as a full id, or while nothing was found yet.
            for t in self._tasks:
                shown = " · ".join(
                    part for part in (self.tr("Task {id}").format(id=t.task_id), t.name, t.state)
                    if part
                )  # fmt: skip
                rows.append(("task", t.task_id, shown))
            full = len(task_id) == FULL_ID_LENGTH
            if not any(t.task_id == task_id for t in self._tasks) and (full or not self._tasks):
                rows.append(("task", task_id, self.tr("Task {id}").format(id=task_id)))
        rows.extend(s for s in self._sources if needle in s[2].lower())
        self.list.clear()
        for kind, value, shown in rows[:SHOWN]:
            item = QListWidgetItem(shown)
            item.setData(KindRole, kind)
            item.setData(ValueRole, value)
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.edit and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            step = STEPS.get(Qt.Key(event.key()))
            if step is not None and self.list.count():
                row = self.list.currentRow() + step
                self.list.setCurrentRow(max(0, min(self.list.count() - 1, row)))
                return True
        return super().eventFilter(watched, event)

    def choose_current(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self._choose_item(item)

    def _choose_item(self, item: QListWidgetItem) -> None:
        kind, value = str(item.data(KindRole)), str(item.data(ValueRole))
        self._lookup.stop()
        self.accept()
        self.chosen.emit(kind, value)

    def done(self, result: int) -> None:
        self._lookup.stop()
        super().done(result)


def _is_text_input(widget: QWidget | None) -> bool:
    """A widget that takes pasted text itself."""
    if isinstance(widget, QLineEdit | QTextEdit | QPlainTextEdit):
        return not widget.isReadOnly()
    if isinstance(widget, QAbstractSpinBox):
        return True
    return isinstance(widget, QComboBox) and widget.isEditable()


class PasteOpener(QObject):
    """Ctrl+V (the platform's Paste) in ``window`` outside a text box, with a task id on the
    clipboard: ``task_pasted`` names it, and the key press goes no further. Any other paste
    goes where it would have."""

    task_pasted = Signal(str)

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window
        # On the application, so the key is seen before the focused widget (or a shortcut)
        # acts on it; only keys meant for ``window`` count.
        app = QApplication.instance()
        assert app is not None
        app.installEventFilter(self)  # removed by Qt when this goes with ``window``

    def _pasted_task(self, watched: QObject, event: QEvent) -> str | None:
        if event.type() not in (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride):
            return None
        if not isinstance(event, QKeyEvent) or not event.matches(QKeySequence.StandardKey.Paste):
            return None
        focus = QApplication.focusWidget()
        target = focus if focus is not None else self._window
        if watched is not target or target.window() is not self._window:
            return None
        if _is_text_input(focus):
            return None
        return looks_like_task_id(QGuiApplication.clipboard().text())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        task_id = self._pasted_task(watched, event)
        if task_id is None:
            return False
        if event.type() == QEvent.Type.ShortcutOverride:
            event.accept()  # no shortcut takes the key: it arrives as a key press, here
            return True
        self.task_pasted.emit(task_id)
        return True
