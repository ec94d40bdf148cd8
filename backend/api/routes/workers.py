"""/api/v1/workers: worker health from heartbeats."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, HTTPException

from backend.api.body import json_body
from backend.api.deps import CurrentUser, ServicesDep
from backend.api.errors import AUTHENTICATED, UNAVAILABLE, answers
from backend.api.limits import LIMITED_ADMIN, LimitedAdmin
from backend.api.schemas import WorkerControlBody
from backend.services.redelivery import with_redelivery
from backend.services.worker_control import (
    CONTROL_TIMEOUT_S,
    SIZE_TIMEOUT_S,
    WorkerControlError,
    check_shrink,
    check_workers,
    send,
)
from backend.services.worker_detail import DETAIL_TIMEOUT_S, ask_worker
from taskdeck_core.api_types import ErrorBody, WorkerControlResult, WorkerDetail, WorkerInfo
from taskdeck_core.worker_commands import POOL_COMMANDS

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


ControlIn = Annotated[WorkerControlBody, json_body(WorkerControlBody, LIMITED_ADMIN)]
_CONTROL_ANSWERS = {
    **answers(*AUTHENTICATED, UNAVAILABLE, 400, 403, 422),
    404: {"model": ErrorBody, "description": "The backend has never heard of a worker named."},
    409: {
        "model": ErrorBody,
        "description": "A worker named is offline (since its last heartbeat); nothing was sent.",
    },
    422: {
        "model": ErrorBody,
        "description": "The body is invalid, or a pool_shrink would leave a worker fewer "
        "than 1 process (its current size and the most it may shrink by are named); "
        "nothing was sent.",
    },
}


@router.post("/control", response_model=WorkerControlResult, responses=_CONTROL_ANSWERS)
async def control_workers(
    body: ControlIn, services: ServicesDep, who: LimitedAdmin
) -> WorkerControlResult:
    """Send a control command to the named workers only (admin): grow or shrink the pool,
    autoscale, a task type's rate or time limits, consume from a queue or stop, or a warm
    shutdown. Each worker gets %g s to reply; a refusal is ok=false with the worker's
    message. A shrink that would leave a worker fewer than 1 process (by its stats, asked
    first) is refused with 422 and nothing is sent. A worker does not reply to a shutdown: the answer's note says so, and the
    worker going offline confirms it. Recorded in the audit log (worker_control) first."""
    try:
        known = services.workers.snapshot()
        hostnames = check_workers(known, body.workers)
        if body.command == "pool_shrink" and body.n is not None:
            await asyncio.to_thread(
                check_shrink, services.celery, known, hostnames, body.n, SIZE_TIMEOUT_S
            )
    except WorkerControlError as exc:
        raise HTTPException(exc.status, exc.detail) from None
    arguments = body.arguments()
    request = {"command": body.command, "arguments": arguments, "workers": hostnames,
               "reason": body.reason}  # fmt: skip
    audit_id = await asyncio.to_thread(
        services.audit.begin, who, "worker_control", hostnames, len(hostnames), body.reason,
        request,
    )  # fmt: skip
    try:
        outcome = await asyncio.to_thread(
            send, services.celery, body.command, arguments, hostnames, CONTROL_TIMEOUT_S
        )
    except Exception as exc:
        await asyncio.to_thread(
            services.audit.finish, audit_id, "failed", {"error": str(exc)[:300]}
        )
        raise  # the broker's 503, by the app's handlers
    if body.command in POOL_COMMANDS:
        for reply in outcome.replies:  # a refused pool change may be half done: ask too
            services.workers.recheck_pool(reply.hostname)
    result = WorkerControlResult(
        command=body.command,
        arguments=arguments,
        timeout_s=0 if body.command == "shutdown" else CONTROL_TIMEOUT_S,
        sent=hostnames,
        replies=outcome.replies,
        no_reply=outcome.no_reply,
        note=outcome.note,
        audit_id=audit_id,
    )
    status = "ok" if all(r.ok for r in outcome.replies) and not outcome.no_reply else "partial"
    await asyncio.to_thread(
        services.audit.finish, audit_id, status,
        result.model_dump(include={"replies", "no_reply", "note"}),
    )  # fmt: skip
    return result


control_workers.__doc__ = (control_workers.__doc__ or "") % CONTROL_TIMEOUT_S
