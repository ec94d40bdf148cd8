"""The words a written report adds around its content, translated like the console."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication


def environment() -> str:
    return QCoreApplication.translate("Report", "Environment")


def window() -> str:
    return QCoreApplication.translate("Report", "Window")


def generated_at() -> str:
    return QCoreApplication.translate("Report", "Generated at")


def source() -> str:
    return QCoreApplication.translate("Report", "Source")


def not_in_report() -> str:
    return QCoreApplication.translate("Report", "Not in this report:")


def not_in_section() -> str:
    return QCoreApplication.translate("Report", "Not in this section:")


def continued() -> str:
    return QCoreApplication.translate("Report", "(continued)")


def page_of(page: int, total: int) -> str:
    return QCoreApplication.translate("Report", "Page {page} of {total}").format(
        page=page, total=total
    )


def no_rows() -> str:
    return QCoreApplication.translate("Report", "None in this window.")


def no_samples() -> str:
    return QCoreApplication.translate("Report", "No samples in this window.")
