"""The console's client of the TaskDeck backend (httpx, async). No Qt here.

Every change the console makes goes through here: the backend authenticates,
authorises, records and acts. Failures raise BackendError with the backend's
own explanation, so the window can show it as it is. Answers come back as the
API's own types (taskdeck_core.api_types), the ones the backend declares.
"""

from __future__ import annotations

import json
import ssl
import uuid
from typing import Any, Literal, TypeVar
from urllib.parse import quote

import httpx
from pydantic import TypeAdapter, ValidationError

from taskdeck_core.api_types import (
    ActionResult,
    AuditPage,
    BulkAccepted,
    BulkDryRun,
    BulkItemPage,
    BulkJob,
    Environment,
    ErrorBody,
    FailureGroup,
    Me,
    MessagePage,
    QueueSummary,
    TaskDetail,
    TaskPage,
    TaskStats,
    WorkerDetail,
    WorkerInfo,
)

T = TypeVar("T")
_ME = TypeAdapter(Me)
_QUEUES = TypeAdapter(list[QueueSummary])
_MESSAGES = TypeAdapter(MessagePage)
_WORKERS = TypeAdapter(list[WorkerInfo])
_WORKER_DETAIL = TypeAdapter(WorkerDetail)
_ACTION = TypeAdapter(ActionResult)
_TASK_STATS = TypeAdapter(TaskStats)
_BULK: TypeAdapter[BulkAccepted | BulkDryRun] = TypeAdapter(BulkAccepted | BulkDryRun)
_JOB = TypeAdapter(BulkJob)
_ENVIRONMENT = TypeAdapter(Environment)
_TASKS = TypeAdapter(TaskPage)
_TASK = TypeAdapter(TaskDetail)
_GROUPS = TypeAdapter(list[FailureGroup])
_AUDIT = TypeAdapter(AuditPage)
_JOBS = TypeAdapter(list[BulkJob])
_ITEMS = TypeAdapter(BulkItemPage)
BulkAction = Literal["cancel", "retry", "priority"]
KEEPALIVE_S = 2.0


def _given(params: dict[str, Any]) -> dict[str, Any]:
    """The query parameters that have a value."""
    return {k: v for k, v in params.items() if v is not None and v != ""}


def _is_json(content: bytes) -> bool:
    try:
        json.loads(content)
    except ValueError:  # UnicodeDecodeError too
        return False
    return True


class BackendError(Exception):
    """The backend refused or could not be reached; ``detail`` is meant for the user.

    ``retry_after_s`` is when to ask again, where the backend said (429, 503)."""

    def __init__(
        self, status: int | None, code: str, detail: str, retry_after_s: float | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.retry_after_s = retry_after_s

    @property
    def reached(self) -> bool:
        """False when the request may never have arrived (no answer at all)."""
        return self.status is not None


def tls_trust(ca_file: str | None) -> ssl.SSLContext | bool:
    """What an HTTPS connection to the backend trusts: the certificates in ``ca_file`` (PEM)
    if given, else the usual authorities (``True``). Raises CAFileError if the file cannot
    be read as certificates."""
    if not ca_file:
        return True
    try:
        return ssl.create_default_context(cafile=ca_file)
    except (OSError, ssl.SSLError, ValueError) as exc:
        why = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or str(exc)
        raise CAFileError(
            f"the backend CA file {ca_file} cannot be used ({why}); give the profile a PEM "
            "file of the certificates that sign the backend's certificate"
        ) from None


class CAFileError(ValueError):
    """The CA file named for the backend cannot be read as certificates."""


def _untrusted(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate check that failed under ``exc``, if that is what failed."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _retry_after(reply: httpx.Response) -> float | None:
    try:
        value = float(reply.headers.get("retry-after", ""))
    except ValueError:
        return None
    return value if value >= 0 else None


class BackendClient:
    def __init__(
        self, url: str, token: str | None, timeout_s: float = 10.0, ca_file: str | None = None
    ) -> None:
        """``ca_file``: the PEM certificates that sign the backend's HTTPS certificate (a
        proxy's own CA, a self-signed certificate); none: the usual authorities."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.url = url.rstrip("/")
        self.ca_file = ca_file or ""
        self._ca_problem: str | None = None
        try:
            verify = tls_trust(ca_file)
        except CAFileError as exc:
            self._ca_problem, verify = str(exc), True  # every call says so
        # Idle connections are dropped before the server's keep-alive (uvicorn's 5 s) ends:
        # a request on a connection the server is closing is lost without an answer.
        self._http = httpx.AsyncClient(
            base_url=self.url, headers=headers, timeout=timeout_s, verify=verify,
            limits=httpx.Limits(keepalive_expiry=KEEPALIVE_S),
        )  # fmt: skip

    async def aclose(self) -> None:
        await self._http.aclose()

    async def call(self, model: TypeAdapter[T], method: str, path: str, **kwargs: Any) -> T:
        """One request; its answer parsed into ``model``, or BackendError saying what failed."""
        if self._ca_problem is not None:
            raise BackendError(None, "bad_ca_file", self._ca_problem)
        try:
            try:
                reply = await self._http.request(method, path, **kwargs)
            except (httpx.RemoteProtocolError, httpx.ReadError):
                if method != "GET":
                    raise
                # A reading on a kept-alive connection the server closed meanwhile: asked
                # once more on a new connection (a read changes nothing).
                reply = await self._http.request(method, path, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:  # nothing was sent
            untrusted = _untrusted(exc)
            if untrusted is not None:
                raise BackendError(
                    None, "untrusted_certificate", self._untrusted_detail(untrusted)
                ) from None
            raise BackendError(
                None, "unreachable", f"cannot reach the backend at {self.url}: {exc}"
            ) from None
        except httpx.TimeoutException:  # sent, and no answer in time: it may have acted
            raise BackendError(
                None, "timeout", f"the backend at {self.url} did not answer in time"
            ) from None
        except httpx.HTTPError as exc:  # sent (or being sent), and no answer came
            if method == "GET":  # a reading: whatever happened, it changed nothing
                raise BackendError(
                    None, "unreachable", f"cannot reach the backend at {self.url}: {exc}"
                ) from None
            raise BackendError(
                None, "no_answer",
                f"the backend at {self.url} did not answer ({type(exc).__name__}: {exc})",
            ) from None  # fmt: skip
        if reply.status_code >= 400:
            try:
                body = ErrorBody.model_validate_json(reply.content)
                code, detail = body.error, body.detail
            except ValidationError:
                if reply.content.strip() and not _is_json(reply.content):
                    raise self._not_json(reply, method, path) from None
                code, detail = "error", reply.text[:300] or reply.reason_phrase
            raise BackendError(reply.status_code, code, detail, _retry_after(reply))
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

    def _untrusted_detail(self, exc: ssl.SSLCertVerificationError) -> str:
        reason = exc.verify_message or exc.reason or str(exc)
        if self.ca_file:
            fix = (f"the profile's backend CA file {self.ca_file} does not sign it: give the "
                   "file of the CA that does, or fix the certificate")  # fmt: skip
        else:
            fix = ("if the backend (or its proxy) uses its own CA or a self-signed certificate, "
                   "give the profile that CA's PEM file as its backend CA file")  # fmt: skip
        return (
            f"the backend at {self.url} presented a certificate this console does not trust "
            f"({reason}); nothing was sent. {fix[0].upper()}{fix[1:]}."
        )

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
        return await self.call(_ME, "GET", "/api/v1/me")

    async def environment(self) -> Environment:
        """The watched system as the backend learned it, and what TaskDeck can do there."""
        return await self.call(_ENVIRONMENT, "GET", "/api/v1/environment")

    async def queues(self) -> list[QueueSummary]:
        return await self.call(_QUEUES, "GET", "/api/v1/queues")

    async def queue_messages(
        self, queue: str, offset: int = 0, limit: int = 100, search: str | None = None
    ) -> MessagePage:
        """A page of ``queue``'s waiting messages in run order; with ``search``, a page of
        those that match it, searched by the backend over the whole queue."""
        params: dict[str, Any] = {"offset": offset, "limit": limit}
        if search:
            params["q"] = search
        return await self.call(_MESSAGES, "GET", f"/api/v1/queues/{queue}/messages", params=params)

    async def workers(self) -> list[WorkerInfo]:
        return await self.call(_WORKERS, "GET", "/api/v1/workers")

    async def worker_detail(self, hostname: str) -> WorkerDetail:
        """What one worker says of itself (its tasks, pool, queues), asked of it alone;
        ``replied`` is false when it did not answer in time or is offline."""
        return await self.call(
            _WORKER_DETAIL, "GET", f"/api/v1/workers/{quote(hostname, safe='@')}/detail"
        )

    async def task_stats(self, window_s: float) -> TaskStats:
        """Tasks that succeeded and failed in the last ``window_s`` seconds, per the ledger."""
        return await self.call(
            _TASK_STATS, "GET", "/api/v1/stats/tasks", params={"window_s": round(window_s)}
        )

    async def cancel(self, task_id: str, reason: str) -> ActionResult:
        return await self.call(
            _ACTION, "POST", f"/api/v1/tasks/{task_id}/cancel", json={"reason": reason}
        )

    async def set_priority(self, task_id: str, priority: int, reason: str) -> ActionResult:
        return await self.call(
            _ACTION,
            "POST",
            f"/api/v1/tasks/{task_id}/priority",
            json={"priority": priority, "reason": reason},
        )

    async def bulk(
        self,
        action: BulkAction,
        task_ids: list[str] | None,
        reason: str,
        priority: int | None = None,
        dry_run: bool = False,
        idempotency_key: str | None = None,
        filter: dict[str, Any] | None = None,
    ) -> BulkAccepted | BulkDryRun:
        """One request for many tasks (``task_ids``, or those matching ``filter``): a job
        (poll it with ``bulk_job``), or with ``dry_run`` what the job would do."""
        body: dict[str, Any] = {
            "action": action, "reason": reason,
            "idempotency_key": idempotency_key or str(uuid.uuid4()), "dry_run": dry_run,
        }  # fmt: skip
        if filter is not None:
            body["filter"] = _given(filter)
        else:
            body["task_ids"] = task_ids or []
        if priority is not None:
            body["priority"] = priority
        return await self.call(_BULK, "POST", "/api/v1/actions/bulk", json=body)

    async def bulk_job(self, job_id: str) -> BulkJob:
        return await self.call(_JOB, "GET", f"/api/v1/actions/bulk/{job_id}")

    async def bulk_jobs(self, limit: int = 20, mine: bool = True) -> list[BulkJob]:
        """Recent bulk jobs, newest first (with ``mine``, only the caller's)."""
        params = {"limit": limit, "mine": "true" if mine else "false"}
        return await self.call(_JOBS, "GET", "/api/v1/actions/bulk", params=params)

    async def bulk_items(
        self, job_id: str, outcome: str | None = None, limit: int = 200, cursor: str | None = None
    ) -> BulkItemPage:
        """A page of a job's items (with ``outcome``, those that came to it)."""
        params = _given({"outcome": outcome, "limit": limit, "cursor": cursor})
        return await self.call(_ITEMS, "GET", f"/api/v1/actions/bulk/{job_id}/items", params=params)

    async def tasks(
        self, filters: dict[str, Any], limit: int = 100, cursor: str | None = None
    ) -> TaskPage:
        """A page of tasks newest first; ``filters`` as GET /api/v1/tasks names them
        (state, name, user, queue, group, q, since, until, lost)."""
        params = _given({**filters, "limit": limit, "cursor": cursor})
        return await self.call(_TASKS, "GET", "/api/v1/tasks", params=params)

    async def task(self, task_id: str) -> TaskDetail:
        return await self.call(_TASK, "GET", f"/api/v1/tasks/{task_id}")

    async def failure_groups(
        self, since: float | None, until: float | None = None, buckets: int = 0
    ) -> list[FailureGroup]:
        """Failures grouped by signature in [since, until), each with ``buckets`` counts."""
        params = _given({"since": since, "until": until, "buckets": buckets or None})
        return await self.call(_GROUPS, "GET", "/api/v1/failures/groups", params=params)

    async def audit(
        self, filters: dict[str, Any], limit: int = 100, cursor: str | None = None
    ) -> AuditPage:
        """Audit entries newest first; ``filters``: user, action, since, until, task_id."""
        params = _given({**filters, "limit": limit, "cursor": cursor})
        return await self.call(_AUDIT, "GET", "/api/v1/audit", params=params)
