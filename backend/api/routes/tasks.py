"""/api/v1/tasks: submit, list, read; cancel, retry and priority of one task."""

from __future__ import annotations

import contextlib
import logging
import uuid
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request
from sqlalchemy.exc import SQLAlchemyError

from backend.api.body import MAX_BODY_BYTES, json_body
from backend.api.deps import CurrentUser, ServicesDep
from backend.api.errors import AUTHENTICATED, UNAVAILABLE, TooManyRequests, answers, shown
from backend.api.limits import (
    LIMITED_ADMIN,
    LIMITED_SUPPORT,
    SUBMITTER,
    LimitedAdmin,
    LimitedSupport,
    Submitter,
    enforce,
    refused_submission,
)
from backend.api.schemas import (
    MAX_ARGUMENTS_BYTES,
    TASK_ID_PATTERN,
    CancelBody,
    PriorityBody,
    RetryBody,
    State,
    SubmitBody,
    Time,
    arguments_size,
    as_epoch,
)
from backend.services.action_steps import STEPS_UNKNOWN, ActionError
from backend.services.environment import NotWritable
from backend.services.ledger import TaskFilter
from backend.services.publishing import publishing
from backend.services.submit_keys import digest
from backend.services.tiers import tier_of
from taskdeck_core.api_types import (
    ActionResult,
    ErrorBody,
    Submitted,
    TaskDetail,
    TaskPage,
    TaskSummary,
)
from taskdeck_core.priority import to_celery_priority
from taskdeck_core.transport import QUEUES
from taskdeck_worker.integration import TIER_HEADER, USER_HEADER

router = APIRouter(prefix="/api/v1/tasks", tags=["tasks"])
log = logging.getLogger("taskdeck.api")
QUOTA_RETRY_S = 5  # a hint: slots free up as tasks finish, not on a clock
TaskIdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=TASK_ID_PATTERN)]
# Bodies, each read once the caller is authenticated, counted and authorised.
SubmitIn = Annotated[SubmitBody, json_body(SubmitBody, SUBMITTER, refused=refused_submission)]
CancelIn = Annotated[CancelBody, json_body(CancelBody, LIMITED_SUPPORT)]
RetryIn = Annotated[RetryBody, json_body(RetryBody, LIMITED_SUPPORT)]
PriorityIn = Annotated[PriorityBody, json_body(PriorityBody, LIMITED_ADMIN)]


@router.post(
    "",
    status_code=202,
    response_model=Submitted,
    responses={
        **answers(*AUTHENTICATED, UNAVAILABLE, 400, 403, 409, 422),
        413: {
            "model": ErrorBody,
            "description": f"The body is larger than {MAX_BODY_BYTES:,} bytes (body_too_large; "
            "refused before it is read), or the task's args and kwargs take more than "
            f"{MAX_ARGUMENTS_BYTES:,} bytes as compact JSON (arguments_too_large).",
        },
    },
)
def submit(body: SubmitIn, request: Request, services: ServicesDep, who: Submitter) -> Submitted:
    """Queue a task for a user; 429 when the user's rate limit or quota is reached, 503
    while the broker is unavailable.

    With an idempotency_key, the same request sent again by the same caller (also at the
    same moment, or after a backend restart) answers the same task id and publishes
    nothing; the key with another request answers 409 idempotency_key_reused, and 409
    idempotency_key_in_use while the first request with it is still being sent (seconds)."""
    # The limit and the quota are those of the user the task runs for.
    tier = tier_of(body.user, who, services.user_tiers)
    enforce(services, request, f"user:{body.user}", tier, "data_sync", who.user)
    app = services.celery
    if body.name not in app.tasks or body.name.startswith("celery."):
        known = sorted(n for n in app.tasks if not n.startswith("celery."))
        raise HTTPException(
            422, f"name: unknown task {shown(body.name)}; known: {', '.join(known)}"
        )
    if body.queue is not None and body.queue not in QUEUES:
        raise HTTPException(422, f"queue: {shown(body.queue)} is not one of {', '.join(QUEUES)}")
    size = arguments_size(body.args, body.kwargs)
    if size > MAX_ARGUMENTS_BYTES:
        raise ActionError(
            413, "arguments_too_large",
            f"the task's args and kwargs take {size:,} bytes as JSON; a task's arguments may "
            f"take at most {MAX_ARGUMENTS_BYTES:,} bytes: pass a reference to large data "
            "(a file id, a URL), not the data",
        )  # fmt: skip
    try:
        services.environment.writable()  # the app publishes with the system's transport
    except NotWritable as exc:
        raise ActionError(409, STEPS_UNKNOWN, str(exc)) from None
    task_id = str(uuid.uuid4())
    claim = None
    if body.idempotency_key is not None:
        # Answered before the quota is looked at: a task accepted once stays accepted.
        request_digest = digest(body.model_dump(mode="json", exclude={"idempotency_key"}))
        claim = services.submit_keys.claim(who.user, body.idempotency_key, request_digest, task_id)
        if claim.replay:
            return Submitted(task_id=claim.task_id)
        task_id = claim.task_id  # a claim a stopped backend left unsent keeps its task id
    admission = services.quotas.take(body.user, task_id)
    if not admission.taken:
        if claim is not None:
            services.submit_keys.give_up(claim)
        raise TooManyRequests(
            "quota_exceeded",
            f"{body.user} has {admission.used} of {admission.limit} tasks queued or running; "
            "wait for one to finish, or ask an admin to raise the quota",
            {"X-RateLimit-Limit": str(admission.limit), "X-RateLimit-Remaining": "0",
             "X-RateLimit-Reset": str(QUOTA_RETRY_S), "Retry-After": str(QUOTA_RETRY_S)},
            {"user": body.user, "used": admission.used, "limit": admission.limit},
        )  # fmt: skip
    emitter = getattr(app, "taskdeck_emitter", None)
    try:
        with emitter.captured() if emitter else contextlib.nullcontext([]) as records:
            publishing(
                app,
                lambda: app.send_task(
                    body.name,
                    args=body.args,
                    kwargs=body.kwargs,
                    task_id=task_id,
                    queue=body.queue,
                    priority=to_celery_priority(body.priority),
                    headers={USER_HEADER: body.user, TIER_HEADER: tier},
                ),
            )
    except Exception:
        services.quotas.release([task_id])
        if claim is not None:
            services.submit_keys.give_up(claim)
        raise
    if claim is not None:
        services.submit_keys.sent(claim)
    # In the ledger before the answer, so the task can be read at once however far the
    # stream's ingest lags; the stream's copy of the same record changes nothing. The task
    # is queued whether or not this write works: a ledger that cannot write now gets it
    # from the stream later, and the answer stays "accepted".
    try:
        services.ledger.apply(records)
    except SQLAlchemyError as exc:
        log.warning("submit: task %s is queued; the ledger records it later (%s)", task_id, exc)
    return Submitted(task_id=task_id)


@router.get("", response_model=TaskPage, responses=answers(*AUTHENTICATED, UNAVAILABLE, 400, 422))
def list_tasks(
    services: ServicesDep,
    who: CurrentUser,
    state: Annotated[State | None, Query()] = None,
    name: Annotated[str | None, Query(max_length=200)] = None,
    user: Annotated[str | None, Query(max_length=150)] = None,
    queue: Annotated[str | None, Query(max_length=100)] = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            description="an id (or its first 6 or more characters, 0-9 a-f and -), part of "
            "a name, words of the error message, or argument values as a customer names them "
            "(1234 finds the argument F-01234)",
        ),
    ] = None,
    group: Annotated[
        str | None,
        Query(max_length=200, description="a failure group's signature (GET /failures/groups)"),
    ] = None,
    since: Annotated[
        Time | None, Query(description="created at or after: epoch seconds or ISO 8601")
    ] = None,
    until: Annotated[
        Time | None, Query(description="created before: epoch seconds or ISO 8601")
    ] = None,
    finished_since: Annotated[
        Time | None,
        Query(description="ended at or after (tasks not ended are left out): epoch or ISO 8601"),
    ] = None,
    finished_until: Annotated[
        Time | None, Query(description="ended before: epoch seconds or ISO 8601")
    ] = None,
    lost: Annotated[
        bool | None,
        Query(description="true: only tasks the broker lost (lost_at set); false: none of them"),
    ] = None,
    retried: Annotated[
        bool | None,
        Query(description="true: only tasks TaskDeck retried already; false: none of them"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[
        str | None, Query(max_length=500, description="next_cursor of the previous page")
    ] = None,
) -> TaskPage:
    """Tasks newest first, filtered; 400 for a cursor this API did not hand out."""
    f = TaskFilter(
        state=state, name=name, user=user, queue=queue, q=q,
        since=as_epoch(since), until=as_epoch(until), lost=lost, signature=group,
        finished_since=as_epoch(finished_since), finished_until=as_epoch(finished_until),
        retried=retried,
    )  # fmt: skip
    items, next_cursor = services.ledger.list_tasks(f, limit, cursor)
    return TaskPage(
        items=[TaskSummary.model_validate(item, from_attributes=True) for item in items],
        next_cursor=next_cursor,
    )


@router.get(
    "/{task_id}",
    response_model=TaskDetail,
    responses=answers(*AUTHENTICATED, UNAVAILABLE, 404, 422),
)
def get_task(task_id: TaskIdPath, services: ServicesDep, who: CurrentUser) -> TaskDetail:
    task = services.ledger.get(task_id)
    if task is None:
        raise HTTPException(404, f"no task with id {task_id!r} in the ledger")
    return TaskDetail.model_validate(task, from_attributes=True)


ACTION_ANSWERS = answers(*AUTHENTICATED, UNAVAILABLE, 400, 403, 404, 422)


@router.post("/{task_id}/cancel", response_model=ActionResult, responses=ACTION_ANSWERS)
def cancel(
    task_id: TaskIdPath, body: CancelIn, services: ServicesDep, who: LimitedSupport
) -> ActionResult:
    """Remove a waiting task from its queue, or revoke it if a worker holds it."""
    answer = services.actions.cancel(who, task_id, body.reason)
    return ActionResult.model_validate(answer, from_attributes=True)


@router.post(
    "/{task_id}/retry",
    response_model=ActionResult,
    responses={**ACTION_ANSWERS, **answers(409)},
)
def retry(
    task_id: TaskIdPath, body: RetryIn, services: ServicesDep, who: LimitedSupport
) -> ActionResult:
    """Send a finished task again as a new task; 409 if it has not finished."""
    answer = services.actions.retry(who, task_id, body.reason, body.priority)
    return ActionResult.model_validate(answer, from_attributes=True)


@router.post(
    "/{task_id}/priority",
    response_model=ActionResult,
    responses={**ACTION_ANSWERS, **answers(409)},
)
def set_priority(
    task_id: TaskIdPath, body: PriorityIn, services: ServicesDep, who: LimitedAdmin
) -> ActionResult:
    """Move a waiting task to another priority; 409 if it is not waiting in a queue."""
    answer = services.actions.set_priority(who, task_id, body.priority, body.reason)
    return ActionResult.model_validate(answer, from_attributes=True)
