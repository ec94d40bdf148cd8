"""Connection profiles: create, edit, test and choose the environment the console shows.

The dialog edits copies ("drafts") of the profiles; nothing is written until OK.
Secrets go to the SecretStore, never into the profiles file. The keyring is
read and written on a worker thread: the window never waits for it.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.domain.profiles import (
    PRODUCTION_COLOUR,
    Profile,
    ProfileError,
    ProfileStore,
    name_key,
    read_transport_input,
)
from console.domain.service_status import Connection
from console.models.format import translated
from console.models.services_table_model import STATE_COLOURS
from console.services.secrets import (
    SecretStore,
    SecretsUnavailable,
    in_thread,
    read_profile_secrets,
)
from console.tasks import TaskOwner
from console.views.dialogs.connection_test import ConnectionTest
from console.views.dialogs.profile_drafts import (
    Draft,
    delete_secrets,
    secret_writes,
    stale_names,
    unique_name,
)
from console.views.dialogs.profile_form import ProfileForm, colour_icon

log = logging.getLogger(__name__)


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
        self._tasks = TaskOwner()
        self._drafts = [Draft(p, p.name) for p in profiles]
        self._original_names = [p.name for p in profiles]
        self._active = active
        self._result_profiles = list(profiles)
        self._result_active = active
        self._input_problems: list[str] = []  # typed settings that do not read (not applied)

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

        self.form = ProfileForm()
        self.problems_label = QLabel()
        self.problems_label.setWordWrap(True)
        self.problems_label.setStyleSheet(f"color: {STATE_COLOURS[Connection.DOWN].name()}")
        self.problems_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.test = ConnectionTest()
        self.session_note = QLabel(
            self.tr(
                "No system keyring is available: passwords and tokens are kept "
                "for this session only."
            )
        )
        self.session_note.setWordWrap(True)
        self.session_note.setVisible(False)  # until the keyring has said whether it keeps them
        right = QVBoxLayout()
        right.addWidget(self.form)
        right.addWidget(self.problems_label)
        right.addWidget(self.test)
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
        self.test.button.clicked.connect(self.test_connection)
        self.button_box.accepted.connect(self.accept)
        self.button_box.rejected.connect(self.reject)
        self.form.edited.connect(self._form_edited)

        for draft in self._drafts:
            self.profile_list.addItem(QListWidgetItem())
            self._update_item(self.profile_list.count() - 1, draft)
        names = [d.profile.name for d in self._drafts]
        self.profile_list.setCurrentRow(names.index(active) if active in names else 0)
        self._show_row(self.profile_list.currentRow())
        self.resize(820, 640)
        self._tasks.run(self._check_keyring())

    # --- results ---------------------------------------------------------------------------

    def result_profiles(self) -> list[Profile]:
        """The profiles as saved on OK (as given, if the dialog was cancelled)."""
        return list(self._result_profiles)

    def result_active(self) -> str | None:
        """The profile chosen on OK (the one given, if the dialog was cancelled)."""
        return self._result_active

    # --- list ------------------------------------------------------------------------------

    def _current(self) -> Draft | None:
        row = self.profile_list.currentRow()
        return self._drafts[row] if 0 <= row < len(self._drafts) else None

    def _update_item(self, row: int, draft: Draft) -> None:
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

    def _add_draft(self, draft: Draft) -> None:
        self._drafts.append(draft)
        self.profile_list.addItem(QListWidgetItem())
        self._update_item(len(self._drafts) - 1, draft)
        self.profile_list.setCurrentRow(len(self._drafts) - 1)
        self.form.name_edit.setFocus()
        self.form.name_edit.selectAll()

    def new_profile(self) -> None:
        profile = Profile(
            name=unique_name(self.tr("New profile"), self._drafts),
            broker_url="redis://localhost:6379/0",
            backend_url="http://localhost:8400",
            prometheus_url="http://localhost:9090",
            alertmanager_url="http://localhost:9093",
        )
        self._add_draft(Draft(profile, None, secrets_loaded=True))

    def duplicate_profile(self) -> None:
        source = self._current()
        if source is None or not source.secrets_loaded:
            return
        name = unique_name(self.tr("{name} copy").format(name=source.profile.name), self._drafts)
        copy = Draft(replace(source.profile, name=name), None, password=source.password,
                      token=source.token, secrets_loaded=True)  # fmt: skip
        self._add_draft(copy)

    def delete_profile(self) -> None:
        row = self.profile_list.currentRow()
        if not 0 <= row < len(self._drafts):
            return
        del self._drafts[row]
        self.profile_list.takeItem(row)
        self._show_row(self.profile_list.currentRow())

    # --- the keyring, on a worker thread ---------------------------------------------------

    async def _check_keyring(self) -> None:
        persistent = await in_thread(lambda: self._secrets.persistent)
        if not persistent:
            self.session_note.setVisible(True)

    async def _read_secrets(self, draft: Draft) -> None:
        """Read the draft's stored secrets once, then show them if it is still selected."""
        try:
            found = await read_profile_secrets(self._secrets, draft.original or "")
        except SecretsUnavailable as exc:
            log.warning("secrets of profile %r not read: %s", draft.original, exc)
            self._keyring_trouble(self.tr("The system keyring could not be read: {error}"), exc)
        else:
            draft.password = found.broker_password or ""
            draft.token = found.backend_token or ""
        draft.loaded_password, draft.loaded_token = draft.password, draft.token
        draft.secrets_loaded, draft.reading = True, False
        if draft is self._current():
            self.form.show_secrets(draft.password, draft.token)
            self._show_secrets_state(draft)
        self._show_problems()

    def _keyring_trouble(self, template: str, exc: Exception) -> None:
        self.session_note.setText(template.format(error=exc))
        self.session_note.setVisible(True)

    def _show_secrets_state(self, draft: Draft | None) -> None:
        ready = draft is not None and draft.secrets_loaded
        self.form.set_secrets_ready(ready or draft is None)
        self.duplicate_button.setEnabled(ready)
        self.test.set_available(ready)

    # --- form ------------------------------------------------------------------------------

    def _show_row(self, row: int) -> None:
        draft = self._drafts[row] if 0 <= row < len(self._drafts) else None
        self._input_problems = []  # the form shows the profile's own settings again
        self.form.setEnabled(draft is not None)
        self.delete_button.setEnabled(draft is not None)
        if draft is None:
            self.form.show_profile(None)
        else:
            if not draft.secrets_loaded and not draft.reading:
                draft.reading = True
                self._tasks.run(self._read_secrets(draft))
            self.form.show_profile(draft.profile, draft.password, draft.token)
        self._show_secrets_state(draft)
        self._show_problems()

    def _form_edited(self) -> None:
        row = self.profile_list.currentRow()
        draft = self._current()
        if draft is None:
            return
        values = self.form.values()
        if draft.secrets_loaded:
            draft.password, draft.token = values.password, values.token
        # Transport settings that do not read leave the profile's as they were, and say why.
        transport = read_transport_input(values.transport_sep, values.priority_steps,
                                         values.queues)  # fmt: skip
        self._input_problems = transport.problems
        draft.profile = replace(
            draft.profile, name=values.name, broker_url=values.broker_url,
            backend_url=values.backend_url, prometheus_url=values.prometheus_url,
            alertmanager_url=values.alertmanager_url, colour=values.colour,
            production=values.production, notifications=values.notifications,
            backend_ca_file=values.backend_ca_file, **transport.values,
        )  # fmt: skip
        self._update_item(row, draft)
        self._show_problems()

    # --- validation ------------------------------------------------------------------------

    def problems(self) -> list[str]:
        """What stops OK (translated): the selected profile's problems first, then the others'."""
        current = self._current()
        found: list[str] = [translated(p) for p in self._input_problems]
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

    def _busy(self) -> bool:
        """The keyring is being read or written: OK waits."""
        return self._tasks.running("save") or any(d.reading for d in self._drafts)

    def _show_problems(self) -> None:
        problems = self.problems()
        self.problems_label.setText("\n".join(f"• {p}" for p in problems))
        self.problems_label.setVisible(bool(problems))
        self.ok_button.setEnabled(not problems and not self._busy())

    # --- test connection -------------------------------------------------------------------

    def test_connection(self) -> None:
        """Check the selected profile, as typed, without blocking the window."""
        draft = self._current()
        if draft is None or not draft.secrets_loaded:
            return
        self.form.move_password_out_of_url()
        if draft.profile.validate():
            self._show_problems()
            return
        self.test.start(draft.profile, draft.password, draft.token)

    # --- OK / Cancel -----------------------------------------------------------------------

    def done(self, result: int) -> None:
        self._tasks.close()
        self.test.close_tests()
        self.form.close_colour_dialog()
        super().done(result)

    def accept(self) -> None:
        """Save the profiles and secrets (off the window's thread), then report the selected
        profile as chosen."""
        self.form.move_password_out_of_url()
        problems = self.problems()
        if problems or self._busy():
            self._show_problems()
            return
        current = self._current()
        profiles = [d.profile for d in self._drafts]
        active = current.profile.name if current is not None else None
        self.ok_button.setEnabled(False)
        self._tasks.run(self._save(profiles, active), key="save")

    async def _save(self, profiles: list[Profile], active: str | None) -> None:
        writes = secret_writes(self._drafts, self._secrets)
        stale = stale_names(self._original_names, self._drafts)
        try:
            await in_thread(lambda: self._write(writes, profiles, active))
        except (ProfileError, SecretsUnavailable, OSError) as exc:
            self.problems_label.setText(
                self.tr("The profiles were not saved: {error}").format(error=exc)
            )
            self.problems_label.setVisible(True)
            self.ok_button.setEnabled(True)
            return
        await in_thread(lambda: delete_secrets(self._secrets, stale))
        self._result_profiles, self._result_active = profiles, active
        super().accept()
        if active is not None:
            self.profile_chosen.emit(active)

    def _write(
        self, writes: list[Callable[[], None]], profiles: list[Profile], active: str | None
    ) -> None:
        """On a worker thread: the secrets first, then the file."""
        for write in writes:
            write()
        self._store.save(profiles, active)
