"""In the dark palette, as in the light one, state shows: disabled looks disabled, the
chosen window button looks chosen."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from console.views.main_window import MainWindow
from console.views.overview_page import OverviewPage
from console.views.palette import apply_palette

SCHEMES = ("light", "dark")


@pytest.fixture
def scheme(request: pytest.FixtureRequest, qapp: QApplication) -> Iterator[str]:
    """The app in one palette for the test; the session's style and palette back after."""
    style, palette, sheet = qapp.style().name(), QPalette(qapp.palette()), qapp.styleSheet()
    apply_palette(qapp, request.param)
    yield request.param
    qapp.setStyle(style)
    qapp.setPalette(palette)
    qapp.setStyleSheet(sheet)


def brightest(image: QImage, rect: QRect) -> float:
    """The lightness of the lightest pixel in ``rect`` (text on a dark background)."""
    return max(
        QColor(image.pixel(x, y)).lightnessF()
        for x in range(rect.left(), rect.right(), 2)
        for y in range(rect.top(), rect.bottom(), 2)
    )


def darkest(image: QImage, rect: QRect) -> float:
    return min(
        QColor(image.pixel(x, y)).lightnessF()
        for x in range(rect.left(), rect.right(), 2)
        for y in range(rect.top(), rect.bottom(), 2)
    )


def text_contrast(image: QImage, rect: QRect) -> float:
    """How far the text stands out from its background, 0 ... 1."""
    return brightest(image, rect) - darkest(image, rect)


def background(widget: QWidget) -> QColor:
    """The colour most of the widget is painted in: the middle of its left third."""
    image = widget.grab().toImage()
    return QColor(image.pixel(6, image.height() // 2))


def distance(a: QColor, b: QColor) -> float:
    return max(abs(a.redF() - b.redF()), abs(a.greenF() - b.greenF()), abs(a.blueF() - b.blueF()))


@pytest.mark.parametrize("scheme", SCHEMES, indirect=True)
def test_a_page_of_a_later_version_looks_disabled_in_the_sidebar(qtbot: QtBot, scheme: str) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    window.add_page("overview", "Overview", QWidget())  # current: drawn highlighted
    window.add_page("queues", "Queues", QWidget())
    window.add_later_page("tasks", "Tasks")
    window.resize(900, 600)
    window.show()
    qtbot.waitExposed(window)
    sidebar = window.sidebar
    image = sidebar.viewport().grab().toImage()
    enabled = sidebar.visualItemRect(sidebar.item(1))
    disabled = sidebar.visualItemRect(sidebar.item(2))
    on, off = text_contrast(image, enabled), text_contrast(image, disabled)
    assert off < on * 0.6, f"{scheme}: disabled text contrast {off:.2f}, enabled {on:.2f}"


@pytest.mark.parametrize("scheme", SCHEMES, indirect=True)
def test_a_disabled_button_looks_disabled(qtbot: QtBot, scheme: str) -> None:
    buttons = []
    for enabled in (True, False):
        button = QPushButton("Cancel…")
        qtbot.addWidget(button)
        button.setEnabled(enabled)
        button.resize(120, 32)
        buttons.append(button.grab().toImage())
    inner = QRect(8, 6, 104, 20)
    on, off = text_contrast(buttons[0], inner), text_contrast(buttons[1], inner)
    assert off < on * 0.6, f"{scheme}: disabled text contrast {off:.2f}, enabled {on:.2f}"


@pytest.mark.parametrize("scheme", SCHEMES, indirect=True)
def test_the_chosen_window_button_stands_out(qtbot: QtBot, scheme: str) -> None:
    page = OverviewPage()
    qtbot.addWidget(page)
    page.resize(1366, 700)
    page.show()
    qtbot.waitExposed(page)
    buttons = page.window_buttons.buttons()
    chosen = [b for b in buttons if b.isChecked()]
    others = [b for b in buttons if not b.isChecked()]
    assert len(chosen) == 1 and others
    gap = distance(background(chosen[0]), background(others[0]))
    assert gap > 0.15, f"{scheme}: the chosen button differs from the others by {gap:.2f}"
