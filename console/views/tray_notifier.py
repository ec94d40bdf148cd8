"""Desktop notifications through the system tray, where there is one.

Every notification asked for is recorded (title, text, key), shown or not: where the
desktop has no system tray (a server session, offscreen tests) it is logged and not
shown. Clicking a shown notification reports its key (``clicked``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QStyle, QSystemTrayIcon

log = logging.getLogger(__name__)
SHOWN_MS = 15_000


@dataclass(frozen=True)
class Raised:
    title: str
    text: str
    key: str
    shown: bool  # False where no system tray exists


class TrayNotifier(QObject):
    clicked = Signal(str)  # the key of the notification clicked

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.raised: list[Raised] = []
        self._tray: QSystemTrayIcon | None = None
        self._last_key = ""

    @staticmethod
    def available() -> bool:
        return QSystemTrayIcon.isSystemTrayAvailable()

    def notify(self, title: str, text: str, key: str) -> None:
        shown = self.available()
        self.raised.append(Raised(title, text, key, shown))
        self._last_key = key
        if not shown:
            log.info("no system tray: notification not shown: %s: %s", title, text)
            return
        self._icon().showMessage(title, text, QSystemTrayIcon.MessageIcon.Critical, SHOWN_MS)

    def _icon(self) -> QSystemTrayIcon:
        if self._tray is None:
            icon = QApplication.windowIcon()
            if icon.isNull():
                style = QApplication.style()
                icon = style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
            self._tray = QSystemTrayIcon(QIcon(icon), self)
            self._tray.setToolTip("TaskDeck")
            self._tray.messageClicked.connect(self.activate_last)
            self._tray.show()
        return self._tray

    def activate_last(self) -> None:
        """The last notification was clicked (a tray reports no more than that)."""
        if self._last_key:
            self.clicked.emit(self._last_key)

    def keys(self) -> list[str]:
        return [r.key for r in self.raised]

    def close(self) -> None:
        if self._tray is not None:
            self._tray.hide()
