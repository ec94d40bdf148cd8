"""/api/v1/failures/groups: failures grouped by signature."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from backend.api.deps import CurrentUser, ServicesDep
from backend.api.errors import AUTHENTICATED, UNAVAILABLE, answers
from backend.api.schemas import Time, as_epoch
from taskdeck_core.api_types import FailureGroup

router = APIRouter(prefix="/api/v1/failures", tags=["failures"])


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
) -> list[FailureGroup]:
    """Failures that share a signature (task, exception, normalised message), most first."""
    found = services.ledger.failure_groups(as_epoch(since), as_epoch(until), name)
    return [FailureGroup.model_validate(g, from_attributes=True) for g in found]
