"""Dependency checks for /health: each answers its state, latency and error."""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis.asyncio as aioredis

from taskdeck_core.urls import redact_url


@dataclass(frozen=True)
class DependencyState:
    name: str
    up: bool
    latency_ms: float | None
    target: str
    error: str | None = None


async def check_redis(name: str, url: str, timeout_s: float) -> DependencyState:
    client = aioredis.Redis.from_url(
        url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s
    )
    started = time.perf_counter()
    try:
        await client.ping()
    except Exception as exc:  # noqa: BLE001 - any failure means the dependency is down
        return DependencyState(name, False, None, redact_url(url), f"{type(exc).__name__}: {exc}")
    finally:
        await client.aclose()
    latency = (time.perf_counter() - started) * 1000
    return DependencyState(name, True, round(latency, 2), redact_url(url))
