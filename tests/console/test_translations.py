"""The console in Simplified Chinese: every text the code marks is translated, the pages
show no English where a translation exists, and a report is written in Chinese."""

from __future__ import annotations

import ast
import asyncio
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QSortFilterProxyModel, Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QMenu,
    QTableView,
    QTabWidget,
    QTreeView,
    QWidget,
)
from pytestqt.qtbot import QtBot

from console import language, report_cli
from console.app import Console
from console.domain import clock
from console.domain.endpoints import Endpoints
from console.models.keyed_table_model import KeyedTableModel
from console.snapshot.file import Snapshot, write_snapshot
from tests.console.conftest import open_console, run_coro

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "console" / "assets" / "translations"
ZH_TS = TRANSLATIONS / "taskdeck_zh_CN.ts"
BIN = Path(sys.executable).parent
CJK = re.compile(r"[\u4e00-\u9fff]")
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
PAGES = ("overview", "queues", "workers", "tasks", "quotas", "ratelimits", "alerts", "audit",
         "reports", "connections")  # fmt: skip


def messages(ts: Path) -> list[tuple[str, str, str | None, str | None]]:
    """(context, source, translation, its type) of every message of a .ts file."""
    out = []
    for context in ET.parse(ts).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            translation = message.find("translation")
            assert translation is not None
            out.append((name, message.findtext("source") or "", translation.text,
                        translation.get("type")))  # fmt: skip
    return out


def lupdate(ts: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "pyside6-lupdate"), "-extensions", "py", "-no-obsolete", "-locations",
         "relative", "console", "-ts", str(ts)],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip


def test_every_text_the_code_marks_has_a_chinese_translation(tmp_path: Path) -> None:
    """lupdate over the code now, into a copy of the zh_CN source: no text is new or
    unfinished, and each translation keeps its source's placeholders."""
    ts = tmp_path / "taskdeck_zh_CN.ts"
    shutil.copy(ZH_TS, ts)
    lupdate(ts)
    found = messages(ts)
    assert len(found) > 1000  # the console's texts were read, not an empty scan
    unfinished = [(c, s) for c, s, text, kind in found if kind == "unfinished" or not text]
    assert unfinished == [], f"{len(unfinished)} texts have no zh_CN translation: {unfinished[:20]}"
    for context, source, text, _ in found:
        assert text is not None
        assert sorted(PLACEHOLDER.findall(source)) == sorted(PLACEHOLDER.findall(text)), (
            context, source, text,
        )  # fmt: skip
    # The committed source is what lupdate writes (run `make update-translations`).
    assert {(c, s) for c, s, _, _ in found} == {(c, s) for c, s, _, _ in messages(ZH_TS)}


def test_the_check_fails_on_a_text_without_translation(tmp_path: Path) -> None:
    """The count above would see a new text: one added to a copy of the code is unfinished."""
    tree = tmp_path / "tree"
    shutil.copytree(ROOT / "console", tree / "console", ignore=shutil.ignore_patterns("*.qm"))
    (tree / "console" / "new_text.py").write_text(
        "from PySide6.QtCore import QCoreApplication\n\n"
        'TEXT = QCoreApplication.translate("Console", "A text nobody translated yet")\n'
    )
    ts = tmp_path / "taskdeck_zh_CN.ts"
    shutil.copy(ZH_TS, ts)
    subprocess.run(
        [str(BIN / "pyside6-lupdate"), "-extensions", "py", "-no-obsolete", "console", "-ts",
         str(ts)], cwd=tree, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    unfinished = [(c, s) for c, s, text, kind in messages(ts) if kind == "unfinished" or not text]
    assert unfinished == [("Console", "A text nobody translated yet")]


def test_texts_given_to_helpers_lupdate_cannot_read_are_marked() -> None:
    """console/snapshot/replay.py translates through ``_tr(text)``, which lupdate does not
    read: each literal it passes is marked in console/translation_marks.py."""
    marked = set()
    for node in ast.walk(ast.parse((ROOT / "console" / "translation_marks.py").read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "QT_TRANSLATE_NOOP":
            marked.add(node.args[1].value)  # type: ignore[attr-defined]
    given = set()
    for path in (ROOT / "console" / "snapshot").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "_tr":
                argument = node.args[0]
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                    given.add(argument.value)
    assert given, "replay.py's texts were found"
    assert given <= marked, given - marked


def english_with_translation() -> set[str]:
    """The English texts (whole, without placeholders) that have a different zh_CN text."""
    out = set()
    for _, source, text, _ in messages(ZH_TS):
        if text and text != source and "{" not in source:
            out.add(source.replace("&", "").strip())
    return out


def visible_texts(window: QWidget) -> list[str]:
    """What the user reads on the window as shown: labels, buttons, group and tab titles,
    placeholders, combo items, list items, table and tree headers, menus."""
    texts: list[str] = []
    for widget in window.findChildren(QWidget):
        if not widget.isVisibleTo(window):
            continue
        if isinstance(widget, QLabel):
            texts.append(re.sub(r"<[^>]+>", "", widget.text()))
        elif isinstance(widget, QAbstractButton):
            texts.append(widget.text())
        elif isinstance(widget, QGroupBox):
            texts.append(widget.title())
        elif isinstance(widget, QLineEdit):
            texts.append(widget.placeholderText())
        elif isinstance(widget, QComboBox):
            texts += [widget.itemText(i) for i in range(widget.count())]
        elif isinstance(widget, QTabWidget):
            texts += [widget.tabText(i) for i in range(widget.count())]
        if isinstance(widget, QListWidget):
            texts += [widget.item(i).text() for i in range(widget.count())]
        if isinstance(widget, QTableView | QTreeView) and widget.model() is not None:
            header = (
                widget.horizontalHeader() if isinstance(widget, QTableView) else widget.header()
            )
            texts += [str(widget.model().headerData(c, Qt.Orientation.Horizontal) or "")
                      for c in range(header.count()) if not header.isSectionHidden(c)]  # fmt: skip
    for menu in window.findChildren(QMenu):
        texts.append(menu.title())
        texts += [action.text() for action in menu.actions()]
    return [t.replace("&", "").strip() for t in texts if t and t.strip()]


NAMES = {"#", "Worker", "Celery"}  # headers that read the same in Chinese


def table_headers(window: QWidget) -> list[str]:
    """The headers of the visible tables of the console's own models (not a table of
    names read from a server), each of which has a translation."""
    out = []
    for view in window.findChildren(QTableView):
        model = view.model()
        source = model.sourceModel() if isinstance(model, QSortFilterProxyModel) else model
        if view.isVisibleTo(window) and isinstance(source, KeyedTableModel):
            out += [str(source.headerData(c, Qt.Orientation.Horizontal))
                    for c in range(source.columnCount())]  # fmt: skip
    return out


@pytest.fixture
def chinese(qapp: QApplication) -> Iterator[None]:
    assert language.install("zh_CN", qapp), "make translations compiles the .qm files"
    yield
    language.uninstall(qapp)


@pytest.fixture
def console_zh(
    chinese: None, qtbot: QtBot, loop: asyncio.AbstractEventLoop, endpoints: Endpoints
) -> Iterator[Console]:
    built = open_console(qtbot, endpoints)
    yield built
    run_coro(qtbot, built.aclose())


@pytest.mark.integration
def test_every_page_in_chinese_shows_no_english_that_has_a_translation(
    console_zh: Console, qtbot: QtBot
) -> None:
    window = console_zh.window
    assert list(window.page_keys()) == list(PAGES)
    english = english_with_translation()
    left: dict[str, list[str]] = {}
    seen = 0
    for key in PAGES:
        window.show_page(key)
        qtbot.wait(300)  # the page lays out and fills what it has read
        texts = visible_texts(window)
        seen += len(texts)
        if english & set(texts):
            left[key] = sorted(english & set(texts))
        headers = [h for h in table_headers(window) if not CJK.search(h) and h not in NAMES]
        if headers:
            left[key] = left.get(key, []) + headers
    assert seen > 300, seen  # the walk read the pages
    assert left == {}, f"English left where a translation exists: {left}"
    sidebar = [window.sidebar.item(i).text() for i in range(window.sidebar.count())]
    assert sidebar[:3] == ["概览", "队列", "Worker"]
    assert all(CJK.search(title) or title == "Worker" for title in sidebar), sidebar
    menus = [action.text() for action in window.menuBar().actions()]
    assert menus == ["连接(&C)", "语言(&L)"]
    # Chinese has a font to be drawn with (no boxes): the fonts-noto-cjk family.
    assert QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese)


@pytest.mark.integration
def test_the_language_menu_keeps_the_choice_for_the_next_start(
    console_zh: Console, qtbot: QtBot, tmp_path: Path
) -> None:
    from PySide6.QtCore import QSettings

    window = console_zh.window
    window.settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    assert language.setting(window.settings) == "system"
    window.language_actions["en"].trigger()
    assert language.setting(window.settings) == "en"
    assert window.language_actions["en"].isChecked()
    assert "重启" in window.statusBar().currentMessage()  # "restart to apply", in Chinese
    assert language.resolve(None, window.settings) == "en"
    assert language.resolve("zh_CN", window.settings) == "zh_CN"  # --language wins


def test_durations_and_numbers_follow_the_language(chinese: None) -> None:
    from console.models.format import duration, number
    from console.reports.formatting import format_duration

    assert duration(3725) == "1小时2分"
    assert format_duration(185) == "3分05秒"
    assert number(1234567) == "1,234,567"
    language.install("en")
    assert duration(3725) == "1 h 2 min"
    assert format_duration(185) == "3 min 05 s"


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_a_report_made_in_chinese_has_chinese_headings(
    qapp: QApplication, tmp_path: Path, lang: str
) -> None:
    snapshot = Snapshot(environment="small", taken_at=1_790_000_000.0, window_s=3600.0,
                        sources={"backend": "http://127.0.0.1:1"})  # fmt: skip
    write_snapshot(snapshot, tmp_path / "small.tdsnap")
    out = tmp_path / "report.html"
    try:
        code = report_cli.main(["--snapshot", str(tmp_path / "small.tdsnap"), "--window", "1h",
                                "--format", "html", "--out", str(out), "--partial",
                                "--language", lang])  # fmt: skip
    finally:
        clock.thaw()
    assert code == 0
    page = out.read_text(encoding="utf-8")
    headings = re.findall(r"<h[12][^>]*>(.*?)</h[12]>", page, re.S)
    assert headings
    if lang == "zh_CN":
        assert "TaskDeck 报告：small" in page
        for title in ("摘要", "趋势", "失败", "审计日志"):
            assert any(title in h for h in headings), (title, headings)
        assert '<html lang="zh' in page
    else:
        assert any("Audit log" in h for h in headings), headings
        assert not CJK.search(page)
    # The report leaves the application as it found it: English, the system's locale.
    assert QCoreApplication.translate("MainWindow", "&Connection") == "&Connection"


def test_an_actions_outcomes_read_in_chinese_wherever_they_are_shown(chinese: None) -> None:
    """The Audit page's outcome of a bulk job, the jobs panel and the Queues page's results
    name each outcome through one table of words."""
    from console.models.audit_table_model import outcome_text
    from taskdeck_core.api_types import AuditEntry

    entry = AuditEntry(
        id=1, at=0.0, user="admin", role="admin", action="bulk_retry", targets=["a", "b"],
        target_count=7, reason="r", request={}, status="ok",
        outcome={"done": 7, "total": 7, "outcomes": {"retried": 5, "not_retryable": 2}},
    )  # fmt: skip
    text = outcome_text(entry)
    assert "已重试" in text and "不可重试" in text
    assert "retried" not in text and "retryable" not in text
