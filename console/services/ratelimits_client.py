"""The backend's rate-limit routes (/api/v1/ratelimits), read through a BackendClient. No Qt.

Each function asks one route and answers with the API's own types; a failure raises
BackendError with the backend's explanation, as every BackendClient request does.
"""

from __future__ import annotations

from pydantic import TypeAdapter

from console.services.backend_client import BackendClient
from taskdeck_core.api_types import Anomaly, RateLimitConfig, RateLimitStats, Rejection

PREFIX = "/api/v1/ratelimits"
_CONFIG = TypeAdapter(RateLimitConfig)
_STATS = TypeAdapter(RateLimitStats)
_EVENTS = TypeAdapter(list[Rejection])
_ANOMALIES = TypeAdapter(list[Anomaly])


async def config(backend: BackendClient) -> RateLimitConfig:
    """The tiers' limits per endpoint class, the window, and which user is in which tier."""
    return await backend.call(_CONFIG, "GET", f"{PREFIX}/config")


async def stats(backend: BackendClient, window: int = 15) -> RateLimitStats:
    """Requests and rejections per endpoint class and tier over the last ``window`` buckets."""
    return await backend.call(_STATS, "GET", f"{PREFIX}/stats", params={"window": window})


async def events(backend: BackendClient, limit: int = 100) -> list[Rejection]:
    """The latest rejections (429 answers), newest first."""
    return await backend.call(_EVENTS, "GET", f"{PREFIX}/events", params={"limit": limit})


async def anomalies(backend: BackendClient) -> list[Anomaly]:
    """Keys, endpoints or addresses far outside their own normal, with the evidence."""
    return await backend.call(_ANOMALIES, "GET", f"{PREFIX}/anomalies")
