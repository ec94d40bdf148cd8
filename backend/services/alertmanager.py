"""Alertmanager's silences API (v2), as the backend changes silences for an admin.

Every failure raises ``AlertmanagerError`` with the status and code the backend answers:
not configured (503 alertmanager_not_configured), unreachable or too slow (503
alertmanager_unavailable, with a Retry-After), a silence Alertmanager refuses (400: 422
alertmanager_refused, with its text), an error of Alertmanager's own or an answer that is not
its API's (5xx, other 4xx, not JSON: 502 alertmanager_error).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from taskdeck_core.urls import redact_url

TIMEOUT_S = 5.0
RETRY_S = 10  # Alertmanager restarts within seconds
SETTING = "TASKDECK_ALERTMANAGER_URL"


class AlertmanagerError(Exception):
    """Answered with ``status`` and ``code``; ``retry_after_s`` as Retry-After when set."""

    def __init__(
        self, status: int, code: str, detail: str, retry_after_s: int | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.retry_after_s = retry_after_s


def open_client(url: str) -> httpx.AsyncClient | None:
    """A client of the Alertmanager at ``url``; None when no URL is configured."""
    url = url.strip().rstrip("/")
    return httpx.AsyncClient(base_url=url, timeout=TIMEOUT_S) if url else None


def iso(at: datetime) -> str:
    """``at`` as Alertmanager takes it (RFC 3339, UTC)."""
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


class Alertmanager:
    """The few calls of Alertmanager's API the silence routes make."""

    def __init__(self, client: httpx.AsyncClient | None) -> None:
        self.client = client

    def check_configured(self) -> None:
        """AlertmanagerError (503 alertmanager_not_configured) when there is no URL."""
        self._http()

    def _http(self) -> httpx.AsyncClient:
        if self.client is None:
            raise AlertmanagerError(
                503, "alertmanager_not_configured",
                f"this backend has no Alertmanager to change silences in: set {SETTING} "
                "(e.g. http://127.0.0.1:9093) and restart it",
            )  # fmt: skip
        return self.client

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        http = self._http()
        where = redact_url(str(http.base_url))
        try:
            reply = await http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            what = "did not answer in time" if isinstance(exc, httpx.TimeoutException) else (
                f"cannot be reached ({type(exc).__name__}: {str(exc)[:200] or 'no detail'})"
            )  # fmt: skip
            change = method != "GET"
            raise AlertmanagerError(
                503, "alertmanager_unavailable",
                f"Alertmanager at {where} {what}; try again in {RETRY_S} s"
                + ("; if it did not answer in time the change may have been made: look at "
                   "its silences and the audit log before repeating it" if change else ""),
                RETRY_S,
            ) from None  # fmt: skip
        if reply.status_code >= 500:
            raise AlertmanagerError(
                502, "alertmanager_error",
                f"Alertmanager at {where} failed ({reply.status_code}): {_text(reply)}",
            )  # fmt: skip
        return reply

    async def silence(self, silence_id: str) -> dict[str, Any] | None:
        """The silence, as Alertmanager shows it; None if it does not know it."""
        reply = await self._request("GET", f"/api/v2/silence/{silence_id}")
        if reply.status_code == 404:
            return None
        _refused(reply)
        body = _json(reply)
        if not isinstance(body, dict) or not {"endsAt", "matchers", "status"} <= set(body):
            raise _unreadable(reply)
        return body

    async def post_silence(self, silence: dict[str, Any]) -> str:
        """Create (or, with an ``id``, update) a silence; the id of the one now in force."""
        reply = await self._request("POST", "/api/v2/silences", json=silence)
        _refused(reply)
        body = _json(reply)
        if not isinstance(body, dict) or not isinstance(body.get("silenceID"), str):
            raise _unreadable(reply)
        return body["silenceID"]

    async def expire(self, silence_id: str) -> bool:
        """Expire the silence now; False if Alertmanager does not know it."""
        reply = await self._request("DELETE", f"/api/v2/silence/{silence_id}")
        if reply.status_code == 404:
            return False
        _refused(reply)
        return True


def _text(reply: httpx.Response) -> str:
    return reply.text.strip()[:500] or reply.reason_phrase


def _json(reply: httpx.Response) -> Any:
    try:
        return reply.json()
    except ValueError:
        raise _unreadable(reply) from None


def _unreadable(reply: httpx.Response) -> AlertmanagerError:
    """An answer that is not what Alertmanager's API v2 answers: something else is there."""
    return AlertmanagerError(
        502, "alertmanager_error",
        f"{redact_url(str(reply.request.url))} answered {reply.status_code} in a form "
        f"Alertmanager's API v2 does not ({_text(reply)[:100]!r}); is {SETTING} the address of "
        "an Alertmanager?",
    )  # fmt: skip


def _refused(reply: httpx.Response) -> None:
    """422 when Alertmanager refuses the request as invalid (400, 422: a matcher it does not
    take); 502 for any other refusal (401, 403, 404: not Alertmanager's API, or a proxy)."""
    if reply.status_code in (400, 422):
        raise AlertmanagerError(
            422, "alertmanager_refused", f"Alertmanager refused the silence: {_text(reply)}"
        )
    if reply.status_code >= 400:
        raise AlertmanagerError(
            502, "alertmanager_error",
            f"{redact_url(str(reply.request.url))} answered {reply.status_code}: "
            f"{_text(reply)[:200]}; is {SETTING} the address of an Alertmanager?",
        )  # fmt: skip
