"""/api/v1/stats: counts over the task ledger for dashboards (read-only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from backend.api.deps import CurrentUser, ServicesDep
from backend.api.errors import AUTHENTICATED, UNAVAILABLE, answers
from backend.services.ledger_stats import finished_in_window
from taskdeck_core.api_types import TaskStats

router = APIRouter(prefix="/api/v1/stats", tags=["stats"])
MAX_WINDOW_S = 3600


@router.get("/tasks", response_model=TaskStats, responses=answers(*AUTHENTICATED, UNAVAILABLE, 422))
def task_stats(
    services: ServicesDep,
    who: CurrentUser,
    window_s: Annotated[
        int,
        Query(ge=1, le=MAX_WINDOW_S, description="the window in seconds, ending now (1-3600)"),
    ] = 300,
) -> TaskStats:
    """Tasks that succeeded and failed in the last ``window_s`` seconds, per second."""
    return finished_in_window(services.ledger.engine, float(window_s))
