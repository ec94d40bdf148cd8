"""/api/v1/tasks: submit, list, read; cancel, retry and priority of one task."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response

from backend.api.deps import CurrentUser, ServicesDep, SupportUser
from backend.api.errors import TooManyRequests
from backend.api.limits import LimitedAdmin, LimitedSupport, enforce
from backend.api.schemas import CancelBody, PriorityBody, RetryBody, SubmitBody, parse_time
from backend.services.actions import ActionAnswer
from backend.services.ledger import TaskFilter
from backend.services.ledger_rows import TaskDetail
from backend.services.tiers import tier_of
from taskdeck_core import lifecycle as lc
from taskdeck_core.priority import to_celery_priority
from taskdeck_core.transport import QUEUES
from taskdeck_worker.integration import TIER_HEADER, USER_HEADER

router = APIRouter(prefix="/api/v1/tasks", tags=["tasks"])
QUOTA_RETRY_S = 5  # a hint: slots free up as tasks finish, not on a clock
TaskIdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


@router.post("", status_code=202)
def submit(
    body: SubmitBody, request: Request, response: Response, services: ServicesDep, who: SupportUser
) -> dict[str, Any]:
    # The limit and the quota are those of the user the task runs for.
    tier = tier_of(body.user, who, services.user_tiers)
    enforce(services, request, response, f"user:{body.user}", tier, "data_sync", who.user)
    app = services.celery
    if body.name not in app.tasks or body.name.startswith("celery."):
        known = sorted(n for n in app.tasks if not n.startswith("celery."))
        raise HTTPException(422, f"name: unknown task {body.name!r}; known: {', '.join(known)}")
    if body.queue is not None and body.queue not in QUEUES:
        raise HTTPException(422, f"queue: {body.queue!r} is not one of {', '.join(QUEUES)}")
    task_id = str(uuid.uuid4())
    admission = services.quotas.take(body.user, task_id)
    if not admission.taken:
        raise TooManyRequests(
            "quota_exceeded",
            f"{body.user} has {admission.used} of {admission.limit} tasks queued or running; "
            "wait for one to finish, or ask an admin to raise the quota",
            {"X-RateLimit-Limit": str(admission.limit), "X-RateLimit-Remaining": "0",
             "X-RateLimit-Reset": str(QUOTA_RETRY_S), "Retry-After": str(QUOTA_RETRY_S)},
            {"user": body.user, "used": admission.used, "limit": admission.limit},
        )  # fmt: skip
    try:
        app.send_task(
            body.name,
            args=body.args,
            kwargs=body.kwargs,
            task_id=task_id,
            queue=body.queue,
            priority=to_celery_priority(body.priority),
            headers={USER_HEADER: body.user, TIER_HEADER: tier},
        )
    except Exception:
        services.quotas.release([task_id])
        raise
    return {"task_id": task_id}


@router.get("")
def list_tasks(
    services: ServicesDep,
    who: CurrentUser,
    state: Annotated[str | None, Query()] = None,
    name: Annotated[str | None, Query(max_length=200)] = None,
    user: Annotated[str | None, Query(max_length=150)] = None,
    queue: Annotated[str | None, Query(max_length=100)] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    since: Annotated[str | None, Query()] = None,
    until: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> dict[str, Any]:
    if state is not None and state.upper() not in lc.STATES:
        raise HTTPException(422, f"state: {state!r} is not one of {', '.join(lc.STATES)}")
    f = TaskFilter(
        state=state.upper() if state else None,
        name=name, user=user, queue=queue, q=q,
        since=parse_time(since, "since"), until=parse_time(until, "until"),
    )  # fmt: skip
    items, next_cursor = services.ledger.list_tasks(f, limit, cursor)
    return {"items": items, "next_cursor": next_cursor}


@router.get("/{task_id}")
def get_task(task_id: TaskIdPath, services: ServicesDep, who: CurrentUser) -> TaskDetail:
    task = services.ledger.get(task_id)
    if task is None:
        raise HTTPException(404, f"no task with id {task_id!r} in the ledger")
    return task


@router.post("/{task_id}/cancel")
def cancel(
    task_id: TaskIdPath, body: CancelBody, services: ServicesDep, who: LimitedSupport
) -> ActionAnswer:
    return services.actions.cancel(who, task_id, body.reason)


@router.post("/{task_id}/retry")
def retry(
    task_id: TaskIdPath, body: RetryBody, services: ServicesDep, who: LimitedSupport
) -> ActionAnswer:
    return services.actions.retry(who, task_id, body.reason, body.priority)


@router.post("/{task_id}/priority")
def set_priority(
    task_id: TaskIdPath, body: PriorityBody, services: ServicesDep, who: LimitedAdmin
) -> ActionAnswer:
    return services.actions.set_priority(who, task_id, body.priority, body.reason)
