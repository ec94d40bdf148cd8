"""/api/v1/me: who the token belongs to."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from backend.api.deps import CurrentUser, ServicesDep
from backend.api.limits import enforce
from backend.services.tiers import tier_of

router = APIRouter(prefix="/api/v1", tags=["auth"])


@router.get("/me")
def me(
    request: Request, response: Response, services: ServicesDep, who: CurrentUser
) -> dict[str, str]:
    tier = tier_of(who.user, who, services.user_tiers)
    enforce(services, request, response, f"user:{who.user}", tier, "auth", who.user)
    return {"user": who.user, "role": who.role}
