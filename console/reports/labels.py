"""The words a written report adds around its content, translated like the console."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication


def tr(text: str) -> str:
    return QCoreApplication.translate("Report", text)


def environment() -> str:
    return tr("Environment")


def window() -> str:
    return tr("Window")


def generated_at() -> str:
    return tr("Generated at")


def source() -> str:
    return tr("Source")


def not_in_report() -> str:
    return tr("Not in this report:")


def not_in_section() -> str:
    return tr("Not in this section:")


def continued() -> str:
    return tr("(continued)")


def page_of(page: int, total: int) -> str:
    return tr("Page {page} of {total}").format(page=page, total=total)


def no_rows() -> str:
    return tr("None in this window.")


def no_samples() -> str:
    return tr("No samples in this window.")
