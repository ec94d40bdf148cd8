"""/api/v1/me: who the token belongs to."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from backend.api.deps import CurrentUser, ServicesDep
from backend.api.errors import AUTHENTICATED, answers, rate_limit_headers
from backend.api.limits import enforce
from backend.services.tiers import tier_of
from taskdeck_core.api_types import Me

router = APIRouter(prefix="/api/v1", tags=["auth"])


@router.get(
    "/me",
    response_model=Me,
    responses={200: {"headers": rate_limit_headers()}, **answers(*AUTHENTICATED)},
)
def me(request: Request, response: Response, services: ServicesDep, who: CurrentUser) -> Me:
    """The caller's user name and role (counts against the auth rate limit)."""
    tier = tier_of(who.user, who, services.user_tiers)
    enforce(services, request, response, f"user:{who.user}", tier, "auth", who.user)
    return Me.model_validate(who, from_attributes=True)
