"""Alertmanager's API (httpx, async). No Qt here."""

from __future__ import annotations

from typing import Any

import httpx


class AlertmanagerError(Exception):
    pass


class AlertmanagerClient:
    def __init__(self, url: str, timeout_s: float = 5.0) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.AsyncClient(base_url=self.url, timeout=timeout_s)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def firing(self) -> list[dict[str, Any]]:
        """Active alerts that are neither silenced nor inhibited."""
        try:
            reply = await self._http.get(
                "/api/v2/alerts",
                params={"active": "true", "silenced": "false", "inhibited": "false"},
            )
            reply.raise_for_status()
            alerts: list[dict[str, Any]] = reply.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise AlertmanagerError(f"Alertmanager at {self.url}: {exc}") from None
        return alerts
