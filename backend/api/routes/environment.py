"""/api/v1/environment: the watched system's transport, as learned, and its capabilities."""

from __future__ import annotations

from fastapi import APIRouter

from backend.api.deps import CurrentUser, ServicesDep
from backend.api.errors import AUTHENTICATED, answers
from taskdeck_core.api_types import Environment

router = APIRouter(prefix="/api/v1/environment", tags=["environment"])


@router.get("", response_model=Environment, responses=answers(*AUTHENTICATED))
def environment(services: ServicesDep, who: CurrentUser) -> Environment:
    """How the system names its queues' lists (separator, priority steps, queues) and where
    TaskDeck learned it; which features this system supports, and what each needs."""
    return services.environment.describe()
