"""The Prometheus exporter. Metric names are listed in shared DESIGN.md."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Gauge


class Metrics:
    """One registry per app, so several apps (tests) never share state."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.broker_up = Gauge(
            "taskdeck_broker_up",
            "1 when the backend reached the broker at the last check, else 0",
            registry=self.registry,
        )
