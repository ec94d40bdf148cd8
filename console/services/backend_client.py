"""The console's client of the TaskDeck backend (httpx, async). No Qt here.

Every change the console makes goes through here: the backend authenticates,
authorises, records and acts. Failures raise BackendError with the backend's
own explanation, so the window can show it as it is. Answers come back as the
API's own types (taskdeck_core.api_types), the ones the backend declares.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, Literal, TypeVar

import httpx
from pydantic import TypeAdapter, ValidationError

from taskdeck_core.api_types import (
    ActionResult,
    BulkAccepted,
    BulkDryRun,
    BulkJob,
    Environment,
    ErrorBody,
    Me,
    MessagePage,
    QueueSummary,
    TaskStats,
    WorkerInfo,
)

T = TypeVar("T")
_ME = TypeAdapter(Me)
_QUEUES = TypeAdapter(list[QueueSummary])
_MESSAGES = TypeAdapter(MessagePage)
_WORKERS = TypeAdapter(list[WorkerInfo])
_ACTION = TypeAdapter(ActionResult)
_TASK_STATS = TypeAdapter(TaskStats)
_BULK: TypeAdapter[BulkAccepted | BulkDryRun] = TypeAdapter(BulkAccepted | BulkDryRun)
_JOB = TypeAdapter(BulkJob)
_ENVIRONMENT = TypeAdapter(Environment)


def _is_json(content: bytes) -> bool:
    try:
        json.loads(content)
    except ValueError:  # UnicodeDecodeError too
        return False
    return True


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

    async def _call(self, model: TypeAdapter[T], method: str, path: str, **kwargs: Any) -> T:
        """One request; its answer parsed into ``model``, or BackendError saying what failed."""
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
                body = ErrorBody.model_validate_json(reply.content)
                code, detail = body.error, body.detail
            except ValidationError:
                if reply.content.strip() and not _is_json(reply.content):
                    raise self._not_json(reply, method, path) from None
                code, detail = "error", reply.text[:300] or reply.reason_phrase
            raise BackendError(reply.status_code, code, detail)
        try:
            return model.validate_json(reply.content)
        except ValidationError as exc:
            if not _is_json(reply.content):
                raise self._not_json(reply, method, path) from None
            raise BackendError(
                reply.status_code, "bad_answer",
                f"the backend at {self.url} answered {method} {path} in a form this console "
                f"does not read ({exc.error_count()} problems, first: {exc.errors()[0]['msg']}); "
                "are the console and the backend the same version?",
            ) from None  # fmt: skip

    def _not_json(self, reply: httpx.Response, method: str, path: str) -> BackendError:
        """An answer that is not JSON at all: something else answers at the backend's URL
        (a web server, a proxy's error page), so its body is not quoted."""
        body = reply.content.lstrip()[:1]
        html = "html" in reply.headers.get("content-type", "").lower() or body == b"<"
        kind = "HTML" if html else "text" if body else "an empty body"
        return BackendError(
            reply.status_code, "not_json",
            f"the backend at {self.url} answered {kind}, not JSON: is this the TaskDeck "
            f"backend? (HTTP {reply.status_code} to {method} {path}; check the backend URL)",
        )  # fmt: skip

    async def me(self) -> Me:
        return await self._call(_ME, "GET", "/api/v1/me")

    async def environment(self) -> Environment:
        """The watched system as the backend learned it, and what TaskDeck can do there."""
        return await self._call(_ENVIRONMENT, "GET", "/api/v1/environment")

    async def queues(self) -> list[QueueSummary]:
        return await self._call(_QUEUES, "GET", "/api/v1/queues")

    async def queue_messages(
        self, queue: str, offset: int = 0, limit: int = 100, search: str | None = None
    ) -> MessagePage:
        """A page of ``queue``'s waiting messages in run order; with ``search``, a page of
        those that match it, searched by the backend over the whole queue."""
        params: dict[str, Any] = {"offset": offset, "limit": limit}
        if search:
            params["q"] = search
        return await self._call(_MESSAGES, "GET", f"/api/v1/queues/{queue}/messages", params=params)

    async def workers(self) -> list[WorkerInfo]:
        return await self._call(_WORKERS, "GET", "/api/v1/workers")

    async def task_stats(self, window_s: float) -> TaskStats:
        """Tasks that succeeded and failed in the last ``window_s`` seconds, per the ledger."""
        return await self._call(
            _TASK_STATS, "GET", "/api/v1/stats/tasks", params={"window_s": round(window_s)}
        )

    async def cancel(self, task_id: str, reason: str) -> ActionResult:
        return await self._call(
            _ACTION, "POST", f"/api/v1/tasks/{task_id}/cancel", json={"reason": reason}
        )

    async def set_priority(self, task_id: str, priority: int, reason: str) -> ActionResult:
        return await self._call(
            _ACTION,
            "POST",
            f"/api/v1/tasks/{task_id}/priority",
            json={"priority": priority, "reason": reason},
        )

    async def bulk(
        self,
        action: Literal["cancel", "retry", "priority"],
        task_ids: list[str],
        reason: str,
        priority: int | None = None,
        dry_run: bool = False,
        idempotency_key: str | None = None,
    ) -> BulkAccepted | BulkDryRun:
        """One request for many tasks: a job (poll it with ``bulk_job``), or with ``dry_run``
        what the job would do."""
        body: dict[str, Any] = {
            "action": action, "task_ids": task_ids, "reason": reason,
            "idempotency_key": idempotency_key or str(uuid.uuid4()), "dry_run": dry_run,
        }  # fmt: skip
        if priority is not None:
            body["priority"] = priority
        return await self._call(_BULK, "POST", "/api/v1/actions/bulk", json=body)

    async def bulk_job(self, job_id: str) -> BulkJob:
        return await self._call(_JOB, "GET", f"/api/v1/actions/bulk/{job_id}")
