"""The backend's app factory and its command line (``taskdeck-backend``)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from sqlalchemy.engine import make_url

from backend import __version__
from backend.api import openapi
from backend.api.deps import Services
from backend.api.errors import install_error_handlers
from backend.api.headers import RateLimitHeaders
from backend.api.routes import (
    actions,
    audit,
    environment,
    failures,
    health,
    me,
    metrics,
    queues,
    quota_default,
    quotas,
    ratelimits,
    silences,
    stats,
    tasks,
    workers,
)
from backend.config import Settings, SettingsError, load_settings
from backend.metrics import Metrics
from backend.services import kombu_json
from backend.services.actions import Actions
from backend.services.alertmanager import Alertmanager, AlertmanagerError, open_client
from backend.services.anomalies import AnomalyDetector
from backend.services.audit import AuditLog
from backend.services.auth import TokenConfigError, TokenStore
from backend.services.broker import BrokerQueues
from backend.services.broker_watch import BrokerWatch
from backend.services.environment import REFRESH_S, EnvironmentService
from backend.services.events_source import EventIngestor, SourceChooser
from backend.services.health import LedgerWriteProbe, broker_unavailable, check_redis
from backend.services.ingest import StreamIngestor
from backend.services.ingest_helper import IngestHelper, SharedIngest
from backend.services.ledger import Ledger
from backend.services.ledger_rows import TaskLabels
from backend.services.quota_reconcile import QuotaReconciler
from backend.services.quota_stream import QuotaReleases
from backend.services.quotas import Quotas
from backend.services.ratelimit import RateLimitConfigError, RateLimiter, parse_tiers
from backend.services.redelivery import RedeliveryWatch
from backend.services.submit_keys import SubmitKeys
from backend.services.tiers import TierConfigError, parse_user_tiers
from backend.services.workers import WorkerMonitor
from taskdeck_core import lifecycle as lc
from taskdeck_core.lifecycle import LifecycleRecord
from taskdeck_core.net import port_is_free
from taskdeck_core.redis_clients import async_client, sync_client
from taskdeck_core.urls import redact_url

log = logging.getLogger("taskdeck.backend")
RETENTION_EVERY_S = 3600.0


def build_services(settings: Settings) -> Services:
    """Open the ledger and the clients; starts nothing yet."""
    from taskdeck_worker.celery_app import create_celery

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    kombu_json.install()  # Celery's messages decoded by orjson where the value is the same
    tokens = TokenStore.from_config(settings.tokens, settings.tokens_file)
    tiers = parse_tiers(settings.ratelimit_tiers)
    user_tiers = parse_user_tiers(settings.user_tiers, set(tiers))
    ledger = Ledger(settings.ledger_database_url)
    audit_log = AuditLog(ledger.engine)
    client = sync_client(settings.broker_url, socket_timeout=5, socket_connect_timeout=5)
    aclient = async_client(settings.broker_url, socket_connect_timeout=5)
    celery = create_celery(settings.worker(), results=False)
    celery.loader.import_default_modules()  # register the tasks, so submit can check names
    # The integration records every publish on the lifecycle stream; a task-sent
    # event as well would double the cost of each retry in a bulk job.
    celery.conf.task_send_sent_event = False
    queues_ = BrokerQueues(client)
    chooser = SourceChooser(settings.ledger_source)
    quota_service = Quotas(client, settings.quota_default)
    exporter = Metrics()
    exporter.start_rejections(tiers)
    limiter = RateLimiter(client, tiers, settings.ratelimit_window_s, settings.ratelimit_bucket_s)

    shared = None
    if settings.helpers:
        helpers = [
            IngestHelper(settings.ledger_database_url, f"{settings.instance}-{n + 1}")
            for n in range(settings.helpers)
        ]
        shared = SharedIngest(helpers, before=chooser.saw_stream_entries, after=exporter.add)

    def free_slots(records: list[LifecycleRecord]) -> None:
        """Slots of finished tasks freed, and of tasks delivered again taken back (from the
        records, whether or not the ledger takes them)."""
        try:
            quota_service.apply_records(records)
        except Exception as exc:
            if not broker_unavailable(exc):
                raise
            log.warning("quotas: cannot free slots now (%s); freed when the broker is back", exc)

    def into_ledger(records: list[LifecycleRecord]) -> None:
        labels: dict[str, TaskLabels] = {}
        ledger.apply(records, labels)  # the labels from the rows written: no second read
        exporter.observe(records, labels)

    def apply(records: list[LifecycleRecord]) -> None:
        """Celery events: quota slots, then into the ledger and the metrics (by the ingest
        helpers, if any)."""
        free_slots(records)
        if shared is None:
            into_ledger(records)
        else:
            shared.apply_records(records)

    def apply_stream(records: list[LifecycleRecord]) -> None:
        """The stream: into the ledger, then the metrics. Its slots are freed by a reader of
        the stream of its own (``quota_releases``), even while the ledger cannot write."""
        into_ledger(records)
        chooser.saw_stream_records(records)

    results = sync_client(settings.result_backend_url, socket_timeout=5)
    events = EventIngestor(ledger, results, chooser, apply=apply, buffer=settings.events_buffer,
                           on_drop=exporter.events_dropped.inc)  # fmt: skip
    environment = EnvironmentService(
        client, celery, queues_, settings.transport_sep or None, settings.steps,
        settings.queue_list, chooser, events,
    )  # fmt: skip
    actions_ = Actions(
        ledger, audit_log, queues_, client, celery, environment, quotas=quota_service,
        bulk_lease_s=settings.bulk_lease_s,
    )  # fmt: skip
    workers_ = WorkerMonitor(
        celery,
        settings.worker_timeout_s,
        task_sink=events.feed,
        prepare=environment.learn_before_binding,
    )
    reconciler = QuotaReconciler(ledger, quota_service)
    watch = BrokerWatch(
        client, results, ledger, queues_, environment, settings.lost_confirm_s,
        on_lost=exporter.tasks_lost.inc,
        on_checked=lambda: reconciler.reconcile_all(add=True),
    )  # fmt: skip
    redelivery = RedeliveryWatch(
        ledger, queues_, results, workers_, quota_service, settings.worker_timeout_s,
        settings.lost_confirm_s, configured_timeout_s=settings.visibility_timeout_s,
    )  # fmt: skip
    environment.redelivery = redelivery.visibility
    return Services(
        settings=settings,
        ledger=ledger,
        audit=audit_log,
        tokens=tokens,
        redis=client,
        aredis=aclient,
        celery=celery,
        queues=queues_,
        environment=environment,
        actions=actions_,
        workers=workers_,
        ingestor=StreamIngestor(
            aclient,
            ledger,
            settings.instance,
            apply=apply_stream,
            claim_idle_s=settings.stream_claim_idle_s,
            shared=shared,
        ),  # fmt: skip
        events=events,
        source=chooser,
        quotas=quota_service,
        submit_keys=SubmitKeys(
            client, ledger, settings.idempotency_s, settings.idempotency_stale_s
        ),
        limiter=limiter,
        anomalies=AnomalyDetector(client, limiter),
        metrics=exporter,
        user_tiers=user_tiers,
        quota_reconcile=reconciler,
        broker_watch=watch,
        quota_releases=QuotaReleases(
            aclient, settings.instance, claim_idle_s=settings.stream_claim_idle_s
        ),
        ledger_probe=LedgerWriteProbe(ledger.engine),
        redelivery=redelivery,
        alertmanager=Alertmanager(
            open_client(settings.alertmanager_url, settings.alertmanager_timeout_s)
        ),
    )


async def _retention(services: Services) -> None:
    days = services.settings.retention_days
    while True:
        cutoff = time.time() - days * 86400
        try:
            removed = await asyncio.to_thread(services.ledger.purge, cutoff)
            await services.aredis.zremrangebyscore(lc.CANCELLED_KEY, "-inf", cutoff)
            if removed:
                log.info("retention: removed %d tasks older than %.0f days", removed, days)
        except Exception as exc:  # noqa: BLE001 - try again next round
            log.warning("retention: %s", exc)
        await asyncio.sleep(RETENTION_EVERY_S)


async def _every(seconds: float, work: Callable[[], object], what: str) -> None:
    """Run blocking ``work`` in a thread every ``seconds``, logging (not raising) failures."""
    while True:
        await asyncio.sleep(seconds)
        try:
            await asyncio.to_thread(work)
        except Exception as exc:  # noqa: BLE001 - next round
            log.warning("%s: %s", what, exc)


async def _start_helper(helper: IngestHelper) -> None:
    try:
        await asyncio.to_thread(helper.warm)
    except Exception as exc:  # noqa: BLE001 - started again with the first batch it gets
        log.warning("ingest helper %s: %s", helper.name, exc)


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    services: Services = app.state.services
    services.workers.start()
    try:
        await asyncio.to_thread(services.source.seed_from_stream, services.redis)
    except Exception as exc:  # noqa: BLE001 - the broker may be down; decided again as records come
        log.warning("ledger source: cannot look at the stream yet: %s", exc)
    # What startup made lives as long as the process: out of the collector's way, so the
    # full collections the ingest's allocations bring about do not walk it again each time.
    gc.freeze()
    shared = services.ingestor.shared
    if shared is not None:  # started beside the backend, not at the first burst's expense
        for helper in shared.helpers:
            services.spawn(_start_helper(helper))
    services.spawn(services.ingestor.run())
    services.spawn(services.quota_releases.run())
    services.spawn(services.events.run())
    services.spawn(_retention(services))
    services.spawn(
        _every(
            services.settings.quota_reconcile_s, services.quota_reconcile.reconcile_all, "quotas"
        )
    )
    services.spawn(_every(services.limiter.bucket_s / 4, services.anomalies.run_once, "anomalies"))
    services.spawn(_every(REFRESH_S, services.environment.learn, "transport"))
    services.spawn(
        _every(services.settings.broker_watch_s, services.broker_watch.run_once, "broker watch")
    )
    services.spawn(
        _every(services.settings.broker_watch_s, services.redelivery.run_once, "redelivery")
    )
    # Unfinished jobs no live backend holds (those a restart interrupted at once, and later
    # those whose backend died) are claimed and resumed here.
    services.actions.bulk.start()
    try:
        yield
    finally:
        for task in list(services.background):
            task.cancel()
        await asyncio.gather(*services.background, return_exceptions=True)
        services.workers.stop()
        if shared is not None:
            await asyncio.to_thread(shared.stop)
        await asyncio.to_thread(services.actions.bulk.stop)
        services.actions.bulk.job_pool.shutdown(wait=False, cancel_futures=True)
        await services.aredis.aclose()
        services.redis.close()
        services.events.results.close()
        services.celery.close()
        services.ledger.close()
        if services.alertmanager.client is not None:
            await services.alertmanager.client.aclose()


def create_app(settings: Settings, services: Services | None = None) -> FastAPI:
    app = FastAPI(title="TaskDeck backend", version=__version__, lifespan=lifespan)
    app.state.settings = settings
    app.state.services = services or build_services(settings)
    install_error_handlers(app)
    app.add_exception_handler(AlertmanagerError, silences.alertmanager_error)
    app.add_middleware(RateLimitHeaders)
    app.state.routers = []
    for module in (
        health,
        metrics,
        me,
        tasks,
        actions,
        failures,
        queues,
        workers,
        audit,
        quotas,
        quota_default,
        ratelimits,
        silences,
        stats,
        environment,
    ):
        app.include_router(module.router)
        app.state.routers.append(module.router)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's description, completed with what only the running service knows."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title, version=app.version, routes=app.routes,
            description="Every error answers {error, detail}; see each route's responses.",
        )  # fmt: skip
        openapi.complete(app.state.routers, schema)
        services: Services = app.state.services
        names = sorted(n for n in services.celery.tasks if not n.startswith("celery."))
        bodies = schema["components"]["schemas"]
        bodies["SubmitBody"]["properties"]["name"]["enum"] = names
        # Errors answer ErrorBody, not FastAPI's own validation error shape.
        if "HTTPValidationError" not in json.dumps(schema["paths"]):
            bodies.pop("HTTPValidationError", None)
            bodies.pop("ValidationError", None)
        app.openapi_schema = schema
    return app.openapi_schema


def _fail(message: str) -> None:
    print(f"taskdeck-backend: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def unwritable(settings: Settings) -> str | None:
    """Why the backend could not write its files (the data dir, a SQLite ledger), or None:
    a directory it cannot make or write a byte in, a ledger file it may not write."""
    places = [(settings.data_dir, "TASKDECK_DATA_DIR")]
    url = make_url(settings.ledger_database_url)
    database = Path(url.database) if url.database and url.database != ":memory:" else None
    if url.get_backend_name() == "sqlite" and database is not None:
        places.append((database.parent, "TASKDECK_LEDGER_URL"))
    for directory, setting in places:
        if directory.exists() and not directory.is_dir():
            why = "it is a file, not a directory"
        else:
            try:
                directory.mkdir(parents=True, exist_ok=True)
                with tempfile.TemporaryFile(dir=directory) as probe:
                    probe.write(b"x")
                    probe.flush()
                continue
            except OSError as exc:
                why = exc.strerror or str(exc)
        return (
            f"cannot write to {directory} ({why}); free space there or let this user write "
            f"it (chown/chmod), or point {setting} at a directory it can write, and start again"
        )
    if url.get_backend_name() == "sqlite" and database is not None:
        if database.exists() and not os.access(database, os.W_OK):
            return (
                f"cannot write the ledger {database} (permission denied); let this user write "
                "it (chown/chmod), or point TASKDECK_LEDGER_URL at another, and start again"
            )
    return None


def cli(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="taskdeck-backend",
        description="Run the TaskDeck backend. Settings come from TASKDECK_* environment variables.",
    )
    parser.add_argument("--host", help="address to listen on (TASKDECK_HOST, default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (TASKDECK_PORT, default 8400)")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        _fail(f"{exc}. Fix the environment variable and start again.")
        return
    if args.host:
        settings.host = args.host
    if args.port is not None:
        if not 0 < args.port < 65536:
            _fail(f"--port {args.port} is not a port number; use 1-65535")
        settings.port = args.port
    if not port_is_free(settings.port, settings.host):
        _fail(
            f"port {settings.port} on {settings.host} is already in use; choose another with "
            "--port (or TASKDECK_PORT), or stop the program that holds it"
        )
    problem = unwritable(settings)
    if problem:
        _fail(problem)
    broker = asyncio.run(check_redis("broker", settings.broker_url, settings.health_timeout_s))
    if not broker.up:
        print(
            f"taskdeck-backend: warning: the broker at {redact_url(settings.broker_url)} is "
            f"unreachable ({broker.error}); serving anyway and reporting it in /health. "
            "Start Redis or point TASKDECK_BROKER_URL at a reachable broker.",
            file=sys.stderr,
        )
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        app = create_app(settings)
    except TokenConfigError as exc:
        _fail(f"{exc}. Fix TASKDECK_TOKENS or TASKDECK_TOKENS_FILE and start again.")
        return
    except (RateLimitConfigError, TierConfigError) as exc:
        _fail(f"{exc}. Fix it and start again.")
        return
    except Exception as exc:  # noqa: BLE001 - e.g. the ledger database cannot be opened
        _fail(f"cannot start: {type(exc).__name__}: {exc}")
        return
    if not len(app.state.services.tokens):
        print(
            "taskdeck-backend: warning: no tokens configured (TASKDECK_TOKENS or "
            "TASKDECK_TOKENS_FILE); every API call except /health will answer 401",
            file=sys.stderr,
        )
    if not settings.metrics_token and not settings.metrics_open:
        print(
            "taskdeck-backend: warning: /metrics answers 403 to every scrape: set "
            "TASKDECK_METRICS_TOKEN and give Prometheus the same token, or "
            "TASKDECK_METRICS_OPEN=1 to serve it without one",
            file=sys.stderr,
        )

    import uvicorn

    # uvicorn would believe X-Forwarded-For from 127.0.0.1 by default: any local process
    # could then pass for any address. Only the configured proxies are believed.
    proxies = settings.trusted_proxy_list
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level="info",
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or None,
    )


if __name__ == "__main__":
    cli()
