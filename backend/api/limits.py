"""Rate limits as route dependencies."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request, Response

from backend.api.deps import Services, ServicesDep, client_ip, require
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
        raise TooManyRequests.rate_limited(
            decision,
            f"{key} ({tier} tier) may make {decision.limit} {endpoint} requests per "
            f"{decision.window_s:g} s; try again in {decision.reset_s:.0f} s",
        )
    return decision


def limited(role: str, endpoint: str) -> Any:
    """A dependency: the caller must have ``role``; the call counts against their limit."""
    caller = require(role)

    def check(
        request: Request,
        response: Response,
        services: ServicesDep,
        who: Principal = caller,  # a default: an annotation could not see ``role``
    ) -> Principal:
        tier = tier_of(who.user, who, services.user_tiers)
        enforce(services, request, response, f"user:{who.user}", tier, endpoint, who.user)
        return who

    return Depends(check)


LimitedSupport = Annotated[Principal, limited("support", "default")]
LimitedAdmin = Annotated[Principal, limited("admin", "default")]
