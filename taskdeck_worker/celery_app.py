"""The Celery application of the data-sync system that TaskDeck serves.

Workers start it with ``celery -A taskdeck_worker.celery_app:app worker``; producers
import ``app`` and publish through it. Building it opens no connection.
"""

from __future__ import annotations

import ssl
from typing import Any
from urllib.parse import parse_qs, urlsplit

from celery import Celery
from kombu import Exchange, Queue

from taskdeck_core.priority import USER_PRIORITY_DEFAULT, to_celery_priority
from taskdeck_core.transport import DEFAULT_QUEUE, QUEUES, SANDBOX_TRANSPORT
from taskdeck_worker.config import WorkerSettings
from taskdeck_worker.integration import install


def _tls_options(url: str, ca_certs: str | None) -> dict[str, Any] | None:
    """TLS options for a ``rediss://`` URL that does not carry its own ``ssl_cert_reqs``."""
    parts = urlsplit(url)
    if parts.scheme != "rediss" or "ssl_cert_reqs" in parse_qs(parts.query):
        return None
    options: dict[str, Any] = {"ssl_cert_reqs": ssl.CERT_REQUIRED}
    if ca_certs:
        options["ssl_ca_certs"] = ca_certs
    return options


def celery_config(settings: WorkerSettings) -> dict[str, Any]:
    exchange = Exchange("celery", type="direct")
    config: dict[str, Any] = {
        "broker_url": settings.broker_url,
        "result_backend": settings.result_backend_url,
        "task_queues": [Queue(name, exchange, routing_key=name) for name in QUEUES],
        "task_default_queue": DEFAULT_QUEUE,
        "task_default_exchange": "celery",
        "task_default_routing_key": DEFAULT_QUEUE,
        "task_routes": {"data_sync.*": {"queue": "data_sync"}},
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "task_time_limit": 1800,
        "task_soft_time_limit": 1500,
        "result_expires": 3600,
        "result_extended": True,
        "task_send_sent_event": True,
        "worker_send_task_events": True,
        # One message at a time per process, so the broker's priority order is
        # the order in which work starts (prefetched messages are not reordered).
        "worker_prefetch_multiplier": 1,
        "task_default_priority": to_celery_priority(USER_PRIORITY_DEFAULT),
        # kombu's separator (so stock Celery tools and Flower can read the bindings)
        # with ten priority steps, one per Celery priority.
        "broker_transport_options": {
            "queue_order_strategy": "priority",
            **SANDBOX_TRANSPORT.options(),
        },
        "broker_connection_retry_on_startup": True,
        "worker_hijack_root_logger": False,
    }
    broker_tls = _tls_options(settings.broker_url, settings.redis_ca_certs)
    if broker_tls:
        config["broker_use_ssl"] = broker_tls
    backend_tls = _tls_options(settings.result_backend_url, settings.redis_ca_certs)
    if backend_tls:
        config["redis_backend_use_ssl"] = backend_tls
    return config


def create_celery(settings: WorkerSettings, results: bool = True) -> Celery:
    """The app; ``results=False`` for a process that only publishes and controls
    (it then never subscribes to the result of what it sends)."""
    celery = Celery("taskdeck", include=["taskdeck_worker.tasks.data_sync"])
    celery.conf.update(celery_config(settings))
    if not results:
        celery.conf.result_backend = None
    if settings.integration:
        install(celery, maxlen=settings.stream_maxlen)
    return celery


settings = WorkerSettings.from_env()
app = create_celery(settings)
