"""/api/v1/me: who the token belongs to."""

from __future__ import annotations

from fastapi import APIRouter

from backend.api.deps import CurrentUser

router = APIRouter(prefix="/api/v1", tags=["auth"])


@router.get("/me")
def me(who: CurrentUser) -> dict[str, str]:
    return {"user": who.user, "role": who.role}
