"""Export a table as the user sees it (filtered and sorted) to CSV."""

from __future__ import annotations

import csv
from pathlib import Path

from PySide6.QtCore import QAbstractItemModel, Qt


def export_csv(model: QAbstractItemModel, path: Path) -> int:
    """Write ``model``'s header and rows (display text) to ``path``; returns the rows written."""
    columns = model.columnCount()
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                str(model.headerData(c, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole))
                for c in range(columns)
            ]
        )
        for row in range(model.rowCount()):
            writer.writerow(
                [
                    str(model.index(row, c).data(Qt.ItemDataRole.DisplayRole) or "")
                    for c in range(columns)
                ]
            )
    return model.rowCount()
