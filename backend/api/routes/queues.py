"""/api/v1/queues: depths per priority and the waiting messages in run order."""

from __future__ import annotations

import json
import time
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel

from backend.api.deps import CurrentUser, Services, ServicesDep
from backend.api.errors import AUTHENTICATED, UNAVAILABLE, answers, shown
from taskdeck_core.api_types import MessagePage, QueueSummary

router = APIRouter(prefix="/api/v1/queues", tags=["queues"])


class _Published(BaseModel):
    """What these routes read of a ledger row."""

    published_at: float | None = None
    user: str | None = None


def _published(services: Services, task_ids: list[str]) -> dict[str, _Published]:
    rows: dict[str, Any] = services.ledger.rows(task_ids)
    return {i: _Published.model_validate(row, from_attributes=True) for i, row in rows.items()}


def _oldest_age(services: Services, queue: str) -> float | None:
    """The age of the message that has waited longest, over every priority list."""
    ids = [
        json.loads(p).get("headers", {}).get("id") for p in services.queues.oldest_payloads(queue)
    ]
    times = [r.published_at for r in _published(services, [i for i in ids if i]).values()]
    known = [t for t in times if t]
    return round(time.time() - min(known), 3) if known else None


@router.get("", response_model=list[QueueSummary], responses=answers(*AUTHENTICATED, UNAVAILABLE))
def list_queues(services: ServicesDep, who: CurrentUser) -> list[QueueSummary]:
    """Every queue of the watched system (bound in its broker, or configured): depth per
    priority step (as the user priority 10 - step) and the oldest message's age."""
    out = []
    for queue in services.environment.queue_names():
        by_priority = services.queues.depth_by_priority(queue)
        out.append(
            QueueSummary(
                name=queue,
                depth=sum(by_priority.values()),
                depth_by_priority={str(p): n for p, n in sorted(by_priority.items(), reverse=True)},
                oldest_age_s=_oldest_age(services, queue),
            )
        )
    return out


@router.get(
    "/{name}/messages",
    response_model=MessagePage,
    responses=answers(*AUTHENTICATED, UNAVAILABLE, 404, 422),
)
def messages(
    name: Annotated[str, Path(max_length=100)],
    services: ServicesDep,
    who: CurrentUser,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="only messages whose task id, task name, user or "
            "arguments contain this (any case), searched over the whole queue",
        ),
    ] = None,
) -> MessagePage:
    """A queue's waiting messages in the order they will run (position 0 next)."""
    known = services.environment.queue_names()
    if name not in known and not services.queues.exists(name):
        raise HTTPException(
            404, f"no queue named {shown(name)}; known: {', '.join(known) or 'none yet'}"
        )
    matched = None
    if q:
        waiting, matched = services.queues.matching(name, q, offset, limit)
        total = sum(services.queues.depth_by_priority(name).values())
    else:
        waiting, total = services.queues.messages(name, offset, limit)
    published = _published(services, [m.task_id for m in waiting])
    items = []
    for m in waiting:
        row = published.get(m.task_id)
        items.append(
            m.model_copy(
                update={
                    "enqueued_at": row.published_at if row else None,
                    "user": m.user or (row.user if row else None),
                }
            )
        )
    return MessagePage(queue=name, total=total, offset=offset, items=items, matched=matched)
