"""/api/v1/audit: every change, newest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from backend.api.deps import CurrentUser, ServicesDep
from backend.api.errors import AUTHENTICATED, UNAVAILABLE, answers
from taskdeck_core.api_types import AuditEntry, AuditPage

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


@router.get("", response_model=AuditPage, responses=answers(*AUTHENTICATED, UNAVAILABLE, 400, 422))
def list_audit(
    services: ServicesDep,
    who: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[
        str | None, Query(max_length=500, description="next_cursor of the previous page")
    ] = None,
) -> AuditPage:
    """Who changed what, when and why; 400 for a cursor this API did not hand out."""
    items, next_cursor = services.audit.list_entries(limit, cursor)
    return AuditPage(
        items=[AuditEntry.model_validate(item, from_attributes=True) for item in items],
        next_cursor=next_cursor,
    )
