"""GET /health: no authentication; each dependency's state and latency, the ledger's source and lag."""

from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter, Request

from backend import __version__
from backend.api.deps import Services
from backend.services.health import check_redis
from taskdeck_core.api_types import (
    DependencyHealth,
    Health,
    LedgerHealth,
    LostTasksHealth,
    WorkersMonitorHealth,
)

router = APIRouter(tags=["health"])


async def _ledger_check(services: Services) -> DependencyHealth:
    started = time.perf_counter()
    try:
        await asyncio.to_thread(services.ledger.ping)
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        return DependencyHealth(up=False, latency_ms=None, error=f"{type(exc).__name__}: {exc}")
    return DependencyHealth(up=True, latency_ms=round((time.perf_counter() - started) * 1000, 2))


async def _lost_tasks(services: Services) -> LostTasksHealth | None:
    """Tasks the broker lost, and its restarts; None while the ledger cannot be read."""
    try:
        lost, last_lost_at = await asyncio.to_thread(services.ledger.lost_summary)
    except Exception:  # noqa: BLE001 - the ledger's own check reports why
        return None
    watch = services.broker_watch.status
    return LostTasksHealth(
        lost=lost, last_lost_at=last_lost_at, broker_aof=watch.aof_enabled,
        broker_restarts=watch.restarts, last_restart_at=watch.last_restart_at,
        last_check_at=watch.last_check_at, checking=watch.suspects,
    )  # fmt: skip


@router.get("/health", response_model=Health)
async def health(request: Request) -> Health:
    """Always 200 while the backend runs: status ok, or degraded with the failing dependency."""
    services: Services = request.app.state.services
    settings = services.settings
    checks = [check_redis("broker", settings.broker_url, settings.health_timeout_s)]
    if settings.result_backend_url != settings.broker_url:
        checks.append(
            check_redis("result_backend", settings.result_backend_url, settings.health_timeout_s)
        )
    states = await asyncio.gather(*checks)
    deps = {
        s.name: DependencyHealth(up=s.up, latency_ms=s.latency_ms, target=s.target, error=s.error)
        for s in states
    }
    deps["ledger"] = await _ledger_check(services)
    stats = services.ingestor.stats
    try:
        lag = await services.ingestor.lag() if deps["broker"].up else None
    except Exception:  # noqa: BLE001 - lag unknown while the broker misbehaves
        lag = None
    ledger = LedgerHealth(
        source=services.source.current,
        lag=lag,
        ingesting=stats.running,
        records=stats.records + services.events.records,
        last_batch_at=stats.last_batch_at,
        error=stats.last_error,
    )
    return Health(
        status="ok" if all(d.up for d in deps.values()) else "degraded",
        version=__version__,
        dependencies=deps,
        ledger=ledger,
        workers_monitor=WorkersMonitorHealth(
            connected=services.workers.connected, error=services.workers.last_error
        ),
        lost_tasks=await _lost_tasks(services),
    )
