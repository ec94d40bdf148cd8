"""GET /health: no authentication; each dependency's state and latency, whether the ledger
takes writes, the ledger's source and lag, and in ``problems`` why the status is degraded.

The ledger counts as up only if it can be read and a test write commits (a full or
read-only disk answers reads); the ingest counts as failing while its last attempt failed
(also in the seconds after the broker is back, until a batch goes through) or while stream
entries wait with no batch reaching the ledger for STALL_S.
"""

from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter, Request

from backend import __version__
from backend.api.deps import Services
from backend.services.health import WriteCheck, cause, check_redis
from taskdeck_core.api_types import (
    DependencyHealth,
    Health,
    LedgerHealth,
    LostTasksHealth,
    WorkersMonitorHealth,
)
from taskdeck_core.urls import redact_url

router = APIRouter(tags=["health"])
STALL_S = 15.0  # entries waiting this long with no batch reaching the ledger: ingest is stuck
WRITE_TIMEOUT_S = 5.0  # a test write that takes longer counts as failed
_STARTED = time.time()


async def _ledger_check(services: Services) -> tuple[DependencyHealth, WriteCheck | None]:
    target = redact_url(services.settings.ledger_database_url)
    started = time.perf_counter()
    try:
        await asyncio.to_thread(services.ledger.ping)
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        return DependencyHealth(up=False, target=target, error=f"cannot read: {cause(exc)}"), None
    latency = round((time.perf_counter() - started) * 1000, 2)
    try:
        write = await asyncio.wait_for(
            asyncio.to_thread(services.ledger_probe.check), WRITE_TIMEOUT_S
        )
    except TimeoutError:
        write = WriteCheck(False, time.time(), f"no test write within {WRITE_TIMEOUT_S:g} s")
    error = None if write.ok else f"cannot write: {write.error}"
    return DependencyHealth(up=write.ok, latency_ms=latency, target=target, error=error), write


def _problems(
    deps: dict[str, DependencyHealth], write: WriteCheck | None, ledger: LedgerHealth
) -> list[str]:
    """One sentence per thing that does not work: what, what it keeps from working, what
    to do."""
    out = []
    broker = deps["broker"]
    if not broker.up:
        out.append(
            f"the broker ({broker.target}) does not answer ({broker.error}): calls that need "
            "it (submit, cancel, retry, priority, quotas, queues) answer 503 until it is back; "
            "signing in and reading the ledger still work"
        )
    backend = deps.get("result_backend")
    if backend is not None and not backend.up:
        out.append(
            f"the result backend ({backend.target}) does not answer ({backend.error}): "
            "tasks fed from Celery events are recorded without their whole arguments and results"
        )
    store = deps["ledger"]
    if write is None:
        out.append(
            f"the ledger's database ({store.target}) {store.error}: reading tasks, failures "
            "and the audit log answers 503"
        )
    elif not write.ok:
        out.append(
            f"the ledger's database ({store.target}) {store.error}: free space on its disk or "
            "make it writable; until then changes answer 503 and new records wait in the "
            "lifecycle stream"
        )
    waiting = f"{ledger.lag} stream entries wait" if ledger.lag else "stream entries may wait"
    if not ledger.ingesting:
        out.append(f"the ledger's ingest is not running; {waiting}")
    elif ledger.error:
        out.append(f"the ledger's ingest fails ({ledger.error}) and retries; {waiting}")
    elif ledger.stalled_s is not None:
        out.append(f"{waiting}, and no batch has reached the ledger for {ledger.stalled_s:.0f} s")
    if ledger.events_dropped:
        out.append(
            f"{ledger.events_dropped} of {ledger.events_received} Celery task events were "
            "dropped because the events fallback's buffer was full: the ledger misses what "
            "they said (tasks may stay unfinished there); raise TASKDECK_EVENTS_BUFFER, or "
            "install the TaskDeck plug-in on the workers so the ledger reads the lifecycle stream"
        )
    return out


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
    """Always 200 while the backend runs: status ok, or degraded with the reasons in
    ``problems`` (a dependency down, a ledger that cannot write, an ingest that fails or
    is stuck)."""
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
    deps["ledger"], write = await _ledger_check(services)
    stats = services.ingestor.stats
    try:
        lag = await services.ingestor.lag() if deps["broker"].up else None
    except Exception:  # noqa: BLE001 - lag unknown while the broker misbehaves
        lag = None
    waited = time.time() - (stats.last_batch_at or _STARTED)
    ledger = LedgerHealth(
        source=services.source.current,
        lag=lag,
        ingesting=stats.running,
        records=stats.records + services.events.records,
        last_batch_at=stats.last_batch_at,
        error=stats.last_error,
        writable=None if write is None else write.ok,
        stalled_s=round(waited, 1) if lag and waited > STALL_S else None,
        events_received=services.events.received,
        events_dropped=services.events.dropped,
        helpers=len(shared.helpers) if (shared := services.ingestor.shared) else 0,
        helper_restarts=sum(max(h.starts - 1, 0) for h in shared.helpers) if shared else 0,
    )
    problems = _problems(deps, write, ledger)
    return Health(
        status="degraded" if problems else "ok",
        version=__version__,
        dependencies=deps,
        ledger=ledger,
        workers_monitor=WorkersMonitorHealth(
            connected=services.workers.connected, error=services.workers.last_error
        ),
        lost_tasks=await _lost_tasks(services),
        problems=problems,
    )
