"""Rate limits: anomalies with their evidence, rejections over time, the latest rejections,
and the tiers (read-only).

An anomaly's evidence is drawn as the detector holds it: each list of counts per bucket is
a series over the buckets' times (the newest bucket is the one it was last seen in), each
number is a fact beside it, each list of names (the users one address acted as) is listed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import shiboken6
from PySide6.QtCore import QMetaObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QListWidget,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.controllers.ratelimits_controller import RateLimitsController
from console.domain.translation import QT_TRANSLATE_NOOP
from console.models.anomaly_evidence import (
    DEFAULT_BUCKET_S,
    anomaly_key,
    evidence_facts,
    evidence_lists,
    evidence_series,
    kind_text,
)
from console.models.format import clock, number, percent
from console.models.keyed_table_model import Column, KeyedTableModel
from console.views.colours import BAD
from console.views.plots.trend_plot import TrendPlot
from console.views.signals import disconnect_all
from console.views.widgets.filter_table import FilterTable
from console.views.widgets.page_title import page_title
from taskdeck_core.api_types import Anomaly, RateLimitConfig, RateLimitStats, Rejection


class AnomaliesTableModel(KeyedTableModel[Anomaly]):
    CONTEXT = "AnomaliesTableModel"
    COLUMNS: tuple[Column[Anomaly], ...] = (
        Column(
            QT_TRANSLATE_NOOP("AnomaliesTableModel", "Kind"),
            lambda a: kind_text(a.kind),
            tooltip=lambda a: a.kind,
        ),
        Column(QT_TRANSLATE_NOOP("AnomaliesTableModel", "Subject"), lambda a: a.subject),
        Column(
            QT_TRANSLATE_NOOP("AnomaliesTableModel", "Score"),
            lambda a: number(a.score, 2),
            lambda a: a.score,
            align_right=True,
        ),
        Column(
            QT_TRANSLATE_NOOP("AnomaliesTableModel", "First seen"),
            lambda a: clock(a.first_seen),
            lambda a: a.first_seen,
        ),
        Column(
            QT_TRANSLATE_NOOP("AnomaliesTableModel", "Last seen"),
            lambda a: clock(a.last_seen),
            lambda a: a.last_seen,
        ),
    )

    def __init__(self, parent: Any = None) -> None:
        super().__init__(lambda a: anomaly_key(a.kind, a.subject), parent)


class RejectionsTableModel(KeyedTableModel[tuple[str, Rejection]]):
    """The latest rejections, newest first; each row keyed by its time, key and endpoint
    (and how many alike came before it in the same millisecond)."""

    CONTEXT = "RejectionsTableModel"
    COLUMNS: tuple[Column[tuple[str, Rejection]], ...] = (
        Column(
            QT_TRANSLATE_NOOP("RejectionsTableModel", "Time"),
            lambda r: clock(r[1].ts),
            lambda r: r[1].ts,
        ),
        Column(QT_TRANSLATE_NOOP("RejectionsTableModel", "Key"), lambda r: r[1].key),
        Column(QT_TRANSLATE_NOOP("RejectionsTableModel", "Tier"), lambda r: r[1].tier),
        Column(QT_TRANSLATE_NOOP("RejectionsTableModel", "Endpoint"), lambda r: r[1].endpoint),
        Column(QT_TRANSLATE_NOOP("RejectionsTableModel", "Address"), lambda r: r[1].ip),
    )

    def __init__(self, parent: Any = None) -> None:
        super().__init__(lambda r: r[0], parent)

    def show(self, rejections: Sequence[Rejection]) -> None:
        seen: dict[str, int] = {}
        rows = []
        for r in rejections:
            base = f"{r.ts:.3f}|{r.key}|{r.endpoint}|{r.ip}"
            seen[base] = seen.get(base, 0) + 1
            rows.append((f"{base}|{seen[base]}", r))
        self.update_rows(rows)

    def rejections(self) -> list[Rejection]:
        return [r for _key, r in self.rows()]


class RateLimitsPage(QWidget):
    status = Signal(str)  # a message for the status bar (a failure to read)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller: RateLimitsController | None = None
        self._connections: list[QMetaObject.Connection] = []
        self.bucket_s = DEFAULT_BUCKET_S
        self.anomaly: Anomaly | None = None  # the one whose evidence is shown
        self._wanted: str | None = None  # asked for by select_anomaly before it was listed
        self.config: RateLimitConfig | None = None
        title = page_title(self.tr("Rate limits"))
        self.message = QLabel("")
        self.message.setObjectName("rateLimitsMessage")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"#rateLimitsMessage {{ color: {BAD}; font-weight: 600; }}")
        self.message.hide()

        self.anomalies_model = AnomaliesTableModel(self)
        self.anomalies = FilterTable(
            self.anomalies_model, self.tr("Filter anomalies"), stretch_column=1
        )
        self.anomalies.table.sortByColumn(2, Qt.SortOrder.DescendingOrder)
        self.anomalies.key_selected.connect(self._anomaly_chosen)
        self.evidence_heading = QLabel(self.tr("Select an anomaly to see its evidence."))
        self.evidence_heading.setWordWrap(True)
        self.evidence = TrendPlot(self.tr("Evidence, per bucket"))
        self.facts = QLabel("")
        self.facts.setWordWrap(True)
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.list_heading = QLabel("")
        self.evidence_list = QListWidget()
        self.list_heading.hide()
        self.evidence_list.hide()
        evidence = QWidget()
        ev_layout = QVBoxLayout(evidence)
        ev_layout.setContentsMargins(0, 0, 0, 0)
        ev_layout.addWidget(self.evidence_heading)
        ev_layout.addWidget(self.evidence, 1)
        ev_layout.addWidget(self.facts)
        ev_layout.addWidget(self.list_heading)
        ev_layout.addWidget(self.evidence_list)

        self.trend = TrendPlot(self.tr("Rejections per tier and endpoint (1 h)"),
                               unit=self.tr("rejections/min"))  # fmt: skip
        self.trend.set_window(3600.0)
        self.stats = QLabel("")
        self.stats.setWordWrap(True)
        trend = QWidget()
        trend_layout = QVBoxLayout(trend)
        trend_layout.setContentsMargins(0, 0, 0, 0)
        trend_layout.addWidget(self.trend, 1)
        trend_layout.addWidget(self.stats)

        self.rejections_model = RejectionsTableModel(self)
        self.rejections = FilterTable(
            self.rejections_model, self.tr("Filter the latest rejections"),
            stretch_column=1, select_first=False,
        )  # fmt: skip
        self.rejections.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.tiers_heading = QLabel(self.tr("Tiers"))
        self.tiers = QTableWidget(0, 0)
        self.tiers.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tiers.verticalHeader().setVisible(False)
        self.tiers.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.tiers.horizontalHeader().setStretchLastSection(True)
        tiers = QWidget()
        tiers_layout = QVBoxLayout(tiers)
        tiers_layout.setContentsMargins(0, 0, 0, 0)
        tiers_layout.addWidget(self.tiers_heading)
        tiers_layout.addWidget(self.tiers, 1)

        upper = QSplitter(Qt.Orientation.Horizontal)
        upper.addWidget(self.anomalies)
        upper.addWidget(evidence)
        upper.setSizes([520, 580])
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(trend)
        lower.addWidget(self.rejections)
        lower.addWidget(tiers)
        lower.setSizes([420, 420, 300])
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(upper)
        split.addWidget(lower)
        split.setSizes([360, 360])
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.message)
        layout.addWidget(split, 1)

    # -- the link to one environment -------------------------------------------------------

    def attach(self, controller: RateLimitsController) -> None:
        """Show ``controller``'s environment (a profile switch attaches another); it starts
        reading when the page is shown, or at once if it is."""
        self.detach()
        self.controller = controller
        c = controller
        self._connections = [
            c.failed.connect(self.show_message),
            c.anomalies_changed.connect(self.show_anomalies),
            c.rejections_changed.connect(self.show_rejections),
            c.stats_changed.connect(self.show_stats),
            c.config_changed.connect(self.show_config),
            c.series_changed.connect(self.trend.show_answer),
            c.series_failed.connect(self.trend.show_failure),
        ]
        if self.isVisible():
            c.start()

    def detach(self) -> None:
        if self.controller is not None:
            disconnect_all(self._connections)
        self._connections = []
        self.controller = None

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self.controller is not None:
            self.controller.start()

    def clear(self) -> None:
        """Nothing of the last environment stays on screen."""
        self.anomalies_model.set_rows([])
        self.rejections_model.set_rows([])
        self.anomaly, self._wanted, self.config = None, None, None
        self.bucket_s = DEFAULT_BUCKET_S
        self._show_evidence(None)
        self.trend.clear()
        self.stats.clear()
        self.tiers.clear()
        self.tiers.setRowCount(0)
        self.tiers.setColumnCount(0)
        self.tiers_heading.setText(self.tr("Tiers"))
        self.show_message("")

    def show_message(self, text: str) -> None:
        if not shiboken6.isValid(self.message):
            return  # an answer that arrived as the window closed
        self.message.setText(text)
        self.message.setVisible(bool(text))
        if text:
            self.status.emit(text)

    def message_text(self) -> str:
        return self.message.text() if not self.message.isHidden() else ""

    # -- anomalies ---------------------------------------------------------------------------

    def select_anomaly(self, kind: str, subject: str) -> bool:
        """Show the evidence of that anomaly; if it is not listed yet, as soon as it is.
        With no subject (an alert names the kind only), the one of that kind seen last.
        True when it is listed now."""
        if not subject:
            of_kind = [a for a in self.anomalies_model.rows() if a.kind == kind]
            if not of_kind:
                return False
            subject = max(of_kind, key=lambda a: a.last_seen).subject
        key = anomaly_key(kind, subject)
        if self.anomalies.select_key(key):
            self._wanted = None
            self._anomaly_chosen(key)
            return True
        self._wanted = key
        return False

    def show_anomalies(self, anomalies: list[Anomaly]) -> None:
        self.anomalies_model.update_rows(anomalies)
        if self._wanted is not None and self.anomalies_model.row_for(self._wanted) is not None:
            wanted, self._wanted = self._wanted, None
            self.anomalies.select_key(wanted)
            self._anomaly_chosen(wanted)
        elif self.anomaly is not None:
            key = anomaly_key(self.anomaly.kind, self.anomaly.subject)
            current = self.anomalies_model.row_for(key)
            if current is None:
                self.evidence_heading.setText(
                    self.tr("{kind}: {subject} is over (last seen at {time}).").format(
                        kind=kind_text(self.anomaly.kind), subject=self.anomaly.subject,
                        time=clock(self.anomaly.last_seen),
                    )
                )  # fmt: skip
            elif current != self.anomaly:
                self._show_evidence(current)

    def _anomaly_chosen(self, key: str) -> None:
        row = self.anomalies_model.row_for(key)
        if row is not None:
            self._show_evidence(row)

    def _show_evidence(self, anomaly: Anomaly | None) -> None:
        self.anomaly = anomaly
        if anomaly is None:
            self.evidence_heading.setText(self.tr("Select an anomaly to see its evidence."))
            self.evidence.clear()
            self.facts.clear()
            self.list_heading.hide()
            self.evidence_list.clear()
            self.evidence_list.hide()
            return
        self.evidence_heading.setText(
            self.tr("{kind}: {subject}, score {score}, seen {first}–{last}").format(
                kind=kind_text(anomaly.kind), subject=anomaly.subject,
                score=number(anomaly.score, 2), first=clock(anomaly.first_seen),
                last=clock(anomaly.last_seen),
            )
        )  # fmt: skip
        series = evidence_series(anomaly, self.bucket_s)
        if series:
            count = len(series[0].x)
            end = float(series[0].x[-1]) + self.bucket_s / 2
            self.evidence.set_window(count * self.bucket_s, end)
            self.evidence.show_answer(series)
        else:
            self.evidence.set_series([])
            self.evidence.show_message(self.tr("No series in this anomaly's evidence."))
        self.facts.setText("\n".join(f"{name}: {value}" for name, value in evidence_facts(anomaly)))
        lists = evidence_lists(anomaly)
        self.evidence_list.clear()
        for name, items in lists.items():
            self.evidence_list.addItems(items)
            self.list_heading.setText(
                self.tr("{name} ({n}):").format(name=name.capitalize(), n=len(items))
            )
        self.list_heading.setVisible(bool(lists))
        self.evidence_list.setVisible(bool(lists))

    def evidence_keys(self) -> list[str]:
        """The series of the evidence plot."""
        return self.evidence.keys()

    def evidence_items(self) -> list[str]:
        """The names listed beside the evidence plot."""
        return [self.evidence_list.item(n).text() for n in range(self.evidence_list.count())]

    # -- rejections, statistics, tiers ---------------------------------------------------------

    def show_rejections(self, rejections: list[Rejection]) -> None:
        self.rejections_model.show(rejections)

    def show_stats(self, stats: RateLimitStats) -> None:
        self.bucket_s = stats.bucket_s
        window = stats.window_buckets * stats.bucket_s
        lines = [
            self.tr("{endpoint}: {requests} requests, {rejected} rejected ({share})").format(
                endpoint=name, requests=number(e.requests), rejected=number(e.rejected),
                share=percent(e.share),
            )
            for name, e in sorted(stats.endpoints.items())
        ]  # fmt: skip
        tiers = ", ".join(
            f"{name} {number(n)}" for name, n in sorted(stats.rejections_by_tier.items())
        )
        head = self.tr("In the last {window} s:").format(window=number(window))
        tail = self.tr("Rejected per tier and endpoint: {tiers}").format(tiers=tiers or "—")
        self.stats.setText("\n".join([head, *lines, tail]))

    def show_config(self, config: RateLimitConfig) -> None:
        if config == self.config:
            return
        self.config = config
        self.tiers_heading.setText(
            self.tr("Tiers: requests allowed per {window} s, and their users").format(
                window=number(config.window_s, 1 if config.window_s % 1 else 0)
            )
        )
        users: dict[str, list[str]] = {}
        for user, tier in sorted(config.user_tiers.items()):
            users.setdefault(tier, []).append(user)
        names = list(config.tiers) + [t for t in users if t not in config.tiers]
        classes = list(config.endpoint_classes)
        self.tiers.clear()
        self.tiers.setColumnCount(len(classes) + 2)
        self.tiers.setHorizontalHeaderLabels([self.tr("Tier"), *classes, self.tr("Users")])
        self.tiers.setRowCount(len(names))
        for row, tier in enumerate(names):
            limits = config.tiers.get(tier, {})
            cells = [tier, *(number(limits[c]) if c in limits else "—" for c in classes)]
            cells.append(", ".join(users.get(tier, [])) or "—")
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if 0 < column <= len(classes):
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.tiers.setItem(row, column, item)

    def tier_rows(self) -> dict[str, dict[str, str]]:
        """The tier table as shown: tier -> header -> text."""

        def text(item: QTableWidgetItem | None) -> str:
            return item.text() if item is not None else ""

        headers = [
            text(self.tiers.horizontalHeaderItem(c)) for c in range(self.tiers.columnCount())
        ]
        out: dict[str, dict[str, str]] = {}
        for row in range(self.tiers.rowCount()):
            cells = {h: text(self.tiers.item(row, c)) for c, h in enumerate(headers)}
            out[cells[headers[0]]] = cells
        return out
