"""/api/v1/audit: every change, newest first."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from backend.api.deps import CurrentUser, ServicesDep

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


@router.get("")
def list_audit(
    services: ServicesDep,
    who: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> dict[str, Any]:
    items, next_cursor = services.audit.list_entries(limit, cursor)
    return {"items": items, "next_cursor": next_cursor}
