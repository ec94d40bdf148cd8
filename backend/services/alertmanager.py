"""Alertmanager's silences API (v2), as the backend changes silences for an admin.

Every failure raises ``AlertmanagerError`` with the status and code the backend answers:
not configured (503 alertmanager_not_configured), not reached (503 alertmanager_unavailable,
with a Retry-After: nothing was sent), a change sent that got no answer in time (504
alertmanager_timeout: it may have been made), a silence Alertmanager refuses (400: 422
alertmanager_refused, with its text), an error of Alertmanager's own or an answer that is not
its API's (5xx, other 4xx, not JSON: 502 alertmanager_error).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from taskdeck_core.urls import redact_url

TIMEOUT_S = 5.0
RETRY_S = 10  # Alertmanager restarts within seconds
SETTING = "TASKDECK_ALERTMANAGER_URL"
TIMED_OUT = "alertmanager_timeout"  # a change was sent and not answered: it may have been made
# Failures that happen before a request is sent: Alertmanager cannot have acted on it.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)
RECENT_S = 300  # a silence found again after a timeout was updated at most this long before


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


def open_client(url: str, timeout_s: float = TIMEOUT_S) -> httpx.AsyncClient | None:
    """A client of the Alertmanager at ``url``; None when no URL is configured."""
    url = url.strip().rstrip("/")
    return httpx.AsyncClient(base_url=url, timeout=timeout_s) if url else None


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
            timeout = isinstance(exc, httpx.TimeoutException)
            if method != "GET" and not isinstance(exc, NOT_SENT):
                what = (f"did not answer within {_seconds(http)}" if timeout else
                        f"dropped the request ({_why(exc)})")  # fmt: skip
                raise AlertmanagerError(
                    504, TIMED_OUT,
                    f"Alertmanager at {where} {what} after the change was sent: it may have "
                    "been made",
                ) from None  # fmt: skip
            what = f"did not answer within {_seconds(http)}" if timeout else (
                f"cannot be reached ({_why(exc)})"
            )  # fmt: skip
            raise AlertmanagerError(
                503, "alertmanager_unavailable",
                f"Alertmanager at {where} {what}"
                + ("; nothing was sent to it" if method != "GET" else "")
                + f"; try again in {RETRY_S} s",
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

    async def silences(self) -> list[dict[str, Any]]:
        """Every silence Alertmanager keeps, expired ones included."""
        reply = await self._request("GET", "/api/v2/silences")
        _refused(reply)
        body = _json(reply)
        if not isinstance(body, list):
            raise _unreadable(reply)
        return [s for s in body if isinstance(s, dict)]

    async def find_silence(self, silence: dict[str, Any], since: datetime) -> str | None:
        """The id of a silence not expired, updated at or after ``since``, with the
        ``createdBy``, ``comment``, matchers and end of ``silence`` (as posted); the newest
        if several, None if none: whether a silence posted without an answer was made."""
        wanted = _matcher_set(silence["matchers"])
        end = _at(silence["endsAt"])
        found = [
            s for s in await self.silences()
            if s.get("createdBy") == silence["createdBy"]
            and s.get("comment") == silence["comment"]
            and _matcher_set(s.get("matchers") or []) == wanted
            and (s.get("status") or {}).get("state") != "expired"
            and _near(s.get("endsAt"), end, timedelta(seconds=1))
            and _after(s.get("updatedAt"), since - timedelta(seconds=RECENT_S))
        ]  # fmt: skip
        found.sort(key=lambda s: str(s.get("updatedAt")))
        return str(found[-1]["id"]) if found else None

    async def expire(self, silence_id: str) -> bool:
        """Expire the silence now; False if Alertmanager does not know it."""
        reply = await self._request("DELETE", f"/api/v2/silence/{silence_id}")
        if reply.status_code == 404:
            return False
        _refused(reply)
        return True


def _seconds(http: httpx.AsyncClient) -> str:
    read = http.timeout.read
    return f"{read:g} s" if read is not None else "the time allowed"


def _why(exc: Exception) -> str:
    return f"{type(exc).__name__}: {str(exc)[:200] or 'no detail'}"


def _at(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _near(value: Any, moment: datetime | None, within: timedelta) -> bool:
    seen = _at(value)
    return seen is not None and moment is not None and abs(seen - moment) <= within


def _after(value: Any, moment: datetime) -> bool:
    seen = _at(value)
    return seen is not None and seen >= moment


def _matcher_set(matchers: list[Any]) -> frozenset[tuple[str, str, bool, bool]]:
    return frozenset(
        (str(m.get("name")), str(m.get("value")), bool(m.get("isRegex", False)),
         bool(m.get("isEqual", True)))
        for m in matchers if isinstance(m, dict)
    )  # fmt: skip


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
