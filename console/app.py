"""Composition root: builds the clients, controllers and window, and wires them.

Everything that talks to one environment lives in a ``Link``; switching
profile closes the old link and opens a new one while the window, its models
and its pages stay (so nothing needs a restart).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QSettings, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QFileDialog, QMessageBox

from console.controllers.alerts_controller import AlertsController
from console.controllers.audit_controller import AuditController
from console.controllers.connections_controller import ConnectionsController
from console.controllers.live_controller import LiveController
from console.controllers.overview_controller import OverviewController
from console.controllers.queue_messages_controller import QueueMessagesController
from console.controllers.quotas_controller import QuotasController
from console.controllers.ratelimits_controller import RateLimitsController
from console.controllers.reports_controller import ReportsController, default_name
from console.controllers.tasks_controller import TasksController
from console.controllers.trend_controller import QUEUE_TREND, WORKER_TREND, TrendController
from console.controllers.worker_detail_controller import WorkerDetailController
from console.domain import clock
from console.domain.endpoints import Endpoints
from console.domain.profiles import Profile, ProfileStore
from console.domain.service_status import Connection, ServiceKind, ServiceStatus
from console.domain.task_query import TaskQuery
from console.models.format import translated, write_problem
from console.models.messages_table_model import MessagesTableModel
from console.models.queues_table_model import QueuesTableModel
from console.models.quotas_table_model import QuotasTableModel
from console.models.services_table_model import ServicesTableModel
from console.models.tasks_table_model import TasksTableModel
from console.models.workers_table_model import WorkersTableModel
from console.reports.atomic import ReportWriteError
from console.reports.collect import ReportSources
from console.reports.csv_export import export_csv
from console.services.alertmanager_client import AlertmanagerClient
from console.services.backend_client import BackendClient, BackendError
from console.services.broker_reader import BrokerReader, EventReceiver
from console.services.probes import LiveProber, Prober
from console.services.prometheus_reader import MetricsSource, PrometheusReader
from console.services.secrets import MemorySecrets, SecretStore, endpoints_for
from console.snapshot.file import SUFFIX, Snapshot, SnapshotError, read_snapshot, write_snapshot
from console.snapshot.read_only import READ_ONLY_ROLE, saved_moment
from console.snapshot.record import DEFAULT_WINDOW_S as SNAPSHOT_WINDOW_S
from console.snapshot.record import take_snapshot
from console.snapshot.replay import (
    NoEvents,
    SnapshotAlertmanager,
    SnapshotBackend,
    SnapshotBroker,
    SnapshotMetrics,
    SnapshotProber,
)
from console.tasks import TaskOwner
from console.views.alerts_page import AlertsPage
from console.views.audit_page import AuditPage
from console.views.connections_page import ConnectionsPage
from console.views.dialogs.profile_dialog import ProfileDialog
from console.views.failure_inbox import group_title
from console.views.goto_palette import GoToPalette, PasteOpener
from console.views.main_window import MainWindow
from console.views.overview_page import OverviewPage
from console.views.plots.trend_plot import TrendPlot
from console.views.queues_page import QueuesPage
from console.views.quotas_page import QuotasPage
from console.views.ratelimits_page import RateLimitsPage
from console.views.reports_page import ReportsPage
from console.views.tasks_page import TasksPage
from console.views.workers_page import WorkersPage

log = logging.getLogger("taskdeck.console")

# Pages the sidebar lists that later versions fill (Ctrl+4 ... Ctrl+9 keep their places).
LATER_PAGES: tuple[tuple[str, str], ...] = ()  # pages of a later version, greyed out


def _trend_failed(plot: TrendPlot, error: str) -> None:
    """The error on the plot it concerns, over the last data it had (if it still exists)."""
    if shiboken6.isValid(plot):
        plot.show_failure(
            QCoreApplication.translate("Console", "Prometheus: {error}").format(error=error)
        )


@dataclass
class Link:
    """The clients and controllers of one environment."""

    endpoints: Endpoints | None  # None: a snapshot
    prober: Prober
    broker: BrokerReader
    backend: BackendClient
    prometheus: MetricsSource
    alertmanager: AlertmanagerClient
    connections: ConnectionsController
    live: LiveController
    overview: OverviewController
    messages: QueueMessagesController
    queue_trend: TrendController
    worker_trend: TrendController
    tasks: TasksController
    audit: AuditController
    quotas: QuotasController
    ratelimits: RateLimitsController
    worker_detail: WorkerDetailController
    alerts: AlertsController
    reports: ReportsController

    def controllers(self) -> tuple[QObject, ...]:
        return (self.connections, self.live, self.overview, self.messages, self.queue_trend,
                self.worker_trend, self.tasks, self.audit, self.quotas, self.quotas.trend,
                self.ratelimits, self.worker_detail, self.alerts, self.reports)  # fmt: skip

    async def aclose(self) -> None:
        """Cancel the work under way and close every client; nothing more reaches the window."""
        controllers = self.controllers()
        for obj in controllers:
            obj.blockSignals(True)  # nothing from this environment reaches the window any more
        await asyncio.gather(
            self.connections.aclose(), self.live.aclose(), self.overview.aclose(),
            self.messages.aclose(), self.queue_trend.aclose(), self.worker_trend.aclose(),
            self.tasks.aclose(), self.audit.aclose(), self.quotas.aclose(),
            self.ratelimits.aclose(), self.worker_detail.aclose(), self.alerts.aclose(),
            self.reports.aclose(),
        )  # fmt: skip
        await asyncio.gather(
            self.prober.aclose(), self.broker.aclose(), self.backend.aclose(), self.alertmanager.aclose(),
            return_exceptions=True,
        )  # fmt: skip
        self.prometheus.close()
        for obj in controllers:
            obj.deleteLater()


class Console(QObject):
    def __init__(
        self,
        settings: QSettings | None = None,
        prober: Prober | None = None,
        store: ProfileStore | None = None,
        secrets: SecretStore | None = None,
        profiles: list[Profile] | None = None,
        active: str | None = None,
    ) -> None:
        super().__init__()
        self._prober_override = prober
        self.store = store
        self.secrets: SecretStore = secrets or MemorySecrets()
        self.profiles = list(profiles or [])
        self.active_profile = active
        self._tasks = TaskOwner()
        self._switching = asyncio.Lock()  # one switch at a time, in the order asked
        self._closing = False
        self.services_model = ServicesTableModel()
        self.queues_model = QueuesTableModel()
        self.workers_model = WorkersTableModel()
        self.messages_model = MessagesTableModel()
        self.tasks_model = TasksTableModel()
        self.quotas_model = QuotasTableModel()
        self.window = MainWindow(settings)
        self.overview_page = OverviewPage()
        self.queues_page = QueuesPage(self.queues_model, self.messages_model)
        self.workers_page = WorkersPage(self.workers_model)
        self.tasks_page = TasksPage(self.tasks_model, settings)
        self.audit_page = AuditPage()
        self.quotas_page = QuotasPage(self.quotas_model)
        self.ratelimits_page = RateLimitsPage()
        self.alerts_page = AlertsPage()
        self.reports_page = ReportsPage()
        self.connections_page = ConnectionsPage(self.services_model)
        w = self.window
        w.add_page(
            "overview", QCoreApplication.translate("Console", "Overview"), self.overview_page
        )
        w.add_page(
            "queues",
            QCoreApplication.translate("Console", "Queues"),
            self.queues_page,
            self.queues_page.queues.focus_filter,
        )
        w.add_page(
            "workers",
            QCoreApplication.translate("Console", "Workers"),
            self.workers_page,
            self.workers_page.workers.focus_filter,
        )
        w.add_page(
            "tasks",
            QCoreApplication.translate("Console", "Tasks"),
            self.tasks_page,
            self.tasks_page.text.setFocus,
        )
        w.add_page("quotas", QCoreApplication.translate("Console", "Quotas"), self.quotas_page)
        w.add_page(
            "ratelimits", QCoreApplication.translate("Console", "Rate limits"), self.ratelimits_page
        )
        w.add_page("alerts", QCoreApplication.translate("Console", "Alerts"), self.alerts_page)
        w.add_page("audit", QCoreApplication.translate("Console", "Audit"), self.audit_page)
        w.add_page("reports", QCoreApplication.translate("Console", "Reports"), self.reports_page)
        for key, title in LATER_PAGES:
            w.add_later_page(key, QCoreApplication.translate("Console", title))
        w.add_page(
            "connections",
            QCoreApplication.translate("Console", "Connections"),
            self.connections_page,
        )
        self.overview_page.set_pages(w.page_keys())
        self.link: Link | None = None
        self.snapshot: Snapshot | None = None  # the snapshot open, read-only
        self.environment_name = ""
        self.snapshot_problem: QMessageBox | None = None  # the last refusal to open a file
        self._unreachable: set[ServiceKind] = set()  # of the current link, as last checked
        # Views talk to whatever link is current, through these slots.
        self.overview_page.navigate.connect(w.show_page)
        self.overview_page.window_selected.connect(
            lambda key: self.link and self.link.overview.set_window(key)
        )
        self.overview_page.open_alerts.connect(lambda: w.show_page("alerts"))
        self.overview_page.failures_wanted.connect(self.open_failures)
        for said in (self.tasks_page, self.quotas_page, self.ratelimits_page, self.alerts_page,
                     self.reports_page):  # fmt: skip
            said.status.connect(w.show_message)
        self.tasks_page.audit_wanted.connect(self.open_audit_of)
        self.quotas_page.open_tasks.connect(self.open_tasks_of)
        self.alerts_page.open_target.connect(self.open_target)
        self.alerts_page.page_wanted.connect(self._show_alerts_window)
        a = self.audit_page
        a.filters_changed.connect(lambda f: self.link and self.link.audit.set_filters(f))
        a.more_wanted.connect(lambda: self.link and self.link.audit.load_more())
        a.open_task.connect(self.open_task)
        a.open_job.connect(self.open_job)
        a.shown.connect(lambda: self.link and self.link.audit.refresh())
        # Go to anything: Ctrl+K, and a task id pasted outside a text box.
        self.palette = GoToPalette(w)
        self.palette.chosen.connect(self._go_to)
        self.palette.task_lookup.connect(self._look_up_task)
        goto = QShortcut(QKeySequence("Ctrl+K"), w)
        goto.activated.connect(self.open_palette)
        self.paste_opener = PasteOpener(w)
        self.paste_opener.task_pasted.connect(self.open_task)
        self.queues_page.queue_selected.connect(self._queue_selected)
        self.queues_page.cancel_requested.connect(
            lambda ids, reason: self.link and self.link.messages.cancel(ids, reason)
        )
        self.queues_page.priority_requested.connect(
            lambda ids, p, reason: self.link and self.link.messages.set_priority(ids, p, reason)
        )
        self.queues_page.next_page.connect(lambda: self.link and self.link.messages.next_page())
        self.queues_page.previous_page.connect(
            lambda: self.link and self.link.messages.previous_page()
        )
        self.queues_page.message_filter_changed.connect(
            lambda text: self.link and self.link.messages.set_search(text)
        )
        self.workers_page.worker_selected.connect(
            lambda h: self.link and self.link.worker_trend.select(h)
        )
        self.workers_page.worker_selected.connect(
            lambda h: self.link and self.link.worker_detail.select(h)
        )
        w.destroyed.connect(self._window_destroyed)
        w.refresh_requested.connect(self.refresh)
        w.export_requested.connect(self._export)
        w.profiles_requested.connect(self.open_profiles)
        w.snapshot_open_requested.connect(self.open_snapshot_dialog)
        w.snapshot_save_requested.connect(self.save_snapshot_dialog)

    # -- one environment ---------------------------------------------------------

    def connect_to(
        self, endpoints: Endpoints, name: str, colour: str = "#3b82f6", production: bool = False
    ) -> Link:
        clock.thaw()
        self.snapshot = None
        prober = self._prober_override or LiveProber(endpoints)
        targets = {
            ServiceKind.BROKER: endpoints.broker_url,
            ServiceKind.BACKEND: endpoints.backend_url,
            ServiceKind.PROMETHEUS: endpoints.prometheus_url,
            ServiceKind.ALERTMANAGER: endpoints.alertmanager_url,
        }
        broker = BrokerReader(endpoints.broker_url, endpoints.transport)
        backend = BackendClient(
            endpoints.backend_url, endpoints.backend_token, ca_file=endpoints.backend_ca_file
        )
        link = self._make_link(
            endpoints, prober, targets, broker, backend, PrometheusReader(endpoints.prometheus_url),
            AlertmanagerClient(endpoints.alertmanager_url), name,
        )  # fmt: skip
        self.window.set_environment(name, colour, production)
        self.tasks_page.set_environment(name, production)
        self._start_link(link)
        link.messages.load_role()
        return link

    def connect_snapshot(self, snapshot: Snapshot, path: Path) -> Link:
        """Open ``snapshot`` read-only: every page reads it, every action is refused, and
        the console's "now" is the moment it was taken."""
        clock.freeze(snapshot.taken_at)
        self.snapshot = snapshot
        prober = SnapshotProber(snapshot, path.name)
        link = self._make_link(
            None, prober, {kind: prober.target(kind) for kind in ServiceKind}, SnapshotBroker(snapshot),
            SnapshotBackend(snapshot), SnapshotMetrics(snapshot), SnapshotAlertmanager(snapshot),
            snapshot.environment, lambda _deliver: NoEvents(),
        )  # fmt: skip
        self.window.set_snapshot(snapshot.environment, snapshot.taken_at, str(path))
        self.tasks_page.set_environment(snapshot.environment, False)
        self._start_link(link)
        link.alerts.set_notifications(False)  # what fired then is no news now
        link.messages.role = READ_ONLY_ROLE
        link.messages.role_changed.emit(READ_ONLY_ROLE)
        return link

    def _make_link(
        self, endpoints: Endpoints | None, prober: Prober, targets: dict[ServiceKind, str],
        broker: BrokerReader, backend: BackendClient, prometheus: MetricsSource,
        alertmanager: AlertmanagerClient, name: str,
        receiver_factory: Callable[[Callable[[list[dict[str, Any]]], None]], EventReceiver]
        | None = None,
    ) -> Link:  # fmt: skip
        self.environment_name = name
        return Link(
            endpoints=endpoints, prober=prober, broker=broker, backend=backend, prometheus=prometheus,
            alertmanager=alertmanager,
            connections=ConnectionsController(prober, targets),
            live=LiveController(broker, backend, prometheus, receiver_factory),
            overview=OverviewController(prometheus, alertmanager),
            messages=QueueMessagesController(backend),
            queue_trend=TrendController(prometheus, QUEUE_TREND),
            worker_trend=TrendController(prometheus, WORKER_TREND),
            tasks=TasksController(backend, self.tasks_model),
            audit=AuditController(backend),
            quotas=QuotasController(backend, prometheus),
            ratelimits=RateLimitsController(backend, prometheus),
            worker_detail=WorkerDetailController(backend),
            alerts=AlertsController(alertmanager, backend),
            reports=ReportsController(name, backend, prometheus, alertmanager),
        )  # fmt: skip

    def _start_link(self, link: Link) -> None:
        self._wire(link)
        self.link = link
        self.tasks_page.attach(link.tasks)
        link.audit.set_filters(self.audit_page.filters())
        self.quotas_page.attach(link.quotas)
        link.quotas.start()
        self.ratelimits_page.attach(link.ratelimits)
        self.alerts_page.attach(link.alerts)
        self.workers_page.attach(link.worker_detail)
        self.reports_page.attach(link.reports)
        link.alerts.start()  # whatever page shows: notifications come from its reads
        statuses = [link.connections.status(kind) for kind in ServiceKind]
        self.services_model.set_rows(statuses)
        for status in statuses:
            self.window.show_status(status)
        link.connections.start()
        link.live.start()
        link.overview.start()

    def _wire(self, link: Link) -> None:
        w, o, q = self.window, self.overview_page, self.queues_page
        link.connections.status_changed.connect(lambda status: self._status_changed(link, status))
        link.live.queues_changed.connect(self.queues_model.update_rows)
        link.live.workers_changed.connect(self.workers_model.update_rows)
        link.live.workers_changed.connect(o.show_workers)
        link.live.counts_changed.connect(o.show_counts)
        link.live.error.connect(w.show_message)
        link.live.problem.connect(w.show_problem)
        link.live.problem_over.connect(w.clear_problem)
        c = self.connections_page
        link.live.transport_changed.connect(c.show_transport)
        link.live.transport_changed.connect(q.set_transport)
        link.live.environment_changed.connect(c.show_environment)
        link.live.environment_changed.connect(lambda env: q.set_backend_transport(env.transport))
        link.live.environment_failed.connect(c.show_environment_failure)
        link.overview.series_changed.connect(lambda name, series: o.plots[name].set_series(series))
        link.overview.point_added.connect(
            lambda name, key, t, v: o.plots[name].append_point(key, t, v)
        )
        link.overview.window_changed.connect(self._window_changed)
        link.overview.data_start_changed.connect(o.show_data_start)
        link.overview.prometheus_failed.connect(self._prometheus_failed)
        link.overview.prometheus_ok.connect(self._prometheus_ok)
        link.overview.alerts_changed.connect(o.show_alerts)
        link.messages.messages_changed.connect(q.show_messages)
        link.messages.role_changed.connect(q.set_role)
        # One /me per link, for every page with changes some roles may not make.
        for page in (self.tasks_page, self.quotas_page, self.alerts_page, self.workers_page):
            link.messages.role_changed.connect(page.set_role)
        link.messages.busy_changed.connect(q.set_busy)
        link.messages.action_done.connect(w.show_message)
        link.messages.action_failed.connect(w.show_message)
        link.messages.action_done.connect(q.show_result)
        link.messages.action_failed.connect(q.show_result)
        link.live.queues_changed.connect(link.messages.follow_depths)
        link.live.events_received.connect(link.tasks.apply_events)
        a = self.audit_page
        link.audit.entries_reset.connect(lambda entries: a.show_entries(entries, True))
        link.audit.entries_added.connect(lambda entries: a.show_entries(entries, False))
        link.audit.at_end.connect(a.set_at_end)
        link.audit.failed.connect(a.show_failure)
        link.tasks.job_ended.connect(lambda _view: link.audit.refresh())
        wp = self.workers_page
        link.worker_detail.detail_changed.connect(lambda detail: wp.show_detail(detail, None))
        link.worker_detail.failed.connect(lambda problem: wp.show_detail(None, problem))
        link.live.queues_changed.connect(
            lambda queues: self.tasks_page.set_queues([info.name for info in queues])
        )
        link.messages.search = q.messages.filter.text().strip()  # the search box carries over
        trends = ((link.queue_trend, q.trend), (link.worker_trend, self.workers_page.trend))
        for trend, plot in trends:
            # Bound slots of the plot: Qt drops them with it, so a late answer finds no plot.
            trend.series_changed.connect(plot.show_answer)
            trend.failed.connect(lambda error, p=plot: _trend_failed(p, error))

    async def switch(
        self, endpoints: Endpoints, name: str, colour: str = "#3b82f6", production: bool = False
    ) -> None:
        """Close the current environment's connections and open another's."""
        async with self._switching:
            if self._closing:
                return
            await self.close_link()
            self._clear_views()
            self.queues_page.set_busy(False)
            self.connect_to(endpoints, name, colour, production)

    def _clear_views(self) -> None:
        """Nothing of the environment left stays on screen under the next one's banner."""
        for model in (self.queues_model, self.workers_model, self.messages_model):
            model.set_rows([])
        for plot in (*self.overview_page.plots.values(), self.queues_page.trend,
                     self.workers_page.trend):  # fmt: skip
            plot.clear()
        self.overview_page.clear_tiles()
        self._unreachable.clear()
        self.window.clear_problems()
        for service in ("broker", "backend"):
            self.queues_page.show_unreachable(service, None, None)
        self.connections_page.clear_environment()
        self.tasks_page.detach()
        self.tasks_model.reset()
        self.tasks_page.clear()
        self.audit_page.clear()
        self.quotas_page.clear()
        self.ratelimits_page.clear()
        self.alerts_page.clear()
        self.reports_page.clear()
        self.workers_page.show_detail(None, None)
        self.queues_page.set_transport(None)
        self.queues_page.set_backend_transport(None)

    def _window_destroyed(self) -> None:
        """The window went (its pages with it) before the console was closed: nothing of
        the environment reaches them any more, and no switch follows."""
        self._closing = True
        if self.link is not None:
            for obj in self.link.controllers():
                obj.blockSignals(True)

    async def close_link(self) -> None:
        link, self.link = self.link, None
        if link is not None:
            await link.aclose()

    async def aclose(self) -> None:
        """Close the window's environment (after a switch under way); no switch follows."""
        self._closing = True
        await self.tasks_page.aclose()  # no question or action of the page outlives it
        if shiboken6.isValid(self.alerts_page.notifier):
            self.alerts_page.notifier.close()  # its tray icon goes with the window
        async with self._switching:
            await self.close_link()
        await self._tasks.aclose()

    # -- snapshots -----------------------------------------------------------------

    def open_snapshot_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.window, QCoreApplication.translate("Console", "Open snapshot"), "",
            QCoreApplication.translate("Console", "TaskDeck snapshots (*{suffix});;All files (*)").format(suffix=SUFFIX),
        )  # fmt: skip
        if path:
            self.open_snapshot(path)

    def open_snapshot(self, path: Path | str) -> asyncio.Task[None] | None:
        """Read the snapshot at ``path`` (off the GUI thread) and show it read-only in place
        of the environment shown; a file that cannot be opened changes nothing and says why."""
        return self._tasks.run(self._open_snapshot(Path(path)), key="snapshot-open")

    async def _open_snapshot(self, path: Path) -> None:
        self.window.show_message(
            QCoreApplication.translate("Console", "Opening {file}…").format(file=path.name), 0
        )
        try:
            snapshot = await asyncio.to_thread(read_snapshot, path)
        except SnapshotError as exc:
            self.window.show_message(str(exc), 0)
            box = QMessageBox(QMessageBox.Icon.Warning, QCoreApplication.translate("Console", "Cannot open the snapshot"), str(exc),
                              QMessageBox.StandardButton.Ok, self.window)  # fmt: skip
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            self.snapshot_problem = box
            box.open()
            return
        async with self._switching:
            if self._closing:
                return
            await self.close_link()
            self._clear_views()
            self.queues_page.set_busy(False)
            self.connect_snapshot(snapshot, path)
        self.window.show_message(
            QCoreApplication.translate("Console", "Showing the snapshot {file}: read-only, as it was at {moment}.").format(
                file=path.name, moment=saved_moment(snapshot.taken_at)), 0)  # fmt: skip

    def save_snapshot_dialog(self) -> None:
        if self.link is None:
            self.window.show_message(
                QCoreApplication.translate("Console", "Connect to an environment first.")
            )
            return
        if self.snapshot is not None:
            self.window.show_message(
                QCoreApplication.translate(
                    "Console", "This is a snapshot already; its file is a copy of it."
                )
            )
            return
        if self._tasks.running("snapshot-save"):
            self.window.show_message(
                QCoreApplication.translate(
                    "Console", "A snapshot is being saved; wait for it to finish."
                )
            )
            return
        # The reports' naming, with the snapshot's suffix (a CSV report's name has none).
        name = default_name(self.environment_name, time.time(), SNAPSHOT_WINDOW_S, "csv") + SUFFIX
        path, _ = QFileDialog.getSaveFileName(
            self.window, QCoreApplication.translate("Console", "Save snapshot"), name,
            QCoreApplication.translate("Console", "TaskDeck snapshots (*{suffix})").format(suffix=SUFFIX),
        )  # fmt: skip
        if path:
            self.save_snapshot(path)

    def save_snapshot(
        self, path: Path | str, window_s: float = SNAPSHOT_WINDOW_S
    ) -> asyncio.Task[None] | None:
        """Save what every page shows now, and the trends and report content of the last
        ``window_s`` seconds, to ``path`` (whole or not at all)."""
        if self.link is None:
            return None
        return self._tasks.run(self._save_snapshot(self.link, Path(path), window_s),
                               key="snapshot-save")  # fmt: skip

    async def _save_snapshot(self, link: Link, path: Path, window_s: float) -> None:
        w = self.window
        sources = ReportSources(self.environment_name, link.backend, link.prometheus,
                                link.alertmanager)  # fmt: skip

        def progress(fraction: float, what: str) -> None:
            if link is self.link:
                w.show_message(QCoreApplication.translate("Console", "Saving the snapshot: {what} ({percent} %)").format(
                    what=what, percent=round(100 * fraction)), 0)  # fmt: skip

        snapshot = await take_snapshot(sources, link.broker, window_s, progress)
        if link is not self.link:
            w.show_message(QCoreApplication.translate(
                "Console", "The environment was closed while its snapshot was taken; nothing "
                "was saved."), 0)  # fmt: skip
            return
        try:
            await asyncio.to_thread(write_snapshot, snapshot, path)
        except ReportWriteError as exc:
            w.show_message(
                QCoreApplication.translate("Console", "The snapshot was not saved: {why}").format(
                    why=write_problem(exc)
                ),
                0,
            )
            return
        text = QCoreApplication.translate("Console", "Snapshot saved to {path}: {tasks} tasks, {audit} audit entries.").format(
            path=path, tasks=len(snapshot.tasks), audit=len(snapshot.audit))  # fmt: skip
        if snapshot.missing:
            text += " " + QCoreApplication.translate("Console", "Not saved: {missing}").format(
                missing="; ".join(snapshot.missing)
            )
        w.show_message(text, 0)

    # -- profiles ------------------------------------------------------------------

    def open_profiles(self) -> None:
        if self.store is None:
            self.window.show_message(
                QCoreApplication.translate("Console", "Profiles are not available in this session.")
            )
            return
        dialog = ProfileDialog(
            self.store, self.secrets, self.profiles, self.active_profile, self.window
        )
        dialog.profile_chosen.connect(lambda name: self._profile_chosen(dialog, name))
        dialog.open()  # not exec(): a nested event loop would re-enter the running tasks

    def _profile_chosen(self, dialog: ProfileDialog, name: str) -> None:
        self.profiles = dialog.result_profiles()
        self.active_profile = dialog.result_active()
        profile = next((p for p in self.profiles if p.name == name), None)
        if profile is not None:
            self.use_profile(profile)

    def use_profile(self, profile: Profile) -> asyncio.Task[None] | None:
        """Switch every connection to ``profile`` (no restart)."""
        return self._tasks.run(self._use_profile(profile))

    async def _use_profile(self, profile: Profile) -> None:
        endpoints = await endpoints_for(profile, self.secrets)
        self.alerts_page.set_notifications(profile.notifications)
        await self.switch(endpoints, profile.name, profile.colour, profile.production)

    def _status_changed(self, link: Link, status: ServiceStatus) -> None:
        if link is not self.link or not shiboken6.isValid(self.window):
            return  # a late answer from an environment already closed
        self.services_model.put(status)
        self.window.show_status(status)
        self._show_reachability(link, status)

    def _show_reachability(self, link: Link, status: ServiceStatus) -> None:
        """While a service does not answer, the pages keep what came through it and say it
        is not current; once it answers again, they ask it at once rather than at their
        next turn."""
        kind = status.kind
        was_down = kind in self._unreachable
        if status.connection is Connection.CONNECTED:
            self._unreachable.discard(kind)
            reason = None
        elif status.connection in (Connection.STALE, Connection.DOWN):
            self._unreachable.add(kind)
            reason = (
                translated(status.last_error)
                if status.last_error
                else QCoreApplication.translate("Console", "no answer")
            )
        else:
            return
        if kind is ServiceKind.PROMETHEUS:
            if reason is not None:
                self._prometheus_failed(reason, link.overview.last_good)
        else:
            since = status.last_ok.at if status.last_ok is not None else None
            self.overview_page.show_unreachable(kind.value, reason)
            self.queues_page.show_unreachable(kind.value, reason, since)
        if was_down and reason is None:
            if kind in (ServiceKind.PROMETHEUS, ServiceKind.ALERTMANAGER):
                link.overview.refresh()
            else:
                link.live.refresh()

    def open_failures(self, window_s: float, name: str | None = None) -> None:
        """The Tasks page, showing the failures that ended in the last ``window_s`` seconds
        (of task ``name`` only, if given)."""
        self.tasks_page.open_failures(window_s, name)
        self.window.show_page("tasks")

    def _show_alerts_window(self) -> None:
        """A notification was clicked: the window comes forward on the Alerts page."""
        w = self.window
        w.show_page("alerts")
        if w.isMinimized():
            w.showNormal()
        w.raise_()
        w.activateWindow()

    def open_target(self, kind: str, value: str) -> None:
        """The page an alert concerns: a queue, a worker, a task name's failures (the last
        hour), a user's quota, a rate-limit anomaly ("kind/subject")."""
        w = self.window
        if kind in ("queue", "worker"):
            self._go_to(kind, value)
        elif kind == "task":
            self.open_failures(3600.0, value)
        elif kind == "user":
            w.show_page("quotas")
            if not self.quotas_page.table.select_key(value):
                w.show_message(
                    QCoreApplication.translate("Console", "{user} has no quota row yet.").format(
                        user=value
                    )
                )
        elif kind == "anomaly":
            w.show_page("ratelimits")
            anomaly_kind, _, subject = value.partition("/")
            self.ratelimits_page.select_anomaly(anomaly_kind, subject)  # or once listed

    def open_task(self, task_id: str) -> None:
        """The Tasks page, showing ``task_id`` in full."""
        self.window.show_page("tasks")
        self.tasks_page.open_task(task_id)

    def open_tasks_of(self, user: str) -> None:
        """The Tasks page, showing ``user``'s tasks that hold quota slots (not finished)."""
        self.tasks_page.set_query(TaskQuery(user=user))
        self.window.show_page("tasks")

    def open_job(self, job_id: str) -> None:
        """The Tasks page's jobs panel, showing ``job_id``."""
        self.window.show_page("tasks")
        if self.link is not None:
            self.link.tasks.show_job(job_id)

    def open_audit_of(self, task_id: str) -> None:
        """The Audit page, showing the entries of ``task_id``."""
        self.audit_page.set_task_filter(task_id)
        self.window.show_page("audit")

    def open_palette(self) -> None:
        w = self.window
        titles = w.page_titles()
        queues = [q.name for q in self.queues_model.rows()]
        workers = [worker.hostname for worker in self.workers_model.rows()]
        groups = [(g.signature, group_title(g))
                  for g in (self.link.tasks.groups if self.link else [])]  # fmt: skip
        self.palette.set_sources(titles, queues, workers, groups)
        self.palette.open_palette()

    def _go_to(self, kind: str, value: str) -> None:
        w = self.window
        if kind == "page":
            w.show_page(value)
        elif kind == "queue":
            w.show_page("queues")
            self.queues_page.queues.select_key(value)
        elif kind == "worker":
            w.show_page("workers")
            self.workers_page.workers.select_key(value)
        elif kind == "group":
            w.show_page("tasks")
            self.tasks_page.select_group(value)
        elif kind == "task":
            self.open_task(value)

    def _look_up_task(self, text: str) -> None:
        if self.link is not None:
            self._tasks.run(self._find_tasks(self.link, text), key="goto")

    async def _find_tasks(self, link: Link, text: str) -> None:
        try:
            found = await link.tasks.find_tasks(text)
        except BackendError as exc:
            self.window.show_message(exc.detail)
            return
        if link is self.link:
            self.palette.show_tasks(found)

    def _queue_selected(self, queue: str) -> None:
        if self.link is not None:
            self.link.messages.show_queue(queue)
            self.link.queue_trend.select(queue)

    def _window_changed(self, seconds: float) -> None:
        for plot in self.overview_page.plots.values():
            plot.set_window(seconds)

    def _prometheus_ok(self) -> None:
        for plot in self.overview_page.plots.values():
            plot.clear_message()

    def _prometheus_failed(self, errors: dict[str, str] | str, last_good: float) -> None:
        """Each Overview plot says why its own query failed (``errors``, by plot name); one
        reason for all (the connection check's) leaves a plot the failure of its own query."""
        since = time.strftime("%H:%M:%S", time.localtime(last_good)) if last_good else None
        own = self.link.overview.failures if self.link is not None else {}
        for name, plot in self.overview_page.plots.items():
            error = errors.get(name) if isinstance(errors, dict) else own.get(name, errors)
            if error is None:
                continue  # its query answered
            text = (
                QCoreApplication.translate(
                    "Console", "Prometheus unreachable; showing data from {time}"
                ).format(time=since)
                if since
                else QCoreApplication.translate(
                    "Console", "Prometheus unreachable: {error}"
                ).format(error=error)
            )
            plot.show_message(text)

    def refresh(self) -> None:
        if self.link is None:
            return
        self.link.connections.refresh(force=True)
        self.link.live.refresh()
        self.link.overview.refresh()
        self.link.messages.reload()
        self.tasks_page.reapply()  # the filter's window ends now; the table read afresh
        self.link.tasks.refresh_groups()
        self.link.audit.refresh()

    def table_for(self, page: str) -> Any:
        return {
            "queues": self.queues_page.queues.proxy,
            "workers": self.workers_page.workers.proxy,
            "tasks": self.tasks_model,
            "quotas": self.quotas_model,
            "connections": self.services_model,
        }.get(page)

    def _export(self, page: str) -> None:
        model = self.table_for(page)
        if model is None:
            self.window.show_message(
                QCoreApplication.translate("Console", "This page has no table to export.")
            )
            return
        path, _ = QFileDialog.getSaveFileName(
            self.window,
            QCoreApplication.translate("Console", "Export table"),
            f"{page}.csv",
            "CSV (*.csv)",
        )
        if path:
            rows = export_csv(model, Path(path))
            self.window.show_message(
                QCoreApplication.translate("Console", "Exported {rows} rows to {path}").format(
                    rows=rows, path=path
                )
            )


def build_console(endpoints: Endpoints, environment: str, settings: QSettings | None = None,
                  prober: Prober | None = None) -> Console:  # fmt: skip
    """A console connected to ``endpoints`` with no profile file (tests, the sandbox demo)."""
    console = Console(settings, prober)
    console.connect_to(endpoints, environment)
    return console
