"""The console's client of the TaskDeck backend (httpx, async). No Qt here.

Every change the console makes goes through here: the backend authenticates,
authorises, records and acts. Failures raise BackendError with the backend's
own explanation, so the window can show it as it is.
"""

from __future__ import annotations

from typing import Any

import httpx


class BackendError(Exception):
    """The backend refused or could not be reached; ``detail`` is meant for the user."""

    def __init__(self, status: int | None, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail


class BackendClient:
    def __init__(self, url: str, token: str | None, timeout_s: float = 10.0) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.url = url.rstrip("/")
        self._http = httpx.AsyncClient(base_url=self.url, headers=headers, timeout=timeout_s)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            reply = await self._http.request(method, path, **kwargs)
        except httpx.TimeoutException:
            raise BackendError(
                None, "timeout", f"the backend at {self.url} did not answer in time"
            ) from None
        except httpx.HTTPError as exc:
            raise BackendError(
                None, "unreachable", f"cannot reach the backend at {self.url}: {exc}"
            ) from None
        if reply.status_code >= 400:
            try:
                body = reply.json()
                code, detail = str(body.get("error", "error")), str(body.get("detail", reply.text))
            except ValueError:
                code, detail = "error", reply.text[:300] or reply.reason_phrase
            raise BackendError(reply.status_code, code, detail)
        return reply.json()

    async def me(self) -> dict[str, str]:
        result: dict[str, str] = await self._call("GET", "/api/v1/me")
        return result

    async def queues(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._call("GET", "/api/v1/queues")
        return result

    async def queue_messages(self, queue: str, offset: int = 0, limit: int = 100) -> dict[str, Any]:
        result: dict[str, Any] = await self._call(
            "GET", f"/api/v1/queues/{queue}/messages", params={"offset": offset, "limit": limit}
        )
        return result

    async def workers(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._call("GET", "/api/v1/workers")
        return result

    async def cancel(self, task_id: str, reason: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._call(
            "POST", f"/api/v1/tasks/{task_id}/cancel", json={"reason": reason}
        )
        return result

    async def set_priority(self, task_id: str, priority: int, reason: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._call(
            "POST",
            f"/api/v1/tasks/{task_id}/priority",
            json={"priority": priority, "reason": reason},
        )
        return result
