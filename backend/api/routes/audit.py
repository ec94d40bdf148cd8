"""/api/v1/audit: every change, newest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from backend.api.deps import CurrentUser, ServicesDep
from backend.api.errors import AUTHENTICATED, UNAVAILABLE, answers
from backend.api.schemas import Time, as_epoch
from backend.services.audit import AuditFilter
from taskdeck_core.api_types import AuditEntry, AuditPage

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


@router.get("", response_model=AuditPage, responses=answers(*AUTHENTICATED, UNAVAILABLE, 400, 422))
def list_audit(
    services: ServicesDep,
    who: CurrentUser,
    user: Annotated[str | None, Query(max_length=150, description="who acted (exact)")] = None,
    action: Annotated[
        str | None, Query(max_length=100, description="e.g. cancel, retry, bulk_retry (exact)")
    ] = None,
    since: Annotated[
        Time | None, Query(description="entries at or after: epoch seconds or ISO 8601")
    ] = None,
    until: Annotated[
        Time | None, Query(description="entries before: epoch seconds or ISO 8601")
    ] = None,
    task_id: Annotated[
        str | None,
        Query(
            max_length=64,
            description="entries that act on this task: alone, or as an item of a bulk job",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[
        str | None, Query(max_length=500, description="next_cursor of the previous page")
    ] = None,
) -> AuditPage:
    """Who changed what, when and why, filtered; 400 for a cursor this API did not hand out."""
    f = AuditFilter(
        user=user, action=action, since=as_epoch(since), until=as_epoch(until), task_id=task_id
    )
    items, next_cursor = services.audit.list_entries(limit, cursor, f)
    return AuditPage(
        items=[AuditEntry.model_validate(item, from_attributes=True) for item in items],
        next_cursor=next_cursor,
    )
