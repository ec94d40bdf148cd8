"""What happened to one task of an action, in words: the backend's outcome codes as the
Tasks page's jobs, the Queues page's results and the Audit page's outcomes name them."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from console.domain.translation import QT_TRANSLATE_NOOP

OUTCOMES = {
    "retried": QT_TRANSLATE_NOOP("Outcome", "retried"),
    "removed_from_queue": QT_TRANSLATE_NOOP("Outcome", "removed from queue"),
    "revoked": QT_TRANSLATE_NOOP("Outcome", "revoked"),
    "revoke_broadcast": QT_TRANSLATE_NOOP("Outcome", "revoke sent to the workers"),
    "terminated": QT_TRANSLATE_NOOP("Outcome", "terminated"),
    "moved": QT_TRANSLATE_NOOP("Outcome", "moved"),
    "already_finished": QT_TRANSLATE_NOOP("Outcome", "already finished"),
    "not_queued": QT_TRANSLATE_NOOP("Outcome", "not queued"),
    "not_found": QT_TRANSLATE_NOOP("Outcome", "not found"),
    "not_retryable": QT_TRANSLATE_NOOP("Outcome", "not retryable"),
    "pending": QT_TRANSLATE_NOOP("Outcome", "not done yet"),
    "error": QT_TRANSLATE_NOOP("Outcome", "failed"),
}


def outcome_label(code: str) -> str:
    """``code`` in words, translated; a code this console does not know, as it is spelled."""
    text = OUTCOMES.get(code)
    return QCoreApplication.translate("Outcome", text) if text else code.replace("_", " ")
