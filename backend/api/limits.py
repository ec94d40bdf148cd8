"""Rate limits as route dependencies.

A limited route counts the call against the caller's limit right after the
token is checked, before the role is checked and before the body is read, so
every answer it gives after authentication (403, 400, 413, 422, 404, 409 as much
as 200) counts and carries the X-RateLimit-* headers of that limit.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from backend.api.deps import CurrentUser, Services, ServicesDep, authorise, client_ip
from backend.api.errors import TooManyRequests
from backend.api.headers import remember
from backend.services.auth import Principal
from backend.services.ratelimit import Decision
from backend.services.tiers import tier_of


def enforce(
    services: Services, request: Request, key: str, tier: str, endpoint: str, user: str | None
) -> Decision:
    """Count the call against ``key``'s limit; 429 when it is reached. The answer carries
    the limit's headers, whatever its status."""
    decision = services.limiter.check(key, tier, endpoint, client_ip(request), user)
    remember(request, decision)
    if not decision.allowed:
        services.metrics.rejections.labels(tier, endpoint).inc()
        raise TooManyRequests.rate_limited(
            decision,
            f"{key} ({tier} tier) may make {decision.limit} {endpoint} requests per "
            f"{decision.window_s:g} s; try again in {decision.reset_s:.0f} s",
        )
    return decision


def count_caller(request: Request, services: Services, who: Principal, endpoint: str) -> None:
    """Count the call against the caller's own limit for ``endpoint``."""
    tier = tier_of(who.user, who, services.user_tiers)
    enforce(services, request, f"user:{who.user}", tier, endpoint, who.user)


def limited(role: str, endpoint: str) -> Any:
    """A dependency: the call counts against the caller's limit; the caller must have
    ``role``."""

    def check(request: Request, services: ServicesDep, who: CurrentUser) -> Principal:
        count_caller(request, services, who, endpoint)
        authorise(who, role)
        return who

    check.rate_limited = True  # type: ignore[attr-defined]  # read by the OpenAPI writer
    return Depends(check)


def _submitter(request: Request, services: ServicesDep, who: CurrentUser) -> Principal:
    """Submissions count against the limit of the user a task runs for, named in the body;
    a caller refused before that is known (wrong role) counts against their own."""
    if not who.may("support"):
        count_caller(request, services, who, "data_sync")
    authorise(who, "support")
    return who


_submitter.rate_limited = True  # type: ignore[attr-defined]


def refused_submission(request: Request, services: Services, who: Principal) -> None:
    """A submission whose body cannot be read counts against the caller's own limit."""
    count_caller(request, services, who, "data_sync")


LIMITED_SUPPORT = limited("support", "default")
LIMITED_ADMIN = limited("admin", "default")
SUBMITTER = Depends(_submitter)
LimitedSupport = Annotated[Principal, LIMITED_SUPPORT]
LimitedAdmin = Annotated[Principal, LIMITED_ADMIN]
Submitter = Annotated[Principal, SUBMITTER]
