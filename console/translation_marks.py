"""Texts translated by code whose calls lupdate cannot read (a helper that takes the text),
marked here so ``pyside6-lupdate`` extracts them with their context.

``tests/console/test_translations.py`` checks that every text such a helper is given is
listed here, so a new one is not left untranslated. Nothing imports this module.
"""

from __future__ import annotations

from console.domain.translation import QT_TRANSLATE_NOOP

# console/snapshot/replay.py: _tr(...) in the context "Snapshot".
SNAPSHOT = (
    QT_TRANSLATE_NOOP("Snapshot", "the broker's transport was not saved in this snapshot"),
    QT_TRANSLATE_NOOP("Snapshot", "{file} (saved from {url})"),
    QT_TRANSLATE_NOOP(
        "Snapshot",
        "{path} was not saved in this snapshot (taken {moment}); it holds what the pages "
        "showed then.",
    ),
    QT_TRANSLATE_NOOP("Snapshot", "the query {query} was not saved in this snapshot"),
    QT_TRANSLATE_NOOP("Snapshot", "not saved in this snapshot"),
    QT_TRANSLATE_NOOP("Snapshot", "Alertmanager's {path} was not saved in this snapshot"),
    QT_TRANSLATE_NOOP("Snapshot", "saved"),
    QT_TRANSLATE_NOOP("Snapshot", "from"),
    QT_TRANSLATE_NOOP(
        "Snapshot",
        "The snapshot's answer to {path} is not in a form this console reads; was it written "
        "by another version?",
    ),
    QT_TRANSLATE_NOOP("Snapshot", "as saved at {moment}"),
)
