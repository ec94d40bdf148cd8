"""Connection profiles: create, edit, test and choose the environment the console shows.

The dialog edits copies ("drafts") of the profiles; nothing is written until OK.
Secrets go to the SecretStore, never into the profiles file.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from dataclasses import dataclass, replace

from PySide6.QtCore import QCoreApplication, QLocale, Qt, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QColorDialog,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.domain.profiles import (
    DEFAULT_COLOUR,
    PRODUCTION_COLOUR,
    Message,
    Profile,
    ProfileError,
    ProfileStore,
    name_key,
    split_broker_password,
)
from console.domain.service_status import Connection, ServiceKind
from console.models.services_table_model import STATE_COLOURS, service_label
from console.services.connection_check import CheckResult, check_profile
from console.services.secrets import (
    BACKEND_TOKEN,
    BROKER_PASSWORD,
    MemorySecrets,
    SecretStore,
    SecretsUnavailable,
)

log = logging.getLogger(__name__)

CHECK_TIMEOUT_S = 3.0
OkRole = Qt.ItemDataRole.UserRole + 1  # on a result line: True when the service answered


def translated(text: str) -> str:
    """``text`` in the user's language when it is a translatable Message, else as is."""
    if isinstance(text, Message):
        return text.translated(lambda context, source: QCoreApplication.translate(context, source))
    return text


def colour_icon(colour: str, size: int = 14) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(colour))
    return QIcon(pixmap)


@dataclass
class _Draft:
    """A profile being edited, with its secrets as typed (read from the store on first show)."""

    profile: Profile
    original: str | None  # its name in the store; None for a profile made in this dialog
    password: str = ""
    token: str = ""
    loaded_password: str = ""
    loaded_token: str = ""
    secrets_loaded: bool = False


class ProfileDialog(QDialog):
    """Profiles on the left, the selected one's form on the right; OK saves and switches."""

    profile_chosen = Signal(str)

    def __init__(
        self,
        store: ProfileStore,
        secrets: SecretStore,
        profiles: list[Profile],
        active: str | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Connection profiles"))
        self._store = store
        self._secrets = secrets
        self._drafts = [_Draft(p, p.name) for p in profiles]
        self._original_names = [p.name for p in profiles]
        self._active = active
        self._result_profiles = list(profiles)
        self._result_active = active
        self._loading = False
        self._test_task: asyncio.Task[None] | None = None
        self._colour_dialog: QColorDialog | None = None

        self.profile_list = QListWidget()
        self.profile_list.setMinimumWidth(200)
        self.new_button = QPushButton(self.tr("New"))
        self.duplicate_button = QPushButton(self.tr("Duplicate"))
        self.delete_button = QPushButton(self.tr("Delete"))
        list_buttons = QHBoxLayout()
        for button in (self.new_button, self.duplicate_button, self.delete_button):
            list_buttons.addWidget(button)
        left = QVBoxLayout()
        left.addWidget(self.profile_list, 1)
        left.addLayout(list_buttons)

        self.name_edit = QLineEdit()
        self.broker_url_edit = QLineEdit()
        self.broker_url_edit.setPlaceholderText("redis://host:6379/0")
        self.broker_password_edit = QLineEdit()
        self.backend_url_edit = QLineEdit()
        self.backend_url_edit.setPlaceholderText("https://taskdeck.example:8400")
        self.backend_token_edit = QLineEdit()
        self.prometheus_url_edit = QLineEdit()
        self.prometheus_url_edit.setPlaceholderText("http://prometheus:9090")
        self.alertmanager_url_edit = QLineEdit()
        self.alertmanager_url_edit.setPlaceholderText("http://alertmanager:9093")
        for secret in (self.broker_password_edit, self.backend_token_edit):
            secret.setEchoMode(QLineEdit.EchoMode.Password)
            secret.setPlaceholderText(self.tr("none stored"))
        self.colour_button = QPushButton()
        self.production_check = QCheckBox(self.tr("Production: show a warning colour"))
        form = QFormLayout()
        form.addRow(self.tr("Name"), self.name_edit)
        form.addRow(self.tr("Broker URL"), self.broker_url_edit)
        form.addRow(self.tr("Broker password"), self.broker_password_edit)
        form.addRow(self.tr("Backend URL"), self.backend_url_edit)
        form.addRow(self.tr("Backend token"), self.backend_token_edit)
        form.addRow(self.tr("Prometheus URL"), self.prometheus_url_edit)
        form.addRow(self.tr("Alertmanager URL"), self.alertmanager_url_edit)
        form.addRow(self.tr("Colour"), self.colour_button)
        form.addRow("", self.production_check)
        self.form = QWidget()
        self.form.setLayout(form)

        self.problems_label = QLabel()
        self.problems_label.setWordWrap(True)
        self.problems_label.setStyleSheet(f"color: {STATE_COLOURS[Connection.DOWN].name()}")
        self.problems_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.test_button = QPushButton(self.tr("Test connection"))
        self.results_list = QListWidget()
        self.results_list.setMaximumHeight(110)
        self.results_list.setVisible(False)
        self.session_note = QLabel(
            self.tr(
                "No system keyring is available: passwords and tokens are kept "
                "for this session only."
            )
        )
        self.session_note.setWordWrap(True)
        self.session_note.setVisible(not secrets.persistent)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(self.form)
        right.addWidget(self.problems_label)
        right.addLayout(test_row)
        right.addWidget(self.results_list)
        right.addStretch(1)
        right.addWidget(self.session_note)

        columns = QHBoxLayout()
        columns.addLayout(left)
        columns.addLayout(right, 1)
        self.button_box = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.button_box.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(self.tr("Save and use selected"))
        layout = QVBoxLayout(self)
        layout.addLayout(columns, 1)
        layout.addWidget(self.button_box)

        self.profile_list.currentRowChanged.connect(self._show_row)
        self.new_button.clicked.connect(self.new_profile)
        self.duplicate_button.clicked.connect(self.duplicate_profile)
        self.delete_button.clicked.connect(self.delete_profile)
        self.test_button.clicked.connect(self.test_connection)
        self.colour_button.clicked.connect(self._choose_colour)
        self.button_box.accepted.connect(self.accept)
        self.button_box.rejected.connect(self.reject)
        for edit in self._text_edits():
            edit.textChanged.connect(self._form_edited)
        self.broker_url_edit.editingFinished.connect(self._move_password_out_of_url)
        self.production_check.toggled.connect(self._production_toggled)

        for draft in self._drafts:
            self.profile_list.addItem(QListWidgetItem())
            self._update_item(self.profile_list.count() - 1, draft)
        names = [d.profile.name for d in self._drafts]
        self.profile_list.setCurrentRow(names.index(active) if active in names else 0)
        self._show_row(self.profile_list.currentRow())
        self.resize(820, 520)

    # --- results ---------------------------------------------------------------------------

    def result_profiles(self) -> list[Profile]:
        """The profiles as saved on OK (as given, if the dialog was cancelled)."""
        return list(self._result_profiles)

    def result_active(self) -> str | None:
        """The profile chosen on OK (the one given, if the dialog was cancelled)."""
        return self._result_active

    # --- list ------------------------------------------------------------------------------

    def _text_edits(self) -> tuple[QLineEdit, ...]:
        return (
            self.name_edit,
            self.broker_url_edit,
            self.broker_password_edit,
            self.backend_url_edit,
            self.backend_token_edit,
            self.prometheus_url_edit,
            self.alertmanager_url_edit,
        )

    def _current(self) -> _Draft | None:
        row = self.profile_list.currentRow()
        return self._drafts[row] if 0 <= row < len(self._drafts) else None

    def _update_item(self, row: int, draft: _Draft) -> None:
        item = self.profile_list.item(row)
        profile = draft.profile
        name = profile.name or self.tr("(no name)")
        if profile.production:
            item.setText(self.tr("{name} — production").format(name=name))
            item.setForeground(QColor(PRODUCTION_COLOUR))
        else:
            item.setText(name)
            item.setData(Qt.ItemDataRole.ForegroundRole, None)
        item.setIcon(colour_icon(profile.colour if profile.colour.startswith("#") else "#808080"))
        font = QFont(item.font())
        font.setBold(draft.original is not None and draft.original == self._active)
        item.setFont(font)
        if draft.original is not None and draft.original == self._active:
            item.setToolTip(self.tr("In use now"))

    def _unique_name(self, base: str) -> str:
        taken = {name_key(d.profile.name) for d in self._drafts}
        name, number = base, 2
        while name_key(name) in taken:
            name = f"{base} {number}"
            number += 1
        return name

    def _add_draft(self, draft: _Draft) -> None:
        self._drafts.append(draft)
        self.profile_list.addItem(QListWidgetItem())
        self._update_item(len(self._drafts) - 1, draft)
        self.profile_list.setCurrentRow(len(self._drafts) - 1)
        self.name_edit.setFocus()
        self.name_edit.selectAll()

    def new_profile(self) -> None:
        profile = Profile(
            name=self._unique_name(self.tr("New profile")),
            broker_url="redis://localhost:6379/0",
            backend_url="http://localhost:8400",
            prometheus_url="http://localhost:9090",
            alertmanager_url="http://localhost:9093",
        )
        self._add_draft(_Draft(profile, None, secrets_loaded=True))

    def duplicate_profile(self) -> None:
        source = self._current()
        if source is None:
            return
        self._load_secrets(source)
        name = self._unique_name(self.tr("{name} copy").format(name=source.profile.name))
        copy = _Draft(
            replace(source.profile, name=name),
            None,
            password=source.password,
            token=source.token,
            secrets_loaded=True,
        )
        self._add_draft(copy)

    def delete_profile(self) -> None:
        row = self.profile_list.currentRow()
        if not 0 <= row < len(self._drafts):
            return
        del self._drafts[row]
        self.profile_list.takeItem(row)
        self._show_row(self.profile_list.currentRow())

    # --- form ------------------------------------------------------------------------------

    def _load_secrets(self, draft: _Draft) -> None:
        """Read the draft's stored secrets once (the keyring is local; no network here)."""
        if draft.secrets_loaded or draft.original is None:
            draft.secrets_loaded = True
            return
        draft.secrets_loaded = True
        try:
            draft.password = self._secrets.get(draft.original, BROKER_PASSWORD) or ""
            draft.token = self._secrets.get(draft.original, BACKEND_TOKEN) or ""
        except SecretsUnavailable as exc:
            log.warning("secrets of profile %r not read: %s", draft.original, exc)
            self.session_note.setText(
                self.tr("The system keyring could not be read: {error}").format(error=exc)
            )
            self.session_note.setVisible(True)
        draft.loaded_password, draft.loaded_token = draft.password, draft.token

    def _show_row(self, row: int) -> None:
        draft = self._drafts[row] if 0 <= row < len(self._drafts) else None
        self.form.setEnabled(draft is not None)
        for button in (self.duplicate_button, self.delete_button):
            button.setEnabled(draft is not None)
        if self._test_task is None or self._test_task.done():
            self.test_button.setEnabled(draft is not None)
        self._loading = True
        try:
            if draft is None:
                for edit in self._text_edits():
                    edit.clear()
                self.production_check.setChecked(False)
                self._show_colour(DEFAULT_COLOUR)
            else:
                self._load_secrets(draft)
                profile = draft.profile
                self.name_edit.setText(profile.name)
                self.broker_url_edit.setText(profile.broker_url)
                self.broker_password_edit.setText(draft.password)
                self.backend_url_edit.setText(profile.backend_url)
                self.backend_token_edit.setText(draft.token)
                self.prometheus_url_edit.setText(profile.prometheus_url)
                self.alertmanager_url_edit.setText(profile.alertmanager_url)
                self.production_check.setChecked(profile.production)
                self._show_colour(profile.colour)
        finally:
            self._loading = False
        self._show_problems()

    def _show_colour(self, colour: str) -> None:
        self.colour_button.setText(colour)
        self.colour_button.setIcon(colour_icon(colour))

    def _edit_current(self, **changes: object) -> None:
        row = self.profile_list.currentRow()
        draft = self._current()
        if draft is None:
            return
        draft.profile = replace(draft.profile, **changes)  # type: ignore[arg-type]
        self._update_item(row, draft)
        self._show_problems()

    def _form_edited(self) -> None:
        if self._loading:
            return
        draft = self._current()
        if draft is None:
            return
        # A password typed into the URL counts as the password (the field gets it on leaving).
        broker_url, password = split_broker_password(self.broker_url_edit.text().strip())
        draft.password = password if password is not None else self.broker_password_edit.text()
        draft.token = self.backend_token_edit.text().strip()
        self._edit_current(
            name=self.name_edit.text().strip(),
            broker_url=broker_url,
            backend_url=self.backend_url_edit.text().strip(),
            prometheus_url=self.prometheus_url_edit.text().strip(),
            alertmanager_url=self.alertmanager_url_edit.text().strip(),
        )

    def _move_password_out_of_url(self) -> None:
        """A pasted ``redis://:secret@host`` keeps its password in the password field only."""
        bare, password = split_broker_password(self.broker_url_edit.text().strip())
        if password is None:
            return
        self.broker_password_edit.setText(password)
        self.broker_url_edit.setText(bare)

    def _production_toggled(self, checked: bool) -> None:
        if self._loading:
            return
        draft = self._current()
        if draft is None:
            return
        colour = draft.profile.colour
        if checked and colour == DEFAULT_COLOUR:
            colour = PRODUCTION_COLOUR
        elif not checked and colour == PRODUCTION_COLOUR:
            colour = DEFAULT_COLOUR
        self._show_colour(colour)
        self._edit_current(production=checked, colour=colour)

    def _choose_colour(self) -> None:
        draft = self._current()
        if draft is None:
            return
        dialog = QColorDialog(QColor(draft.profile.colour), self)
        dialog.setWindowTitle(self.tr("Profile colour"))
        dialog.colorSelected.connect(self._colour_chosen)
        self._colour_dialog = dialog
        dialog.open()

    def _colour_chosen(self, colour: QColor) -> None:
        name = colour.name()  # "#rrggbb"
        self._show_colour(name)
        self._edit_current(colour=name)

    # --- validation ------------------------------------------------------------------------

    def problems(self) -> list[str]:
        """What stops OK (translated): the selected profile's problems first, then the others'."""
        current = self._current()
        found: list[str] = []
        if current is not None:
            found += [translated(p) for p in current.profile.validate()]
        for number, draft in enumerate(self._drafts, start=1):
            if draft is not current:
                name = draft.profile.name or str(number)
                found += [
                    self.tr("Profile “{name}”: {problem}").format(name=name, problem=translated(p))
                    for p in draft.profile.validate()
                ]
        counts = Counter(name_key(d.profile.name) for d in self._drafts)
        repeated = [d.profile.name for d in self._drafts if counts[name_key(d.profile.name)] > 1]
        if repeated and name_key(repeated[0]):
            found.append(
                self.tr("More than one profile is named “{name}”.").format(name=repeated[0])
            )
        return found

    def _show_problems(self) -> None:
        problems = self.problems()
        self.problems_label.setText("\n".join(f"• {p}" for p in problems))
        self.problems_label.setVisible(bool(problems))
        self.ok_button.setEnabled(not problems)

    # --- test connection -------------------------------------------------------------------

    def test_connection(self) -> None:
        """Check the selected profile, as typed, without blocking the window."""
        draft = self._current()
        if draft is None or (self._test_task is not None and not self._test_task.done()):
            return
        self._move_password_out_of_url()
        problems = draft.profile.validate()
        if problems:
            self._show_problems()
            return
        secrets = MemorySecrets()
        if draft.password:
            secrets.set(draft.profile.name, BROKER_PASSWORD, draft.password)
        if draft.token:
            secrets.set(draft.profile.name, BACKEND_TOKEN, draft.token)
        self.test_button.setEnabled(False)  # at once: a second click must not start another
        self._test_task = asyncio.ensure_future(self._run_test(draft.profile, secrets))
        self._test_task.add_done_callback(_log_failure)

    async def _run_test(self, profile: Profile, secrets: SecretStore) -> None:
        self.results_list.clear()
        self.results_list.setVisible(True)
        self.results_list.addItem(self.tr("Testing “{name}”…").format(name=profile.name))
        try:
            results = await check_profile(profile, secrets, CHECK_TIMEOUT_S)
            self.results_list.clear()
            for result in results:
                self.results_list.addItem(self._result_item(result))
        except Exception as exc:  # noqa: BLE001 - check_profile should not raise; say so if it does
            log.exception("connection test failed")
            self.results_list.clear()
            self.results_list.addItem(self.tr("The test could not run: {error}").format(error=exc))
        finally:
            self.test_button.setEnabled(self._current() is not None)

    def _result_item(self, result: CheckResult) -> QListWidgetItem:
        service = service_label(ServiceKind(result.service))
        detail = translated(result.detail)
        if result.ok and result.latency_ms is not None:
            latency = QLocale().toString(result.latency_ms, "f", 0)
            text = self.tr("✔ {service}: {detail} ({latency} ms)").format(
                service=service, detail=detail, latency=latency
            )
        elif result.ok:
            text = self.tr("✔ {service}: {detail}").format(service=service, detail=detail)
        else:
            text = self.tr("✖ {service}: {detail}").format(service=service, detail=detail)
        item = QListWidgetItem(text)
        colour = STATE_COLOURS[Connection.CONNECTED if result.ok else Connection.DOWN]
        item.setForeground(colour)
        item.setToolTip(result.target)
        item.setData(OkRole, result.ok)
        return item

    # --- OK / Cancel -----------------------------------------------------------------------

    def done(self, result: int) -> None:
        if self._test_task is not None and not self._test_task.done():
            self._test_task.cancel()
        if self._colour_dialog is not None:
            self._colour_dialog.close()
        super().done(result)

    def accept(self) -> None:
        """Save the profiles and secrets, then report the selected profile as chosen."""
        self._move_password_out_of_url()
        problems = self.problems()
        if problems:
            self._show_problems()
            return
        current = self._current()
        profiles = [d.profile for d in self._drafts]
        active = current.profile.name if current is not None else None
        try:
            self._store_secrets()
            self._store.save(profiles, active)
        except (ProfileError, SecretsUnavailable, OSError) as exc:
            self.problems_label.setText(
                self.tr("The profiles were not saved: {error}").format(error=exc)
            )
            self.problems_label.setVisible(True)
            return
        self._delete_stale_secrets()
        self._result_profiles, self._result_active = profiles, active
        super().accept()
        if active is not None:
            self.profile_chosen.emit(active)

    def _store_secrets(self) -> None:
        for draft in self._drafts:
            if not draft.secrets_loaded:
                continue  # never shown, so neither renamed nor edited
            name = draft.profile.name
            renamed = draft.original is not None and draft.original != name
            if (
                renamed
                and draft.original is not None
                and name_key(draft.original) == name_key(name)
            ):
                for kind in (BROKER_PASSWORD, BACKEND_TOKEN):  # only the case changed
                    self._secrets.delete(draft.original, kind)
            for kind, value, loaded in (
                (BROKER_PASSWORD, draft.password, draft.loaded_password),
                (BACKEND_TOKEN, draft.token, draft.loaded_token),
            ):
                if draft.original is not None and value == loaded and not renamed:
                    continue  # unchanged
                if value:
                    self._secrets.set(name, kind, value)
                else:
                    self._secrets.delete(name, kind)  # nothing left behind under this name

    def _delete_stale_secrets(self) -> None:
        """Forget the secrets of deleted and renamed profiles (after the file is saved)."""
        kept = {name_key(d.profile.name) for d in self._drafts}
        for name in self._original_names:
            if name_key(name) in kept:
                continue
            for kind in (BROKER_PASSWORD, BACKEND_TOKEN):
                try:
                    self._secrets.delete(name, kind)
                except SecretsUnavailable as exc:
                    log.warning("secret %s of deleted profile %r kept: %s", kind, name, exc)


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("connection test failed", exc_info=task.exception())
