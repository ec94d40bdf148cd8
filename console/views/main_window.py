"""The main window: navigation sidebar, pages, an environment banner and a status bar
indicator per service."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from console import language
from console.domain.service_status import ServiceKind, ServiceStatus
from console.models.format import translated
from console.models.services_table_model import STATE_COLOURS, service_label, state_label
from console.snapshot.read_only import saved_moment
from console.views.colours import BAD, NEUTRAL, SNAPSHOT_BANNER


class MainWindow(QMainWindow):
    refresh_requested = Signal()
    export_requested = Signal(str)  # page key
    profiles_requested = Signal()
    snapshot_open_requested = Signal()
    snapshot_save_requested = Signal()

    def __init__(self, settings: QSettings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.sidebar = QListWidget()
        self.sidebar.setFixedWidth(180)
        self.sidebar.setObjectName("sidebar")
        self.setStyleSheet(
            "#sidebar { font-size: 11pt; border: none; }"
            "#sidebar::item { padding: 8px 12px; }"
            "QLabel#pageTitle { font-size: 16pt; font-weight: 600; }"
        )
        self.banner = QLabel()
        self.banner.setObjectName("banner")
        self.banner.setContentsMargins(10, 4, 10, 4)
        self.pages = QStackedWidget()
        body = QWidget()
        body_layout = QHBoxLayout(body)
        body_layout.setContentsMargins(0, 0, 0, 0)
        body_layout.addWidget(self.sidebar)
        body_layout.addWidget(self.pages, 1)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        layout.addWidget(body, 1)
        self.setCentralWidget(central)
        self.sidebar.currentRowChanged.connect(self.pages.setCurrentIndex)
        self.sidebar.currentRowChanged.connect(self._remember_page)
        # What stops the live data now (the broker, Celery's events), one sentence each, left
        # of the indicators until its source works again; a passing message covers it a while.
        self.problems = QLabel()
        self.problems.setObjectName("problems")
        self.statusBar().addWidget(self.problems, 1)
        self._problems: dict[str, tuple[str, str]] = {}  # source: sentence, detail
        self._indicators: dict[ServiceKind, QLabel] = {}
        for kind in ServiceKind:
            label = QLabel()
            label.setTextFormat(Qt.TextFormat.RichText)
            self._indicators[kind] = label
            self.statusBar().addPermanentWidget(label)
        self._page_names: list[str] = []
        self._later: set[str] = set()
        self._filters: dict[str, object] = {}
        self._shortcuts: dict[str, QShortcut] = {}
        menu = self.menuBar().addMenu(self.tr("&Connection"))
        profiles = QAction(self.tr("&Profiles…"), self)
        profiles.triggered.connect(self.profiles_requested.emit)
        menu.addAction(profiles)
        refresh = QAction(self.tr("&Refresh"), self)
        refresh.setShortcut(QKeySequence(Qt.Key.Key_F5))
        refresh.triggered.connect(self.refresh_requested.emit)
        menu.addAction(refresh)
        export = QAction(self.tr("&Export table…"), self)
        export.setShortcut(QKeySequence("Ctrl+E"))
        export.triggered.connect(lambda: self.export_requested.emit(self.current_page()))
        menu.addAction(export)
        menu.addSeparator()
        self.save_snapshot_action = QAction(self.tr("&Save snapshot…"), self)
        self.save_snapshot_action.setShortcut(QKeySequence("Ctrl+Shift+S"))
        self.save_snapshot_action.triggered.connect(self.snapshot_save_requested.emit)
        menu.addAction(self.save_snapshot_action)
        self.open_snapshot_action = QAction(self.tr("&Open snapshot…"), self)
        self.open_snapshot_action.setShortcut(QKeySequence("Ctrl+O"))
        self.open_snapshot_action.triggered.connect(self.snapshot_open_requested.emit)
        menu.addAction(self.open_snapshot_action)
        self._add_language_menu()
        find = QShortcut(QKeySequence("Ctrl+F"), self)
        find.activated.connect(self._focus_filter)
        self.set_environment("—", NEUTRAL, production=False)

    def _add_language_menu(self) -> None:
        """Language: follow the system (the default), English or Simplified Chinese; the
        choice is kept in the settings and applies at the next start."""
        self.language_menu = self.menuBar().addMenu(self.tr("&Language"))
        group = QActionGroup(self)
        group.setExclusive(True)
        current = language.setting(self._language_settings())
        system = language.NATIVE_NAMES[language.system_language()]
        labels = {
            language.SYSTEM: self.tr("Follow the system ({language})").format(language=system),
            **language.NATIVE_NAMES,  # each language named in itself
        }
        self.language_actions: dict[str, QAction] = {}
        for choice, label in labels.items():
            action = QAction(label, self)
            action.setCheckable(True)
            action.setChecked(choice == current)
            action.triggered.connect(lambda _checked=False, c=choice: self.choose_language(c))
            group.addAction(action)
            self.language_menu.addAction(action)
            self.language_actions[choice] = action

    def _language_settings(self) -> QSettings:
        return self.settings if self.settings is not None else QSettings()

    def choose_language(self, choice: str) -> None:
        """Keep ``choice`` for the next start and say so (the window stays as it is)."""
        language.remember(choice, self._language_settings())
        self.language_actions[choice].setChecked(True)
        self.show_message(
            self.tr("The language changes when TaskDeck is restarted: close it and open it again."),
            0,
        )

    # -- pages -------------------------------------------------------------------

    def add_page(self, key: str, title: str, page: QWidget, focus_filter: object = None) -> None:
        """A page, listed after the other available pages (above those of later versions),
        with the shortcut Ctrl+<its place> for the first nine."""
        at = len(self._page_names) - len(self._later)
        item = QListWidgetItem(title)
        self.sidebar.insertItem(at, item)
        self.pages.insertWidget(at, page)
        self._page_names.insert(at, key)
        if focus_filter is not None:
            self._filters[key] = focus_filter
        if at < 9:
            sequence = QKeySequence(f"Ctrl+{at + 1}")
            shortcut = QShortcut(sequence, self)
            shortcut.activated.connect(lambda key=key: self.show_page(key))
            self._shortcuts[key] = shortcut
            item.setToolTip(sequence.toString(QKeySequence.SequenceFormat.NativeText))
        if self.sidebar.currentRow() < 0:
            self.sidebar.setCurrentRow(0)

    def add_later_page(self, key: str, title: str) -> None:
        """A page of a later version: listed last, greyed out, not selectable, no shortcut."""
        item = QListWidgetItem(title)
        item.setFlags(Qt.ItemFlag.NoItemFlags)
        item.setToolTip(self.tr("Not available in this version yet"))
        self.sidebar.addItem(item)
        self.pages.addWidget(QWidget())  # keeps sidebar rows and pages aligned
        self._page_names.append(key)
        self._later.add(key)

    def shortcut_for(self, key: str) -> QKeySequence | None:
        """The key that shows page ``key``, if it has one."""
        shortcut = self._shortcuts.get(key)
        return shortcut.key() if shortcut is not None else None

    def page_keys(self) -> list[str]:
        """The pages that can be shown."""
        return [k for k in self._page_names if k not in self._later]

    def page_titles(self) -> list[tuple[str, str]]:
        """(key, title) of the pages that can be shown, in the sidebar's order."""
        return [(key, self.sidebar.item(row).text()) for row, key in enumerate(self._page_names)
                if key not in self._later]  # fmt: skip

    def show_page(self, key: str) -> None:
        if key in self._page_names and key not in self._later:
            self.sidebar.setCurrentRow(self._page_names.index(key))

    def current_page(self) -> str:
        row = self.sidebar.currentRow()
        return self._page_names[row] if 0 <= row < len(self._page_names) else ""

    def _focus_filter(self) -> None:
        focus = self._filters.get(self.current_page())
        if callable(focus):
            focus()

    # -- state -------------------------------------------------------------------

    def set_environment(self, name: str, colour: str, production: bool) -> None:
        """The profile in use, in the title and a banner; production stands out in red."""
        marker = self.tr(" — PRODUCTION") if production else ""
        self.setWindowTitle(self.tr("TaskDeck — {name}{marker}").format(name=name, marker=marker))
        background = BAD if production else colour
        self.banner.setText(f"{name}{marker}")
        self.banner.setToolTip("")
        self.banner.setStyleSheet(
            f"#banner {{ background: {background}; color: white; font-weight: 600; }}"
        )
        self.save_snapshot_action.setEnabled(True)

    def set_snapshot(self, name: str, taken_at: float, path: str) -> None:
        """A snapshot is shown: said in the title and a banner that cannot be mistaken for
        a live environment's."""
        moment = saved_moment(taken_at)
        self.setWindowTitle(
            self.tr("TaskDeck — {name} — SNAPSHOT of {moment} (read-only)").format(
                name=name, moment=moment
            )
        )
        self.banner.setText(
            self.tr(
                "SNAPSHOT of {name}, taken {moment} — read-only, nothing here is live; "
                "actions are disabled"
            ).format(name=name, moment=moment)  # fmt: skip
        )
        self.banner.setToolTip(path)
        self.banner.setStyleSheet(
            f"#banner {{ background: {SNAPSHOT_BANNER}; color: black; font-weight: 600; }}"
        )
        self.save_snapshot_action.setEnabled(False)

    def show_status(self, status: ServiceStatus) -> None:
        label = self._indicators[status.kind]
        saved = status.last_ok is not None and status.last_ok.saved
        colour = NEUTRAL if saved else STATE_COLOURS[status.connection].name()
        label.setText(
            f'<span style="color:{colour}">●</span> {service_label(status.kind)}: {state_label(status)}'
        )
        label.setToolTip(translated(status.last_error) if status.last_error else status.target)

    def show_message(self, text: str, timeout_ms: int = 8000) -> None:
        self.statusBar().showMessage(text, timeout_ms)

    def show_problem(self, source: str, text: str, detail: str) -> None:
        """``source`` does not work: ``text`` says so until :meth:`clear_problem`; ``detail``
        (the error itself) is its tooltip."""
        self._problems[source] = (text, detail)
        self._show_problems()

    def clear_problem(self, source: str) -> None:
        if self._problems.pop(source, None) is not None:
            self._show_problems()

    def clear_problems(self) -> None:
        self._problems.clear()
        self._show_problems()

    def _show_problems(self) -> None:
        problems = self._problems.values()
        self.problems.setText("  ·  ".join(text for text, _ in problems))
        self.problems.setToolTip("\n".join(detail for _, detail in problems))

    # -- geometry and last page across runs ------------------------------------------

    def restore_state(self) -> None:
        if self.settings is None:
            return
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        self.show_page(str(self.settings.value("window/page", "overview")))

    def _remember_page(self, _row: int) -> None:
        if self.settings is not None and self.current_page():
            self.settings.setValue("window/page", self.current_page())

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.settings is not None:
            self.settings.setValue("window/geometry", self.saveGeometry())
        super().closeEvent(event)
