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
from taskdeck_core.redis_clients import celery_url_and_options
from taskdeck_core.transport import DEFAULT_QUEUE, QUEUES, SANDBOX_TRANSPORT
from taskdeck_worker.config import WorkerSettings
from taskdeck_worker.integration import install

# The data-sync tasks' time limits: soft (SoftTimeLimitExceeded raised in the task), then
# hard (its pool process is killed).
SOFT_TIME_LIMIT_S = 1500
TIME_LIMIT_S = 1800
# The longest a retry waits for its countdown in the worker that took it
# (``retry_backoff_max`` of the data-sync tasks).
RETRY_BACKOFF_MAX_S = 300
# With acks_late a worker acknowledges a message when its task ends; until then kombu keeps
# it in the broker's ``unacked`` hash with the time the worker took it, and delivers it
# again to any worker once it is older than the visibility timeout, whether or not the
# worker that took it still runs it. A healthy worker holds a message at most for a
# retry's countdown and then the hard time limit (300 + 1800 s); 2400 s leaves 300 s
# beyond both, so a task of this system is never delivered a second time while it runs,
# and the tasks of a worker that died whole (main process and pool) run again 40 minutes
# after they were taken, not kombu's default hour. A task allowed to run longer than the
# visibility timeout is delivered a second time while it still runs: raise both together.
VISIBILITY_TIMEOUT_S = 2400
# kombu looks for messages past their visibility timeout every ``unacked_restore_interval``
# seconds, but by default only on every tenth look (``unacked_restore_throttle``): up to
# 100 s late. Looking on every one, every 10 s (every tenth of a short timeout, at least
# every second), a message comes back within 10 s of its time.
RESTORE_EVERY_S = 10
# A process that only publishes and controls (the backend, tools) never consumes a task
# queue; kombu would still sweep the unacked hash with that process's own timeout while it
# waits for a control reply. It must never deliver a message again before the workers'
# timeout (whatever the watched system uses): its timeout is longer than any worker's.
NEVER_RESTORE_S = 10 * 365 * 86400


def _tls_options(url: str, ca_certs: str | None) -> dict[str, Any] | None:
    """TLS options for a ``rediss://`` URL that does not carry its own ``ssl_cert_reqs``."""
    parts = urlsplit(url)
    if parts.scheme != "rediss" or "ssl_cert_reqs" in parse_qs(parts.query):
        return None
    options: dict[str, Any] = {"ssl_cert_reqs": ssl.CERT_REQUIRED}
    if ca_certs:
        options["ssl_ca_certs"] = ca_certs
    return options


def redelivery_options(visibility_timeout_s: int) -> dict[str, Any]:
    """kombu's transport options for when a taken, unacknowledged message comes back."""
    return {
        "visibility_timeout": visibility_timeout_s,
        "unacked_restore_interval": max(1, min(RESTORE_EVERY_S, visibility_timeout_s // 10)),
        "unacked_restore_throttle": 1,
    }


def celery_config(settings: WorkerSettings) -> dict[str, Any]:
    exchange = Exchange("celery", type="direct")
    # A Sentinel URL becomes the form Celery takes plus the master's name in the options.
    broker_url, broker_sentinel = celery_url_and_options(settings.broker_url)
    backend_url, backend_sentinel = celery_url_and_options(settings.result_backend_url)
    config: dict[str, Any] = {
        "broker_url": broker_url,
        "result_backend": backend_url,
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
        "task_time_limit": TIME_LIMIT_S,
        "task_soft_time_limit": SOFT_TIME_LIMIT_S,
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
            **redelivery_options(settings.visibility_timeout_s),
            **broker_sentinel,
        },
        "broker_connection_retry_on_startup": True,
        "worker_hijack_root_logger": False,
    }
    if backend_sentinel:
        config["result_backend_transport_options"] = backend_sentinel
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
        options = dict(celery.conf.broker_transport_options)
        celery.conf.broker_transport_options = {**options, "visibility_timeout": NEVER_RESTORE_S}
    if settings.integration:
        install(celery, maxlen=settings.stream_maxlen)
    return celery


settings = WorkerSettings.from_env()
app = create_celery(settings)
