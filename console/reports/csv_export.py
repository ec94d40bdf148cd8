"""Export a table (filtered and sorted as the user sees it) to CSV, as values.

Numbers are written as numbers ("101.25", not "1 min 41 s"), times in ISO 8601
with their zone, unknown values as empty cells, each under a header that names
its unit. The file is UTF-8 with a byte order mark, so spreadsheets read any
script in it. A model without the value role is written as its display text.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractItemModel, Qt

from console.models.keyed_table_model import ValueRole


def cell(value: Any) -> str:
    """One value as CSV text: numbers round-trip, times are ISO 8601 with their zone."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if value == value else ""  # NaN: unknown
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.astimezone()).isoformat()
    return str(value)


def export_csv(model: QAbstractItemModel, path: Path) -> int:
    """Write ``model``'s headers and rows to ``path``; returns the rows written."""
    columns = range(model.columnCount())
    headers: list[str] = []
    for c in columns:
        names = model.headerData(c, Qt.Orientation.Horizontal, ValueRole)
        if names is None:
            names = [model.headerData(c, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole)]
        headers.extend(str(name) for name in names)
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        for row in range(model.rowCount()):
            values: list[str] = []
            for c in columns:
                index = model.index(row, c)
                found = index.data(ValueRole)
                if found is None:
                    found = [index.data(Qt.ItemDataRole.DisplayRole)]
                values.extend(cell(v) for v in found)
            writer.writerow(values)
    return model.rowCount()
