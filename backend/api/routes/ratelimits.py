"""/api/v1/ratelimits: the tiers, statistics per window, the rejections, and anomalies."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query

from backend.api.deps import CurrentUser, ServicesDep

router = APIRouter(prefix="/api/v1/ratelimits", tags=["ratelimits"])


@router.get("/config")
def config(services: ServicesDep, who: CurrentUser) -> dict[str, Any]:
    return {**services.limiter.config(), "user_tiers": services.user_tiers}


@router.get("/stats")
def stats(
    services: ServicesDep,
    who: CurrentUser,
    window: Annotated[
        int, Query(ge=1, le=120, description="buckets to sum (one minute each by default)")
    ] = 15,
) -> dict[str, Any]:
    buckets = services.limiter.buckets(window)
    totals: dict[str, int] = {}
    for _n, counters in buckets:
        for name, value in counters.items():
            totals[name] = totals.get(name, 0) + value

    def part(prefix: str) -> dict[str, int]:
        return {k.split("|", 1)[1]: v for k, v in totals.items() if k.startswith(prefix)}

    requests, rejected = part("req|"), part("rej|")
    top = sorted(part("rejkey|").items(), key=lambda kv: -kv[1])[:20]
    return {
        "window_buckets": window,
        "bucket_s": services.limiter.bucket_s,
        "endpoints": {
            e: {
                "requests": n,
                "rejected": rejected.get(e, 0),
                "share": round(rejected.get(e, 0) / n, 4) if n else 0.0,
            }
            for e, n in requests.items()
        },
        "rejections_by_tier": part("rejtier|"),
        "top_rejected_keys": [{"key": k, "rejected": v} for k, v in top],
    }


@router.get("/events")
def events(
    services: ServicesDep, who: CurrentUser, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[dict[str, Any]]:
    return services.limiter.events(limit)


@router.get("/anomalies")
async def anomalies(services: ServicesDep, who: CurrentUser) -> list[dict[str, Any]]:
    return [asdict(a) for a in await asyncio.to_thread(services.anomalies.active)]
