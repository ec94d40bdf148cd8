"""Go to anything: typing narrows what the palette offers, the keys choose, a task id is
looked up by its owner; and a task id pasted outside a text box opens the task."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QStandardItemModel
from PySide6.QtWidgets import QApplication, QLineEdit, QTableView, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from console.views.goto_palette import GoToPalette, PasteOpener, looks_like_task_id
from taskdeck_core.api_types import TaskSummary

PAGES = [("overview", "Overview"), ("queues", "Queues"), ("workers", "Workers"),
         ("audit", "Audit")]  # fmt: skip
QUEUES = ["default", "high_priority", "data_sync"]
WORKERS = ["sync-1@host-a", "sync-2@host-b"]
GROUPS = [("3b1f…", "TimeoutError in data_sync.sync_single_file")]


@pytest.fixture
def window(qtbot: QtBot) -> QWidget:
    """A window with a table and a text box, shown and active."""
    top = QWidget()
    top.table = QTableView()  # type: ignore[attr-defined]
    top.table.setModel(QStandardItemModel(3, 2, top))  # type: ignore[attr-defined]
    top.box = QLineEdit()  # type: ignore[attr-defined]
    layout = QVBoxLayout(top)
    layout.addWidget(top.table)  # type: ignore[attr-defined]
    layout.addWidget(top.box)  # type: ignore[attr-defined]
    qtbot.addWidget(top)
    top.resize(600, 400)
    top.show()
    top.activateWindow()
    qtbot.waitExposed(top)
    return top


@pytest.fixture
def palette(qtbot: QtBot, window: QWidget) -> GoToPalette:
    palette = GoToPalette(window)
    palette.set_sources(PAGES, QUEUES, WORKERS, GROUPS)
    palette.open_palette()
    qtbot.waitUntil(palette.isVisible, timeout=2000)
    return palette


@pytest.fixture
def clipboard() -> Iterator[None]:
    board = QGuiApplication.clipboard()
    before = board.text()
    yield
    board.setText(before)


def shown(palette: GoToPalette) -> list[str]:
    return [text for _kind, _value, text in palette.candidates()]


def test_task_ids_are_told_by_their_shape() -> None:
    full = str(uuid.uuid4())
    assert looks_like_task_id(f"  {full}\n") == full
    assert looks_like_task_id(full.upper()) == full.upper()
    assert looks_like_task_id(full[:6]) == full[:6]
    assert looks_like_task_id(full[:13]) == full[:13]  # across the first hyphen
    assert looks_like_task_id(full[:5]) is None  # too short to mean one task
    assert looks_like_task_id("queues") is None
    assert looks_like_task_id("abcdef-12") is None  # a hyphen where a UUID has none
    assert looks_like_task_id("------") is None
    assert looks_like_task_id(full + "0") is None


def test_typing_lists_the_matches_and_enter_opens_the_chosen_one(
    qtbot: QtBot, palette: GoToPalette
) -> None:
    assert len(shown(palette)) == len(PAGES) + len(QUEUES) + len(WORKERS) + len(GROUPS)
    qtbot.keyClicks(palette.edit, "que")
    assert shown(palette) == ["Page: Queues", *(f"Queue: {q}" for q in QUEUES)]

    # Down twice, then Enter: the second queue, and the palette closes.
    qtbot.keyClick(palette.edit, Qt.Key.Key_Down)
    qtbot.keyClick(palette.edit, Qt.Key.Key_Down)
    with qtbot.waitSignal(palette.chosen, timeout=2000) as chosen:
        qtbot.keyClick(palette.edit, Qt.Key.Key_Return)
    assert chosen.args == ["queue", "high_priority"]
    assert not palette.isVisible()

    # Opened again it starts afresh; a failure group is found by its label, case aside.
    palette.open_palette()
    assert palette.edit.text() == ""
    qtbot.keyClicks(palette.edit, "TIMEOUT")
    assert palette.candidates() == [("group", GROUPS[0][0], f"Failure group: {GROUPS[0][1]}")]
    with qtbot.waitSignal(palette.chosen, timeout=2000) as chosen:
        qtbot.keyClick(palette.edit, Qt.Key.Key_Enter)
    assert chosen.args == ["group", GROUPS[0][0]]


def test_escape_closes_without_choosing(qtbot: QtBot, palette: GoToPalette) -> None:
    picked: list[tuple[str, str]] = []
    palette.chosen.connect(lambda kind, value: picked.append((kind, value)))
    qtbot.keyClicks(palette.edit, "work")
    assert shown(palette) == ["Page: Workers", *(f"Worker: {w}" for w in WORKERS)]
    qtbot.keyClick(palette.edit, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not palette.isVisible(), timeout=2000)
    assert picked == []


def test_a_task_id_is_looked_up_and_the_tasks_found_can_be_chosen(
    qtbot: QtBot, palette: GoToPalette
) -> None:
    task_id = str(uuid.uuid4())
    prefix = task_id[:8]
    lookups: list[str] = []
    palette.task_lookup.connect(lookups.append)
    with qtbot.waitSignal(palette.task_lookup, timeout=2000) as lookup:
        qtbot.keyClicks(palette.edit, prefix)
    assert lookup.args == [prefix]
    assert lookups == [prefix]  # once, when the typing paused, not per key
    assert palette.candidates()[0] == ("task", prefix, f"Task {prefix}")

    # The owner answers: the task found comes first, in place of what was typed (a prefix
    # opens nothing by itself). One that the text does not name (an answer for an
    # earlier text) is not offered.
    found = TaskSummary(task_id=task_id, name="data_sync.sync_single_file", state="FAILURE",
                        created_at=time.time())  # fmt: skip
    other = TaskSummary(task_id=str(uuid.uuid4()), name="x", state="SUCCESS",
                        created_at=time.time())  # fmt: skip
    palette.show_tasks([found, other])
    assert palette.candidates()[:1] == [
        ("task", task_id, f"Task {task_id} · data_sync.sync_single_file · FAILURE"),
    ]
    assert all(value not in (other.task_id, prefix) for _, value, _ in palette.candidates())
    with qtbot.waitSignal(palette.chosen, timeout=2000) as chosen:
        qtbot.keyClick(palette.edit, Qt.Key.Key_Return)
    assert chosen.args == ["task", task_id]


def test_a_task_id_pasted_outside_a_text_box_opens_the_task(
    qtbot: QtBot, window: QWidget, clipboard: None
) -> None:
    opener = PasteOpener(window)
    pasted: list[str] = []
    opener.task_pasted.connect(pasted.append)
    task_id = str(uuid.uuid4())
    QGuiApplication.clipboard().setText(f" {task_id}\n")
    table: QTableView = window.table  # type: ignore[attr-defined]
    box: QLineEdit = window.box  # type: ignore[attr-defined]

    table.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is table, timeout=2000)
    with qtbot.waitSignal(opener.task_pasted, timeout=2000) as got:
        qtbot.keyClick(table, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert got.args == [task_id]

    # In a text box the paste is the box's: the text goes in, no task opens.
    box.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is box, timeout=2000)
    qtbot.keyClick(box, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert box.text().strip() == task_id
    assert pasted == [task_id]

    # Something else on the clipboard: nothing opens.
    QGuiApplication.clipboard().setText("not a task id")
    table.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is table, timeout=2000)
    qtbot.keyClick(table, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert pasted == [task_id]
