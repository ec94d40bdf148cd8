"""/api/v1/failures/groups: failures grouped by signature."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Query

from backend.api.deps import CurrentUser, ServicesDep
from backend.api.errors import AUTHENTICATED, UNAVAILABLE, answers
from backend.api.schemas import Time, as_epoch
from taskdeck_core.api_types import FailureGroup

router = APIRouter(prefix="/api/v1/failures", tags=["failures"])
SERIES_SPAN_S = 24 * 3600.0  # the window of a series when since is not given


@router.get(
    "/groups",
    response_model=list[FailureGroup],
    responses=answers(*AUTHENTICATED, UNAVAILABLE, 422),
)
def groups(
    services: ServicesDep,
    who: CurrentUser,
    since: Annotated[Time | None, Query(description="epoch seconds or ISO 8601")] = None,
    until: Annotated[Time | None, Query(description="epoch seconds or ISO 8601")] = None,
    name: Annotated[str | None, Query(max_length=200)] = None,
    buckets: Annotated[
        int,
        Query(
            ge=0,
            le=120,
            description="give each group a series: its failures in this many equal parts of "
            "[since, until], oldest first (until: now if not given; since: a day before "
            "until if not given)",
        ),
    ] = 0,
) -> list[FailureGroup]:
    """Failures that share a signature (task, exception, normalised message), most first."""
    start, end = as_epoch(since), as_epoch(until)
    if buckets:
        end = time.time() if end is None else end
        start = end - SERIES_SPAN_S if start is None else start
    found = services.ledger.failure_groups(start, end, name, buckets=buckets)
    return [FailureGroup.model_validate(g, from_attributes=True) for g in found]
