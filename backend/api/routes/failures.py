"""/api/v1/failures/groups: failures grouped by signature."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from backend.api.deps import CurrentUser, ServicesDep
from backend.api.schemas import parse_time
from backend.services.ledger_rows import FailureGroup

router = APIRouter(prefix="/api/v1/failures", tags=["failures"])


@router.get("/groups")
def groups(
    services: ServicesDep,
    who: CurrentUser,
    since: Annotated[str | None, Query()] = None,
    until: Annotated[str | None, Query()] = None,
    name: Annotated[str | None, Query(max_length=200)] = None,
) -> list[FailureGroup]:
    return services.ledger.failure_groups(
        parse_time(since, "since"), parse_time(until, "until"), name
    )
