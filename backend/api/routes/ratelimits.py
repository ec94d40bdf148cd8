"""/api/v1/ratelimits: the tiers, statistics per window, the rejections, and anomalies."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query

from backend.api.deps import CurrentUser, ServicesDep
from backend.api.errors import AUTHENTICATED, UNAVAILABLE, answers
from taskdeck_core.api_types import (
    Anomaly,
    EndpointStats,
    RateLimitConfig,
    RateLimitStats,
    RejectedKey,
    Rejection,
)

router = APIRouter(prefix="/api/v1/ratelimits", tags=["ratelimits"])


@router.get("/config", response_model=RateLimitConfig, responses=answers(*AUTHENTICATED))
def config(services: ServicesDep, who: CurrentUser) -> RateLimitConfig:
    """The tiers' limits per endpoint class, the window, and which user is in which tier."""
    return RateLimitConfig.model_validate(
        {**services.limiter.config(), "user_tiers": services.user_tiers}
    )


@router.get(
    "/stats", response_model=RateLimitStats, responses=answers(*AUTHENTICATED, UNAVAILABLE, 422)
)
def stats(
    services: ServicesDep,
    who: CurrentUser,
    window: Annotated[
        int, Query(ge=1, le=120, description="buckets to sum (one minute each by default)")
    ] = 15,
) -> RateLimitStats:
    """Requests and rejections per endpoint class and tier, and the most rejected keys."""
    buckets = services.limiter.buckets(window)
    totals: dict[str, int] = {}
    for _n, counters in buckets:
        for name, value in counters.items():
            totals[name] = totals.get(name, 0) + value

    def part(prefix: str) -> dict[str, int]:
        return {k.split("|", 1)[1]: v for k, v in totals.items() if k.startswith(prefix)}

    requests, rejected = part("req|"), part("rej|")
    top = sorted(part("rejkey|").items(), key=lambda kv: -kv[1])[:20]
    return RateLimitStats(
        window_buckets=window,
        bucket_s=services.limiter.bucket_s,
        endpoints={
            e: EndpointStats(
                requests=n,
                rejected=rejected.get(e, 0),
                share=round(rejected.get(e, 0) / n, 4) if n else 0.0,
            )
            for e, n in requests.items()
        },
        rejections_by_tier=part("rejtier|"),
        top_rejected_keys=[RejectedKey(key=k, rejected=v) for k, v in top],
    )


@router.get(
    "/events", response_model=list[Rejection], responses=answers(*AUTHENTICATED, UNAVAILABLE, 422)
)
def events(
    services: ServicesDep, who: CurrentUser, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[Rejection]:
    """The latest rejections (429 answers), newest first."""
    return [Rejection.model_validate(e) for e in services.limiter.events(limit)]


@router.get(
    "/anomalies", response_model=list[Anomaly], responses=answers(*AUTHENTICATED, UNAVAILABLE)
)
async def anomalies(services: ServicesDep, who: CurrentUser) -> list[Anomaly]:
    """Keys, endpoints or addresses far outside their own normal, with the evidence."""
    return await asyncio.to_thread(services.anomalies.active)
