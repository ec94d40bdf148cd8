"""GET /health: no authentication; each dependency's state and latency."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request

from backend import __version__
from backend.config import Settings
from backend.services.health import check_redis

router = APIRouter(tags=["health"])


@router.get("/health")
async def health(request: Request) -> dict[str, Any]:
    settings: Settings = request.app.state.settings
    checks = [check_redis("broker", settings.broker_url, settings.health_timeout_s)]
    if settings.result_backend_url != settings.broker_url:
        checks.append(
            check_redis("result_backend", settings.result_backend_url, settings.health_timeout_s)
        )
    states = await asyncio.gather(*checks)
    return {
        "status": "ok" if all(s.up for s in states) else "degraded",
        "version": __version__,
        "dependencies": {
            s.name: {"up": s.up, "latency_ms": s.latency_ms, "target": s.target, "error": s.error}
            for s in states
        },
    }
