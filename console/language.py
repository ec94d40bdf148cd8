"""The console's language: English or Simplified Chinese, the system's by default.

The choice is ``--language``, else ``TASKDECK_LANGUAGE``, else the setting the window's
Language menu keeps (QSettings key ``language``), else the system's language. It is
installed once at start (a change in the menu applies at the next start): TaskDeck's own
translations (``assets/translations/taskdeck_<language>.qm``, compiled from the ``.ts``
sources by ``pyside6-lrelease``), Qt's for its standard buttons, and the locale numbers
and dates are written in.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QSettings, QTranslator

log = logging.getLogger("taskdeck.console")

ENGLISH, CHINESE = "en", "zh_CN"
LANGUAGES = (ENGLISH, CHINESE)
SYSTEM = "system"
CHOICES = (SYSTEM, *LANGUAGES)
SETTING = "language"
ENVIRONMENT = "TASKDECK_LANGUAGE"
TRANSLATIONS = Path(__file__).resolve().parent / "assets" / "translations"
# Each language named in itself, as a language menu lists them.
NATIVE_NAMES = {ENGLISH: "English", CHINESE: "简体中文"}

_installed: list[QTranslator] = []  # kept alive as long as the application


def system_language(locale: QLocale | None = None) -> str:
    """The system's language among those TaskDeck has: Chinese for any Chinese locale
    (Simplified Chinese is the one translated), else English."""
    locale = locale if locale is not None else QLocale.system()
    return CHINESE if locale.language() == QLocale.Language.Chinese else ENGLISH


def setting(settings: QSettings | None = None) -> str:
    """The choice the Language menu keeps: ``system``, ``en`` or ``zh_CN``."""
    value = str((settings if settings is not None else QSettings()).value(SETTING, SYSTEM))
    return value if value in CHOICES else SYSTEM


def remember(choice: str, settings: QSettings | None = None) -> None:
    if choice not in CHOICES:
        raise ValueError(f"a language is one of {', '.join(CHOICES)}, not {choice!r}")
    (settings if settings is not None else QSettings()).setValue(SETTING, choice)


def resolve(given: str | None = None, settings: QSettings | None = None) -> str:
    """The language to show: ``given`` (``--language``), else the environment's, else the
    setting, else the system's; ``system`` anywhere means the system's."""
    for choice in (given, os.environ.get(ENVIRONMENT), setting(settings)):
        if choice in LANGUAGES:
            return choice
        if choice == SYSTEM:
            return system_language()
        if choice:
            log.warning("language %r is not one of %s; looking further", choice, CHOICES)
    return system_language()


def qm_file(language: str) -> Path:
    return TRANSLATIONS / f"taskdeck_{language}.qm"


def install(language: str, app: QCoreApplication | None = None) -> bool:
    """Show the console in ``language`` from now on (strings translated from now; the
    window is built after). False when its compiled translations are missing (the text
    stays English; ``make setup`` compiles them)."""
    app = app if app is not None else QCoreApplication.instance()
    assert app is not None, "install a language once the application exists"
    uninstall(app)
    QLocale.setDefault(QLocale(language))
    if language == ENGLISH:
        return True  # the source text is English
    ours = QTranslator(app)
    found = ours.load(str(qm_file(language)))
    if found:
        app.installTranslator(ours)
        _installed.append(ours)
    else:
        log.warning("no translations for %s at %s; showing English", language, qm_file(language))
    qt = QTranslator(app)  # Qt's own words: standard buttons, file dialogs, context menus
    if qt.load(
        QLocale(language),
        "qtbase",
        "_",
        QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath),
    ):
        app.installTranslator(qt)
        _installed.append(qt)
    return found


def uninstall(app: QCoreApplication | None = None) -> None:
    """Back to the source text (English) and the system's locale."""
    app = app if app is not None else QCoreApplication.instance()
    if app is not None:
        for old in _installed:
            app.removeTranslator(old)
    _installed.clear()
    QLocale.setDefault(QLocale.system())
