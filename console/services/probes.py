"""Async checks of the four services. No Qt here.

Each probe answers a ProbeResult and never raises: an unreachable or broken
service is a result with ``ok=False`` and the error text.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Protocol

import httpx
import redis.asyncio as aioredis

from console.domain.endpoints import Endpoints
from console.domain.service_status import ProbeResult, ServiceKind
from taskdeck_core.transport import QUEUES, priority_list_names
from taskdeck_core.urls import redact_url

TIMEOUT_S = 2.0


class Prober(Protocol):
    async def probe(self, kind: ServiceKind) -> ProbeResult: ...

    async def aclose(self) -> None: ...


def _error_text(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if str(exc) else text


class LiveProber:
    """Probes the real services at ``endpoints`` with one HTTP client for all of them."""

    def __init__(self, endpoints: Endpoints, timeout_s: float = TIMEOUT_S) -> None:
        self.endpoints = endpoints
        self._http = httpx.AsyncClient(timeout=timeout_s)
        self._redis = aioredis.Redis.from_url(
            endpoints.broker_url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s
        )
        self._checks: dict[
            ServiceKind, tuple[str, Callable[[], Awaitable[list[tuple[str, str]]]]]
        ] = {
            ServiceKind.BROKER: (endpoints.broker_url, self._broker),
            ServiceKind.BACKEND: (endpoints.backend_url, self._backend),
            ServiceKind.PROMETHEUS: (endpoints.prometheus_url, self._prometheus),
            ServiceKind.ALERTMANAGER: (endpoints.alertmanager_url, self._alertmanager),
        }

    async def aclose(self) -> None:
        await self._http.aclose()
        await self._redis.aclose()

    async def probe(self, kind: ServiceKind) -> ProbeResult:
        target, check = self._checks[kind]
        started = time.perf_counter()
        at = time.time()
        try:
            facts = await check()
        except Exception as exc:  # noqa: BLE001 - any failure is a failed probe
            return ProbeResult(kind, redact_url(target), False, None, (), _error_text(exc), at)
        latency = round((time.perf_counter() - started) * 1000, 1)
        return ProbeResult(kind, redact_url(target), True, latency, tuple(facts), None, at)

    async def _broker(self) -> list[tuple[str, str]]:
        info = await self._redis.info("server")
        pipe = self._redis.pipeline(transaction=False)
        for queue in QUEUES:
            for key in priority_list_names(queue):
                pipe.llen(key)
        lengths = await pipe.execute()
        facts = [("Redis", str(info.get("redis_version", "?")))]
        steps = len(lengths) // len(QUEUES)
        for i, queue in enumerate(QUEUES):
            facts.append((queue, str(sum(lengths[i * steps : (i + 1) * steps]))))
        return facts

    async def _get_json(self, url: str) -> object:
        response = await self._http.get(url)
        response.raise_for_status()
        return response.json()

    async def _backend(self) -> list[tuple[str, str]]:
        health = await self._get_json(f"{self.endpoints.backend_url}/health")
        if not isinstance(health, dict):
            raise ValueError("/health did not answer a JSON object")
        facts = [("status", str(health.get("status"))), ("version", str(health.get("version")))]
        for name, dep in (health.get("dependencies") or {}).items():
            facts.append((name, "up" if dep.get("up") else "down"))
        return facts

    async def _prometheus(self) -> list[tuple[str, str]]:
        response = await self._http.get(f"{self.endpoints.prometheus_url}/-/ready")
        response.raise_for_status()
        data = await self._get_json(f"{self.endpoints.prometheus_url}/api/v1/targets?state=active")
        targets = data.get("data", {}).get("activeTargets", []) if isinstance(data, dict) else []
        up = sum(1 for t in targets if t.get("health") == "up")
        return [("targets up", f"{up} / {len(targets)}")]

    async def _alertmanager(self) -> list[tuple[str, str]]:
        alerts = await self._get_json(
            f"{self.endpoints.alertmanager_url}/api/v2/alerts?active=true&silenced=false&inhibited=false"
        )
        count = len(alerts) if isinstance(alerts, list) else 0
        return [("firing", str(count))]
