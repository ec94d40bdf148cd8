"""/api/v1/actions/bulk: cancel, retry or reprioritise many tasks as a background job."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter

from backend.api.body import json_body
from backend.api.deps import CurrentUser, ServicesDep, authorise
from backend.api.errors import AUTHENTICATED, UNAVAILABLE, answers
from backend.api.limits import LIMITED_SUPPORT, LimitedSupport
from backend.api.schemas import BulkBody, as_epoch
from backend.services.bulk import BulkRequest
from backend.services.ledger import TaskFilter
from taskdeck_core.api_types import (
    BulkAccepted,
    BulkDryRun,
    BulkItemInfo,
    BulkItemPage,
    BulkJob,
)

router = APIRouter(prefix="/api/v1/actions", tags=["actions"])
_SUBMITTED: TypeAdapter[BulkDryRun | BulkAccepted] = TypeAdapter(BulkDryRun | BulkAccepted)
# 100,000 task ids of 64 characters, as JSON, with room for the other fields.
BULK_MAX_BYTES = 8 << 20
BulkIn = Annotated[BulkBody, json_body(BulkBody, LIMITED_SUPPORT, max_bytes=BULK_MAX_BYTES)]
JobIdPath = Annotated[str, Path(max_length=64)]


@router.post(
    "/bulk",
    status_code=202,
    response_model=BulkAccepted,
    responses={
        200: {"model": BulkDryRun,
              "description": "A dry run: what the job would do if it ran now, items per outcome."},
        202: {"description": "The job is queued (or was already, for this idempotency key)."},
        **answers(*AUTHENTICATED, UNAVAILABLE, 400, 403, 404, 409, 422),
    },
)  # fmt: skip
async def bulk(body: BulkIn, services: ServicesDep, who: LimitedSupport) -> Any:
    """Start a job over task_ids or a filter; poll it with its job_id.

    Each task is an item with its own outcome, decided as the single routes decide:
    a task they refuse (unknown: 404, finished or not waiting: 409) is a failed item
    here (not_found, already_finished, not_queued, not_retryable), so that a large
    selection that has gone stale in part still acts on the rest. 404 only if nothing
    at all would be acted on: a filter that matches no task, or task_ids none of which
    is in the ledger (or, for cancel and priority, waiting in a queue).
    dry_run changes nothing and answers what the job would do now: items per outcome.
    The same idempotency_key answers the same job, also for identical requests sent at
    the same moment; with another request, 409."""
    if body.action == "priority":
        authorise(who, "admin")
    flt = None
    if body.filter is not None:
        flt = TaskFilter(
            signature=body.filter.failure_group, name=body.filter.name,
            state=body.filter.state, user=body.filter.user, queue=body.filter.queue,
            since=as_epoch(body.filter.since), until=as_epoch(body.filter.until),
            lost=body.filter.lost, retried=body.filter.retried,
        )  # fmt: skip
    req = BulkRequest(
        action=body.action, reason=body.reason, idempotency_key=body.idempotency_key,
        task_ids=body.task_ids, filter=flt, priority=body.priority, dry_run=body.dry_run,
    )  # fmt: skip
    raw, created = await asyncio.to_thread(services.actions.bulk.submit, who, req)
    answer = _SUBMITTED.validate_python(raw, from_attributes=True)
    if isinstance(answer, BulkDryRun):
        return JSONResponse(answer.model_dump(mode="json"), status_code=200)
    if created:
        services.spawn(services.start_job(answer.job_id))
    return answer


@router.get(
    "/bulk/{job_id}",
    response_model=BulkJob,
    responses=answers(*AUTHENTICATED, UNAVAILABLE, 404, 422),
)
def bulk_status(job_id: JobIdPath, services: ServicesDep, who: CurrentUser) -> BulkJob:
    """A job's progress: counts per outcome and the first errors."""
    job = services.actions.bulk.status(job_id)
    if job is None:
        raise HTTPException(404, f"no bulk job with id {job_id!r}")
    return BulkJob.model_validate(job, from_attributes=True)


@router.get(
    "/bulk",
    response_model=list[BulkJob],
    responses=answers(*AUTHENTICATED, UNAVAILABLE, 422),
)
def bulk_jobs(
    services: ServicesDep,
    who: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    mine: Annotated[bool, Query(description="only the jobs the caller started")] = False,
) -> list[BulkJob]:
    """The newest jobs, newest first, each with its progress as GET /bulk/{job_id} has it."""
    found = services.actions.bulk.recent(limit, who.user if mine else None)
    return [BulkJob.model_validate(job, from_attributes=True) for job in found]


@router.get(
    "/bulk/{job_id}/items",
    response_model=BulkItemPage,
    responses=answers(*AUTHENTICATED, UNAVAILABLE, 400, 404, 422),
)
def bulk_items(
    job_id: JobIdPath,
    services: ServicesDep,
    who: CurrentUser,
    outcome: Annotated[
        str | None,
        Query(
            max_length=32,
            description="only items with this outcome (e.g. retried, not_found); pending: "
            "items not acted on yet",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    cursor: Annotated[
        str | None, Query(max_length=500, description="next_cursor of the previous page")
    ] = None,
) -> BulkItemPage:
    """A job's items in order, each with its outcome; 400 for a cursor this API did not
    hand out."""
    page = services.actions.bulk.items(job_id, outcome, limit, cursor)
    if page is None:
        raise HTTPException(404, f"no bulk job with id {job_id!r}")
    items, next_cursor = page
    return BulkItemPage(
        items=[BulkItemInfo.model_validate(i, from_attributes=True) for i in items],
        next_cursor=next_cursor,
    )
