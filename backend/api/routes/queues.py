"""/api/v1/queues: depths per priority and the waiting messages in run order."""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query

from backend.api.deps import CurrentUser, ServicesDep
from taskdeck_core.transport import QUEUES

router = APIRouter(prefix="/api/v1/queues", tags=["queues"])


def _oldest_age(services: Any, queue: str) -> float | None:
    payload = services.queues.oldest_payload(queue)
    if payload is None:
        return None
    task_id = json.loads(payload).get("headers", {}).get("id")
    row = services.ledger.rows([task_id]).get(task_id) if task_id else None
    if not row or not row.published_at:
        return None
    return round(time.time() - row.published_at, 3)


@router.get("")
def list_queues(services: ServicesDep, who: CurrentUser) -> list[dict[str, Any]]:
    out = []
    for queue in QUEUES:
        by_priority = services.queues.depth_by_priority(queue)
        out.append(
            {
                "name": queue,
                "depth": sum(by_priority.values()),
                "depth_by_priority": {
                    str(p): n for p, n in sorted(by_priority.items(), reverse=True)
                },
                "oldest_age_s": _oldest_age(services, queue),
            }
        )
    return out


@router.get("/{name}/messages")
def messages(
    name: Annotated[str, Path(max_length=100)],
    services: ServicesDep,
    who: CurrentUser,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    if name not in QUEUES and not services.queues.exists(name):
        raise HTTPException(404, f"no queue named {name!r}; known: {', '.join(QUEUES)}")
    waiting, total = services.queues.messages(name, offset, limit)
    published = services.ledger.rows([m.task_id for m in waiting])
    items = []
    for m in waiting:
        item = asdict(m)
        row = published.get(m.task_id)
        item["enqueued_at"] = row.published_at if row else None
        item["user"] = item["user"] or (row.user if row else None)
        items.append(item)
    return {"queue": name, "total": total, "offset": offset, "items": items}
