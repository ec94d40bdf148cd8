"""Composition root: builds the services, controllers and window, and wires them."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication

from console.controllers.connections_controller import ConnectionsController
from console.domain.endpoints import Endpoints
from console.domain.service_status import ServiceKind
from console.models.services_table_model import ServicesTableModel
from console.services.probes import LiveProber, Prober
from console.views.main_window import MainWindow
from console.views.overview_page import OverviewPage


@dataclass
class Console:
    window: MainWindow
    connections: ConnectionsController
    services_model: ServicesTableModel
    prober: Prober

    async def aclose(self) -> None:
        self.connections.stop()
        await self.prober.aclose()


def build_console(endpoints: Endpoints, environment: str, prober: Prober | None = None) -> Console:
    prober = prober or LiveProber(endpoints)
    targets = {
        ServiceKind.BROKER: endpoints.broker_url,
        ServiceKind.BACKEND: endpoints.backend_url,
        ServiceKind.PROMETHEUS: endpoints.prometheus_url,
        ServiceKind.ALERTMANAGER: endpoints.alertmanager_url,
    }
    connections = ConnectionsController(prober, targets)
    statuses = [connections.status(kind) for kind in ServiceKind]
    services_model = ServicesTableModel(statuses)
    window = MainWindow(environment)
    window.add_page(
        "overview",
        QCoreApplication.translate("Console", "Overview"),
        OverviewPage(services_model),
    )
    for status in statuses:
        window.show_status(status)
    connections.status_changed.connect(services_model.update)
    connections.status_changed.connect(window.show_status)
    return Console(window, connections, services_model, prober)
