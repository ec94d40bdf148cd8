"""The failure inbox: the backend's failure groups, newest first, each with its count, the
users it hit, when it was first and last seen, and a sparkline of its failures over
the window. A group with failures since the user last opened it is unread (bold, a dot).
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import (
    QListWidget,
    QListWidgetItem,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from console.domain.clock import now as clock_now
from console.models.format import number
from console.models.tasks_table_model import when
from console.views.colours import BAD, NEUTRAL
from taskdeck_core.api_types import FailureGroup

GroupRole = Qt.ItemDataRole.UserRole + 20
UnreadRole = Qt.ItemDataRole.UserRole + 21
ROW_HEIGHT = 68
SPARK_WIDTH = 84


def group_title(group: FailureGroup) -> str:
    """The group as people name it: the task (its last part), then the error."""
    task = (group.name or "?").rsplit(".", 1)[-1]
    return f"{task} · {group.exc_type or '?'}: {group.message}"


def short_time(epoch: float | None, now: float) -> str:
    """A time of today as HH:MM:SS, an older one with its date."""
    text = when(epoch)
    return text[11:] if epoch is not None and text[:10] == when(now)[:10] else text


class GroupDelegate(QStyledItemDelegate):
    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        return QSize(option.rect.width(), ROW_HEIGHT)

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:  # fmt: skip
        group = index.data(GroupRole)
        if not isinstance(group, FailureGroup):
            super().paint(painter, option, index)
            return
        unread = bool(index.data(UnreadRole))
        painter.save()
        style = option.widget.style() if option.widget else None
        if style is not None:
            style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter,
                                option.widget)  # fmt: skip
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette = option.palette
        text = palette.highlightedText().color() if selected else palette.text().color()
        dim = QColor(text)
        dim.setAlpha(170)
        r = option.rect.adjusted(8, 4, -8, -4)
        spark = QRect(r.right() - SPARK_WIDTH, r.top() + 20, SPARK_WIDTH, r.height() - 24)
        left = r.adjusted(14, 0, -SPARK_WIDTH - 8, 0)
        if unread:
            painter.setBrush(QColor(BAD))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawEllipse(QPointF(r.left() + 4, r.top() + 9), 4, 4)
        font = QFont(option.font)
        font.setBold(unread)
        painter.setFont(font)
        painter.setPen(text)
        metrics = painter.fontMetrics()
        error = f"{group.exc_type or '?'}: {group.message}"
        title = metrics.elidedText(error, Qt.TextElideMode.ElideRight, left.width())
        painter.drawText(left.left(), r.top() + metrics.ascent(), title)
        small = QFont(option.font)
        small.setPointSizeF(max(7.0, option.font.pointSizeF() * 0.9))
        painter.setFont(small)
        painter.setPen(dim)
        m2 = painter.fontMetrics()
        line2 = self.tr("{task} · {users} users").format(
            task=(group.name or "?").rsplit(".", 1)[-1], users=number(group.affected_users)
        )
        now = clock_now()
        line3 = self.tr("first {first} · last {last}").format(
            first=short_time(group.first_seen, now), last=short_time(group.last_seen, now)
        )
        y = r.top() + metrics.height() + m2.ascent() + 2
        painter.drawText(
            left.left(), y, m2.elidedText(line2, Qt.TextElideMode.ElideRight, left.width())
        )
        painter.drawText(left.left(), y + m2.height(),
                         m2.elidedText(line3, Qt.TextElideMode.ElideRight, left.width()))  # fmt: skip
        count_text = number(group.count)
        painter.setFont(font)
        painter.setPen(QColor(BAD))
        painter.drawText(QRect(r.right() - SPARK_WIDTH, r.top(), SPARK_WIDTH, 18),
                         int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop), count_text)  # fmt: skip
        self._sparkline(painter, spark, group.series)
        painter.restore()

    @staticmethod
    def _sparkline(painter: QPainter, rect: QRect, series: list[int]) -> None:
        if not series:
            return
        top = max(series) or 1
        step = rect.width() / max(len(series) - 1, 1)
        points = QPolygonF([
            QPointF(rect.left() + i * step, rect.bottom() - (v / top) * rect.height())
            for i, v in enumerate(series)
        ])  # fmt: skip
        painter.setPen(QPen(QColor(NEUTRAL), 1))
        painter.drawLine(rect.bottomLeft(), rect.bottomRight())
        pen = QPen(QColor(BAD), 1.6)
        painter.setPen(pen)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.drawPolyline(points)


class FailureInbox(QListWidget):
    group_selected = Signal(object)  # FailureGroup, or None when the choice is cleared

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setItemDelegate(GroupDelegate(self))
        self.setUniformItemSizes(True)
        self.setMouseTracking(True)
        self._read: dict[str, float] = {}  # signature -> last_seen when the user opened it
        self._quiet = False
        self._wanted: str | None = None  # the group the table shows, chosen once listed
        self.currentItemChanged.connect(self._changed)

    def set_read(self, read: dict[str, float]) -> None:
        self._read = dict(read)

    def read(self) -> dict[str, float]:
        return dict(self._read)

    def show_groups(self, groups: list[FailureGroup]) -> None:
        """The groups newest first; the chosen one stays chosen."""
        current = self.current_signature() or self._wanted
        self._quiet = True
        try:
            self.clear()
            for group in groups:
                item = QListWidgetItem()
                item.setData(GroupRole, group)
                item.setData(UnreadRole, self.unread(group))
                item.setToolTip(
                    f"{group_title(group)}\n{group.top_frame}\n"
                    + self.tr("users: {users}").format(users=", ".join(group.users[:10]))
                )
                item.setData(Qt.ItemDataRole.DisplayRole, group_title(group))
                self.addItem(item)
                if group.signature == current:
                    self.setCurrentItem(item)
        finally:
            self._quiet = False

    def unread(self, group: FailureGroup) -> bool:
        seen = self._read.get(group.signature)
        return seen is None or (group.last_seen or 0.0) > seen

    def current_signature(self) -> str | None:
        item = self.currentItem()
        group = item.data(GroupRole) if item is not None else None
        return group.signature if isinstance(group, FailureGroup) else None

    def select_signature(self, signature: str | None) -> None:
        """Choose the group (quietly: the table already shows it); one not listed yet is
        chosen when it is."""
        self._wanted = signature
        self._quiet = True
        try:
            self._select(signature)
        finally:
            self._quiet = False

    def _select(self, signature: str | None) -> None:
        for row in range(self.count()):
            group = self.item(row).data(GroupRole)
            if isinstance(group, FailureGroup) and group.signature == signature:
                self.setCurrentRow(row)
                return
        self.setCurrentRow(-1)

    def group_at(self, row: int) -> FailureGroup | None:
        item = self.item(row)
        group = item.data(GroupRole) if item is not None else None
        return group if isinstance(group, FailureGroup) else None

    def _changed(self, item: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if self._quiet:
            return
        group = item.data(GroupRole) if item is not None else None
        self._wanted = group.signature if isinstance(group, FailureGroup) else None
        if isinstance(group, FailureGroup):
            self._read[group.signature] = group.last_seen or 0.0
            item.setData(UnreadRole, False)  # type: ignore[union-attr]
            self.group_selected.emit(group)
        else:
            self.group_selected.emit(None)
