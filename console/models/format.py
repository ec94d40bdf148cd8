"""Locale-aware formatting of numbers, durations and times for the tables."""

from __future__ import annotations

import datetime

from PySide6.QtCore import QCoreApplication, QDate, QDateTime, QLocale, QTime

from console.domain.clock import now as clock_now
from console.domain.translation import Message


def number(value: float | int | None, decimals: int = 0) -> str:
    if value is None:
        return "—"
    locale = QLocale()
    return locale.toString(float(value), "f", decimals) if decimals else locale.toString(int(value))


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = max(0.0, seconds)
    if seconds < 60:
        return QCoreApplication.translate("Format", "{seconds} s").format(
            seconds=number(seconds, 1)
        )
    if seconds < 3600:
        return QCoreApplication.translate("Format", "{minutes} min {seconds} s").format(
            minutes=int(seconds // 60), seconds=int(seconds % 60)
        )
    if seconds < 86400:
        return QCoreApplication.translate("Format", "{hours} h {minutes} min").format(
            hours=int(seconds // 3600), minutes=int(seconds % 3600 // 60)
        )
    return QCoreApplication.translate("Format", "{days} d {hours} h").format(
        days=int(seconds // 86400), hours=int(seconds % 86400 // 3600)
    )


def clock(epoch: float | None) -> str:
    if epoch is None:
        return "—"
    moment = datetime.datetime.fromtimestamp(epoch)
    return QLocale().toString(QTime(moment.hour, moment.minute, moment.second), "HH:mm:ss")


def moment(epoch: float | None, now: float | None = None) -> str:
    """A local time to the second, with its date unless it is today (``now``'s day)."""
    if epoch is None:
        return "—"
    at = datetime.datetime.fromtimestamp(epoch)
    today = datetime.datetime.fromtimestamp(now if now is not None else clock_now()).date()
    if at.date() == today:
        return clock(epoch)
    return QLocale().toString(
        QDateTime(QDate(at.year, at.month, at.day), QTime(at.hour, at.minute, at.second)),
        "yyyy-MM-dd HH:mm:ss",
    )


def percent(value: float | None) -> str:
    return "—" if value is None else f"{number(value * 100, 1)} %"


def write_problem(exc: Exception) -> str:
    """Why a file was not written (a ReportWriteError's message), in the user's language."""
    return translated(exc.args[0]) if exc.args and isinstance(exc.args[0], str) else str(exc)


def translated(text: str) -> str:
    """``text`` in the user's language when it is a translatable Message, else as is."""
    if isinstance(text, Message):
        return text.translated(lambda context, source: QCoreApplication.translate(context, source))
    return text
