"""/api/v1/me: who the token belongs to."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from backend.api.errors import AUTHENTICATED, answers
from backend.api.limits import limited
from backend.services.auth import Principal
from taskdeck_core.api_types import Me

router = APIRouter(prefix="/api/v1", tags=["auth"])


@router.get("/me", response_model=Me, responses=answers(*AUTHENTICATED))
def me(who: Annotated[Principal, limited("viewer", "auth")]) -> Me:
    """The caller's user name and role (counts against the auth rate limit)."""
    return Me.model_validate(who, from_attributes=True)
