"""Rate limits as route dependencies, and the 429 answers of limits and quotas."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, Response

from backend.api.deps import Services, ServicesDep, client_ip, current_user
from backend.api.errors import TooManyRequests
from backend.services.auth import Principal
from backend.services.ratelimit import Decision
from backend.services.tiers import tier_of


def enforce(
    services: Services, request: Request, response: Response | None, key: str, tier: str,
    endpoint: str, user: str | None,
) -> Decision:  # fmt: skip
    decision = services.limiter.check(key, tier, endpoint, client_ip(request), user)
    if response is not None:
        response.headers.update(decision.headers())
    if not decision.allowed:
        services.metrics.rejections.labels(tier, endpoint).inc()
        raise TooManyRequests(
            "rate_limited",
            f"{key} ({tier} tier) may make {decision.limit} {endpoint} requests per "
            f"{decision.window_s:g} s; try again in {decision.reset_s:.0f} s",
            decision.headers(),
            {"key": key, "tier": tier, "endpoint": endpoint, "limit": decision.limit,
             "retry_after_s": round(decision.reset_s, 3)},
        )  # fmt: skip
    return decision


def limited(role: str, endpoint: str) -> Any:
    """A dependency: the caller must have ``role``; the call counts against their limit."""

    def check(
        request: Request,
        response: Response,
        services: ServicesDep,
        who: Annotated[Principal, Depends(current_user)],
    ) -> Principal:
        if not who.may(role):
            raise HTTPException(
                403, f"this needs the {role} role; {who.user} has the {who.role} role"
            )
        tier = tier_of(who.user, who, services.user_tiers)
        enforce(services, request, response, f"user:{who.user}", tier, endpoint, who.user)
        return who

    return Depends(check)


LimitedSupport = Annotated[Principal, limited("support", "default")]
LimitedAdmin = Annotated[Principal, limited("admin", "default")]
