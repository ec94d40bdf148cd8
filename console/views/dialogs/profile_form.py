"""The form of one connection profile: its name, four addresses, two secrets, colour and kind,
and (under Advanced) the watched system's transport, when its owners' settings are to be used
rather than learned from the broker."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QColorDialog,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from console.domain.profiles import (
    DEFAULT_COLOUR,
    PRODUCTION_COLOUR,
    Profile,
    split_broker_password,
    transport_text,
)


def colour_icon(colour: str, size: int = 14) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(colour))
    return QIcon(pixmap)


@dataclass(frozen=True)
class FormValues:
    """What the form holds, as typed (a password typed into the URL counts as the password)."""

    name: str
    broker_url: str
    backend_url: str
    prometheus_url: str
    alertmanager_url: str
    colour: str
    production: bool
    notifications: bool  # desktop notifications of critical alerts
    password: str
    token: str
    transport_sep: str  # as typed, with escapes ("\\x06\\x16")
    priority_steps: str  # as typed ("0,3,6,9")
    queues: str  # as typed ("erp_sync, celery")
    backend_ca_file: str = ""  # the PEM file that signs the backend's certificate


class ProfileForm(QWidget):
    """Shows one profile and its secrets; ``edited`` when the user changes anything."""

    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._filling = False
        self._colour = DEFAULT_COLOUR
        self._colour_dialog: QColorDialog | None = None
        self.name_edit = QLineEdit()
        self.broker_url_edit = QLineEdit()
        self.broker_url_edit.setPlaceholderText("redis://host:6379/0")
        self.broker_password_edit = QLineEdit()
        self.backend_url_edit = QLineEdit()
        self.backend_url_edit.setPlaceholderText("https://taskdeck.example:8400")
        self.backend_token_edit = QLineEdit()
        self.backend_ca_edit = QLineEdit()
        self.backend_ca_edit.setPlaceholderText(self.tr("usual authorities; or a PEM file"))
        self.backend_ca_edit.setToolTip(
            self.tr(
                "The certificates (a PEM file) that sign the backend's HTTPS certificate, when "
                "it is not signed by an authority this computer trusts: a proxy's own CA or a "
                "self-signed certificate"
            )
        )
        self.prometheus_url_edit = QLineEdit()
        self.prometheus_url_edit.setPlaceholderText("http://prometheus:9090")
        self.alertmanager_url_edit = QLineEdit()
        self.alertmanager_url_edit.setPlaceholderText("http://alertmanager:9093")
        for secret in self._secret_edits():
            secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.colour_button = QPushButton()
        self.production_check = QCheckBox(self.tr("Production: show a warning colour"))
        self.notifications_check = QCheckBox(self.tr("Desktop notifications of critical alerts"))
        self.notifications_check.setChecked(True)
        form = QFormLayout(self)
        form.addRow(self.tr("Name"), self.name_edit)
        form.addRow(self.tr("Broker URL"), self.broker_url_edit)
        form.addRow(self.tr("Broker password"), self.broker_password_edit)
        form.addRow(self.tr("Backend URL"), self.backend_url_edit)
        form.addRow(self.tr("Backend token"), self.backend_token_edit)
        form.addRow(self.tr("Backend CA file"), self.backend_ca_edit)
        form.addRow(self.tr("Prometheus URL"), self.prometheus_url_edit)
        form.addRow(self.tr("Alertmanager URL"), self.alertmanager_url_edit)
        form.addRow(self.tr("Colour"), self.colour_button)
        form.addRow("", self.production_check)
        form.addRow("", self.notifications_check)
        form.addRow(self._advanced())
        for edit in self._text_edits():
            edit.textChanged.connect(self._changed)
        self.broker_url_edit.editingFinished.connect(self.move_password_out_of_url)
        self.production_check.toggled.connect(self._production_toggled)
        self.notifications_check.toggled.connect(lambda _on: self._changed())
        self.colour_button.clicked.connect(self._choose_colour)
        self.set_secrets_ready(True)

    def _advanced(self) -> QGroupBox:
        """The watched system's transport: empty fields are learned from the broker."""
        box = QGroupBox(self.tr("Advanced: the watched system's transport"))
        note = QLabel(
            self.tr(
                "Leave these empty to learn them from the broker. Set them as in the "
                "system's Celery broker_transport_options when they cannot be learned."
            )
        )
        note.setWordWrap(True)
        self.sep_edit = QLineEdit()
        self.sep_edit.setPlaceholderText(self.tr("learned; kombu's default is \\x06\\x16"))
        self.steps_edit = QLineEdit()
        self.steps_edit.setPlaceholderText(self.tr("learned; kombu's default is 0,3,6,9"))
        self.queues_edit = QLineEdit()
        self.queues_edit.setPlaceholderText(self.tr("only the queues bound in the broker"))
        form = QFormLayout(box)
        form.addRow(note)
        form.addRow(self.tr("Separator"), self.sep_edit)
        form.addRow(self.tr("Priority steps"), self.steps_edit)
        form.addRow(self.tr("Extra queues"), self.queues_edit)
        return box

    def _secret_edits(self) -> tuple[QLineEdit, QLineEdit]:
        return self.broker_password_edit, self.backend_token_edit

    def _text_edits(self) -> tuple[QLineEdit, ...]:
        return (
            self.name_edit,
            self.broker_url_edit,
            self.broker_password_edit,
            self.backend_url_edit,
            self.backend_token_edit,
            self.backend_ca_edit,
            self.prometheus_url_edit,
            self.alertmanager_url_edit,
            self.sep_edit,
            self.steps_edit,
            self.queues_edit,
        )

    def show_profile(self, profile: Profile | None, password: str = "", token: str = "") -> None:
        """Fill the form (empty for ``None``) without reporting it as an edit."""
        self._filling = True
        try:
            if profile is None:
                for edit in self._text_edits():
                    edit.clear()
                self.production_check.setChecked(False)
                self.notifications_check.setChecked(True)
                self._show_colour(DEFAULT_COLOUR)
            else:
                self.name_edit.setText(profile.name)
                self.broker_url_edit.setText(profile.broker_url)
                self.backend_url_edit.setText(profile.backend_url)
                self.prometheus_url_edit.setText(profile.prometheus_url)
                self.alertmanager_url_edit.setText(profile.alertmanager_url)
                self.backend_ca_edit.setText(profile.backend_ca_file)
                self.production_check.setChecked(profile.production)
                self.notifications_check.setChecked(profile.notifications)
                self._show_colour(profile.colour)
                sep, steps, queues = transport_text(profile)
                self.sep_edit.setText(sep)
                self.steps_edit.setText(steps)
                self.queues_edit.setText(queues)
                self.show_secrets(password, token)
        finally:
            self._filling = False

    def show_secrets(self, password: str, token: str) -> None:
        filling, self._filling = self._filling, True
        try:
            self.broker_password_edit.setText(password)
            self.backend_token_edit.setText(token)
        finally:
            self._filling = filling

    def set_secrets_ready(self, ready: bool) -> None:
        """While the keyring is being read, the secret fields wait (and say so)."""
        for edit in self._secret_edits():
            edit.setEnabled(ready)
            edit.setPlaceholderText(
                self.tr("none stored") if ready else self.tr("reading the keyring…")
            )

    def values(self) -> FormValues:
        broker_url, password = split_broker_password(self.broker_url_edit.text().strip())
        return FormValues(
            name=self.name_edit.text().strip(),
            broker_url=broker_url,
            backend_url=self.backend_url_edit.text().strip(),
            prometheus_url=self.prometheus_url_edit.text().strip(),
            alertmanager_url=self.alertmanager_url_edit.text().strip(),
            colour=self._colour,
            production=self.production_check.isChecked(),
            notifications=self.notifications_check.isChecked(),
            password=password if password is not None else self.broker_password_edit.text(),
            token=self.backend_token_edit.text().strip(),
            transport_sep=self.sep_edit.text(),
            priority_steps=self.steps_edit.text(),
            backend_ca_file=self.backend_ca_edit.text().strip(),
            queues=self.queues_edit.text(),
        )

    def move_password_out_of_url(self) -> None:
        """A pasted ``redis://:secret@host`` keeps its password in the password field only."""
        bare, password = split_broker_password(self.broker_url_edit.text().strip())
        if password is None:
            return
        self.broker_password_edit.setText(password)
        self.broker_url_edit.setText(bare)

    def _changed(self) -> None:
        if not self._filling:
            self.edited.emit()

    def _show_colour(self, colour: str) -> None:
        self._colour = colour
        self.colour_button.setText(colour)
        self.colour_button.setIcon(colour_icon(colour))

    def _production_toggled(self, checked: bool) -> None:
        if self._filling:
            return
        if checked and self._colour == DEFAULT_COLOUR:
            self._show_colour(PRODUCTION_COLOUR)
        elif not checked and self._colour == PRODUCTION_COLOUR:
            self._show_colour(DEFAULT_COLOUR)
        self.edited.emit()

    def _choose_colour(self) -> None:
        dialog = QColorDialog(QColor(self._colour), self)
        dialog.setWindowTitle(self.tr("Profile colour"))
        dialog.colorSelected.connect(self._colour_chosen)
        self._colour_dialog = dialog
        dialog.open()

    def _colour_chosen(self, colour: QColor) -> None:
        self._show_colour(colour.name())  # "#rrggbb"
        self.edited.emit()

    def close_colour_dialog(self) -> None:
        if self._colour_dialog is not None:
            self._colour_dialog.close()
