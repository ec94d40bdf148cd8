"""/api/v1/workers: worker health from heartbeats."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from backend.api.deps import CurrentUser, ServicesDep

router = APIRouter(prefix="/api/v1/workers", tags=["workers"])


@router.get("")
def list_workers(services: ServicesDep, who: CurrentUser) -> list[dict[str, Any]]:
    return services.workers.snapshot()
