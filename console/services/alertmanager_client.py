"""Alertmanager's API (httpx, async). No Qt here.

Reading only: firing alerts (the Overview), alert groups as Alertmanager's routing makes
them, and silences. Silences are changed through the backend (admin only, audited).
"""

from __future__ import annotations

import re
from typing import Any

import httpx


class AlertmanagerError(Exception):
    pass


class AlertmanagerClient:
    def __init__(self, url: str, timeout_s: float = 5.0) -> None:
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s
        self._http = httpx.AsyncClient(base_url=self.url, timeout=timeout_s)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        try:
            reply = await self._http.get(path, params=params)
            reply.raise_for_status()
            return reply.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise AlertmanagerError(f"Alertmanager at {self.url}: {self._why(exc)}") from None

    def _why(self, exc: Exception) -> str:
        """Why a read failed, in words (a timeout's own text is empty)."""
        if isinstance(exc, httpx.TimeoutException):
            return f"did not answer within {self.timeout_s:g} s"
        if isinstance(exc, httpx.HTTPStatusError):
            return f"answered {exc.response.status_code} {exc.response.reason_phrase}"
        if isinstance(exc, ValueError) and not isinstance(exc, httpx.HTTPError):
            return "answered something that is not JSON"
        text = str(exc).strip()
        words = re.sub(r"(?<!^)(?=[A-Z])", " ", type(exc).__name__).lower()
        return f"{words}: {text}" if text else words

    async def firing(self) -> list[dict[str, Any]]:
        """Active alerts that are neither silenced nor inhibited."""
        alerts: list[dict[str, Any]] = await self._get(
            "/api/v2/alerts", {"active": "true", "silenced": "false", "inhibited": "false"}
        )
        return alerts

    async def groups(self) -> list[dict[str, Any]]:
        """Alert groups as Alertmanager's routing makes them (GET /api/v2/alerts/groups):
        each with its ``labels``, ``receiver`` and ``alerts``, silenced and inhibited ones
        included."""
        groups = await self._get("/api/v2/alerts/groups")
        if not isinstance(groups, list):
            raise AlertmanagerError(f"Alertmanager at {self.url}: groups are not a list")
        return groups

    async def silences(self) -> list[dict[str, Any]]:
        """Every silence Alertmanager keeps (GET /api/v2/silences), expired ones included."""
        silences = await self._get("/api/v2/silences")
        if not isinstance(silences, list):
            raise AlertmanagerError(f"Alertmanager at {self.url}: silences are not a list")
        return silences
