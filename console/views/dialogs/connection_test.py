"""'Test connection' in the profile dialog: one check of each service, shown as it comes back."""

from __future__ import annotations

import logging

from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.domain.profiles import Profile
from console.domain.service_status import Connection, ProbeResult
from console.models.format import translated
from console.models.services_table_model import STATE_COLOURS, service_label
from console.services.probes import check_profile
from console.services.secrets import BACKEND_TOKEN, BROKER_PASSWORD, MemorySecrets
from console.tasks import TaskOwner

log = logging.getLogger(__name__)
CHECK_TIMEOUT_S = 3.0
OkRole = Qt.ItemDataRole.UserRole + 1  # on a result line: True when the service answered


class ConnectionTest(QWidget):
    """A Test connection button and the results list below it; never blocks the window."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tasks = TaskOwner()
        self._may_run = True
        self.button = QPushButton(self.tr("Test connection"))
        self.results = QListWidget()
        self.results.setMaximumHeight(110)
        self.results.setVisible(False)
        row = QHBoxLayout()
        row.addWidget(self.button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.results)

    @property
    def running(self) -> bool:
        return self._tasks.running("test")

    def set_available(self, available: bool) -> None:
        """Whether there is a profile ready to test (the button waits for a test under way)."""
        self._may_run = available
        if not self.running:
            self.button.setEnabled(available)

    def start(self, profile: Profile, password: str, token: str) -> None:
        """Check ``profile`` with the secrets as typed (nothing is read from or saved to the
        keyring)."""
        if self.running:
            return
        secrets = MemorySecrets()
        if password:
            secrets.set(profile.name, BROKER_PASSWORD, password)
        if token:
            secrets.set(profile.name, BACKEND_TOKEN, token)
        self.button.setEnabled(False)  # at once: a second click must not start another
        self.results.clear()
        self.results.setVisible(True)
        self.results.addItem(self.tr("Testing “{name}”…").format(name=profile.name))
        self._tasks.run(self._run(profile, secrets), key="test")

    async def _run(self, profile: Profile, secrets: MemorySecrets) -> None:
        try:
            results = await check_profile(profile, secrets, CHECK_TIMEOUT_S)
        except Exception as exc:  # noqa: BLE001 - check_profile should not raise; say so if it does
            log.exception("connection test failed")
            self.results.clear()
            self.results.addItem(self.tr("The test could not run: {error}").format(error=exc))
        else:
            self.results.clear()
            for result in results:
                self.results.addItem(self._item(result))
        self.button.setEnabled(self._may_run)  # not when cancelled: the dialog is closing

    def _item(self, result: ProbeResult) -> QListWidgetItem:
        service = service_label(result.kind)
        detail = translated(result.summary if result.ok else result.error or "")
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
        item.setForeground(STATE_COLOURS[Connection.CONNECTED if result.ok else Connection.DOWN])
        item.setToolTip(result.target)
        item.setData(OkRole, result.ok)
        return item

    def close_tests(self) -> None:
        """Cancel a test under way (the dialog is closing)."""
        self._tasks.close()
