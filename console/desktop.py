"""The console as a desktop program: its icon, its identity on the Windows taskbar, and
forgetting its saved secrets when the uninstaller is asked to.

``ICON`` is drawn by ``installer/draw_icon.py`` (the same picture as the installer's
``.ico``). The taskbar identity (an AppUserModelID) makes Windows group the window under
TaskDeck's own icon and Start-menu entry rather than under the Python that runs it.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from console.domain.profiles import ProfileStore
from console.services.secrets import KINDS, SecretStore

log = logging.getLogger("taskdeck.console")

ICON = Path(__file__).resolve().parent / "assets" / "icons" / "taskdeck.png"
APP_USER_MODEL_ID = "TaskDeck.Console"  # the installer's shortcuts name the same one


def set_identity(app: object) -> None:
    """The window icon of every window of ``app`` (a QApplication) and, on Windows, the
    taskbar identity of this process."""
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    assert isinstance(app, QApplication)
    icon = QIcon(str(ICON))
    if icon.isNull():
        log.warning("the window icon %s cannot be read", ICON)
    app.setWindowIcon(icon)
    if sys.platform == "win32":
        import ctypes

        try:
            ctypes.windll.shell32.SetCurrentProcessExplicitAppUserModelID(APP_USER_MODEL_ID)
        except (AttributeError, OSError) as exc:  # an old or stripped-down Windows
            log.warning("taskbar identity not set: %s", exc)


def forget_secrets(store: ProfileStore, secrets: SecretStore) -> int:
    """Delete every profile's broker password and backend token from the keyring (what the
    uninstaller runs when asked to remove the user's data, before the profiles file goes);
    0, or 1 when some could not be deleted."""
    loaded = store.load()
    failed = 0
    for profile in loaded.profiles:
        for kind in KINDS:
            try:
                secrets.delete(profile.name, kind)
            except Exception as exc:  # noqa: BLE001 - the others are still deleted
                failed += 1
                log.warning("secret %s of profile %s not deleted: %s", kind, profile.name, exc)
    print(f"taskdeck: secrets of {len(loaded.profiles)} profiles deleted, {failed} failed")
    return 1 if failed else 0
