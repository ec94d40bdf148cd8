"""/api/v1/workers: worker health from heartbeats."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, HTTPException

from backend.api.deps import CurrentUser, ServicesDep
from backend.api.errors import AUTHENTICATED, UNAVAILABLE, answers
from backend.services.redelivery import with_redelivery
from backend.services.worker_detail import DETAIL_TIMEOUT_S, ask_worker
from taskdeck_core.api_types import ErrorBody, WorkerDetail, WorkerInfo

router = APIRouter(prefix="/api/v1/workers", tags=["workers"])


@router.get("", response_model=list[WorkerInfo], responses=answers(*AUTHENTICATED))
def list_workers(services: ServicesDep, who: CurrentUser) -> list[WorkerInfo]:
    """Every worker heard from: online, stale (late heartbeats) or offline; its main process,
    and the tasks its dead processes held that await redelivery."""
    return with_redelivery(services.workers.snapshot(), services.ledger)


_DETAIL_ANSWERS = {
    200: {
        "description": f"The worker's answer; replied is false (with a detail) when it did not "
        f"answer within {DETAIL_TIMEOUT_S:g} s, or is offline (down_since: its last heartbeat)."
    },
    **answers(*AUTHENTICATED, 422, UNAVAILABLE),
    404: {"model": ErrorBody, "description": "The backend has never heard of that worker."},
}


@router.get("/{hostname}/detail", response_model=WorkerDetail, responses=_DETAIL_ANSWERS)
async def worker_detail(hostname: str, services: ServicesDep, who: CurrentUser) -> WorkerDetail:
    """What one worker says of itself, asked of it alone: its active, reserved (prefetched)
    and scheduled (eta/countdown) tasks, registered task names, pool, prefetch count and
    queues. Each list holds at most 200 items (totals gives the full counts). An offline
    worker is not asked."""
    known = next((w for w in services.workers.snapshot() if w.hostname == hostname), None)
    if known is None:
        raise HTTPException(404, f"no worker named {hostname!r} has been heard from")
    return await asyncio.to_thread(ask_worker, services.celery, known)
