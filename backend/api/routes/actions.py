"""/api/v1/actions/bulk: cancel, retry or reprioritise many tasks as a background job."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path
from fastapi.responses import JSONResponse

from backend.api.deps import CurrentUser, ServicesDep
from backend.api.limits import LimitedSupport
from backend.api.schemas import BulkBody, as_epoch
from backend.services.bulk import BulkDryRun, BulkRequest
from backend.services.ledger import TaskFilter
from backend.services.ledger_jobs import BulkJobStatus
from taskdeck_core import lifecycle as lc

router = APIRouter(prefix="/api/v1/actions", tags=["actions"])


@router.post("/bulk", status_code=202)
async def bulk(body: BulkBody, services: ServicesDep, who: LimitedSupport) -> Any:
    if body.action == "priority" and not who.may("admin"):
        raise HTTPException(
            403, f"changing priority needs the admin role; {who.user} is {who.role}"
        )
    flt = None
    if body.filter is not None:
        state = body.filter.state.upper() if body.filter.state else None
        if state is not None and state not in lc.STATES:
            raise HTTPException(
                422, f"filter.state: {body.filter.state!r} is not one of {', '.join(lc.STATES)}"
            )
        flt = TaskFilter(
            signature=body.filter.failure_group, name=body.filter.name, state=state,
            user=body.filter.user, queue=body.filter.queue,
            since=as_epoch(body.filter.since), until=as_epoch(body.filter.until),
        )  # fmt: skip
    req = BulkRequest(
        action=body.action, reason=body.reason, idempotency_key=body.idempotency_key,
        task_ids=body.task_ids, filter=flt, priority=body.priority, dry_run=body.dry_run,
    )  # fmt: skip
    answer, created = await asyncio.to_thread(services.actions.bulk.submit, who, req)
    if isinstance(answer, BulkDryRun):
        return JSONResponse(asdict(answer), status_code=200)
    if created:
        services.spawn(services.start_job(answer.job_id))
    return answer


@router.get("/bulk/{job_id}")
def bulk_status(
    job_id: Annotated[str, Path(max_length=64)], services: ServicesDep, who: CurrentUser
) -> BulkJobStatus:
    job = services.actions.bulk.status(job_id)
    if job is None:
        raise HTTPException(404, f"no bulk job with id {job_id!r}")
    return job
