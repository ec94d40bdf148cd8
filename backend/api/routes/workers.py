"""/api/v1/workers: worker health from heartbeats."""

from __future__ import annotations

from fastapi import APIRouter

from backend.api.deps import CurrentUser, ServicesDep
from backend.api.errors import AUTHENTICATED, answers
from backend.services.redelivery import with_redelivery
from taskdeck_core.api_types import WorkerInfo

router = APIRouter(prefix="/api/v1/workers", tags=["workers"])


@router.get("", response_model=list[WorkerInfo], responses=answers(*AUTHENTICATED))
def list_workers(services: ServicesDep, who: CurrentUser) -> list[WorkerInfo]:
    """Every worker heard from: online, stale (late heartbeats) or offline; its main process,
    and the tasks its dead processes held that await redelivery."""
    return with_redelivery(services.workers.snapshot(), services.ledger)
