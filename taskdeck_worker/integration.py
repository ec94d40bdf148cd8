"""The signal handlers a Celery system adds to its workers and producers.

``install(app)`` makes every process that imports the app append each task's
lifecycle to a capped Redis stream on the broker: at publish the whole
envelope (args and kwargs whole, not truncated reprs, so a retry can re-send
exactly what was sent), then received, started, succeeded, failed, retried,
revoked and rejected. The backend's ledger consumes that stream.

Each record a worker makes names the worker's main process (``worker_pid``), so a task
held by a worker that died and was started again under the same name is told apart
from the tasks of the new one. A task whose body returned but whose result Celery could
not store (the result backend was down or read-only) is recorded as succeeded with
``result_stored: false`` and the error, not as a failure of its work.

It also makes cancellation durable: a worker that receives a task whose id is
in the cancelled set skips it, even if it was offline when the cancel was
made or has restarted since.

A failure to reach Redis here is logged and never fails or delays the task
beyond the socket timeout.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
import os
import sys
import threading
import time
import traceback as tb
from collections.abc import Iterator
from typing import Any

import redis
from celery import Celery, signals

from taskdeck_core import lifecycle as lc
from taskdeck_core.priority import PriorityError, from_celery_priority

log = logging.getLogger("taskdeck.integration")

USER_HEADER = "taskdeck_user"
TIER_HEADER = "taskdeck_tier"
RETRY_OF_HEADER = "taskdeck_retry_of"
DEFAULT_MAXLEN = 1_000_000
ERROR_CAP = 2000  # characters of a result backend's error kept in a record

# Celery's publish signal does not say which app publishes. Every publish goes
# through ``app.send_task``, which install() wraps to set this, so that in a
# process with several apps each publish is recorded once, on its own broker.
_publishing_app: contextvars.ContextVar[Any] = contextvars.ContextVar("taskdeck_app", default=None)


class _Emitter:
    """Appends lifecycle records to the stream; one Redis client per process."""

    def __init__(self, url: str, stream: str, maxlen: int) -> None:
        self.url = url
        self.stream = stream
        self.maxlen = maxlen
        self._client: redis.Redis | None = None
        self._pid = 0
        self._lock = threading.Lock()
        self.started: dict[str, float] = {}  # task id -> perf_counter at start (this process)
        # The worker's main process: set when a worker starts, inherited by its pool.
        self.worker_pid: int | None = None
        self._buffer: contextvars.ContextVar[list[dict[Any, Any]] | None] = contextvars.ContextVar(
            "taskdeck_buffer", default=None
        )
        self._seen: contextvars.ContextVar[list[lc.LifecycleRecord] | None] = (
            contextvars.ContextVar("taskdeck_seen", default=None)
        )

    @contextlib.contextmanager
    def captured(self) -> Iterator[list[lc.LifecycleRecord]]:
        """The records emitted in this context, as well as appended to the stream: for a
        producer that keeps its own copy (the backend puts a submission in its ledger at once)."""
        seen: list[lc.LifecycleRecord] = []
        token = self._seen.set(seen)
        try:
            yield seen
        finally:
            self._seen.reset(token)

    @contextlib.contextmanager
    def batched(self) -> Iterator[None]:
        """Collect the records emitted in this context and append them in one pipeline."""
        buffer: list[dict[Any, Any]] = []
        token = self._buffer.set(buffer)
        try:
            yield
        finally:
            self._buffer.reset(token)
            if buffer:
                try:
                    pipe = self.client().pipeline(transaction=False)
                    for fields in buffer:
                        pipe.xadd(self.stream, fields, maxlen=self.maxlen, approximate=True)
                    pipe.execute()
                except Exception as exc:  # noqa: BLE001 - never fail the publisher for the ledger
                    log.warning("taskdeck: could not record %d records: %s", len(buffer), exc)

    def client(self) -> redis.Redis:
        if self._client is None or self._pid != os.getpid():  # forked: a fresh connection
            with self._lock:
                self._client = redis.Redis.from_url(
                    self.url, socket_timeout=2, socket_connect_timeout=2
                )
                self._pid = os.getpid()
        return self._client

    def emit(self, kind: str, task_id: str | None, data: dict[str, Any]) -> None:
        if not task_id:
            return
        record = lc.LifecycleRecord(kind, str(task_id), time.time(), data)
        seen = self._seen.get()
        if seen is not None:
            seen.append(record)
        fields: dict[Any, Any] = record.to_fields()
        buffer = self._buffer.get()
        if buffer is not None:
            buffer.append(fields)
            return
        try:
            self.client().xadd(self.stream, fields, maxlen=self.maxlen, approximate=True)
        except Exception as exc:  # noqa: BLE001 - never fail the task for the ledger
            log.warning("taskdeck: could not record %s of %s: %s", kind, task_id, exc)

    def is_cancelled(self, task_id: str) -> bool:
        try:
            return self.client().zscore(lc.CANCELLED_KEY, task_id) is not None
        except Exception as exc:  # noqa: BLE001
            log.warning("taskdeck: could not check cancellation of %s: %s", task_id, exc)
            return False


def _user_priority(value: object) -> int | None:
    try:
        return from_celery_priority(value)
    except PriorityError:
        return None


def envelope(
    body: Any, headers: dict[str, Any], properties: dict[str, Any], routing_key: str | None
) -> dict[str, Any]:
    """What a retry needs to re-send the task exactly, plus who and where."""
    if isinstance(body, (list, tuple)) and len(body) >= 2:  # protocol 2: (args, kwargs, embed)
        args, kwargs = list(body[0]), dict(body[1])
    else:  # protocol 1
        args, kwargs = list(body.get("args", [])), dict(body.get("kwargs", {}))
    user = headers.get(USER_HEADER) or kwargs.get("user_id")
    if user is None and len(args) >= 2 and isinstance(args[1], str):
        user = args[1]  # the data-sync tasks take (file_id(s), user_id)
    return {
        "name": headers.get("task"),
        "args": args,
        "kwargs": kwargs,
        "queue": routing_key or properties.get("delivery_info", {}).get("routing_key"),
        "priority": _user_priority(properties.get("priority")),
        "user": user,
        "tier": headers.get(TIER_HEADER),
        "eta": headers.get("eta"),
        "expires": headers.get("expires"),
        "parent_id": headers.get("parent_id"),
        "root_id": headers.get("root_id"),
        "retries": headers.get("retries", 0),
        "retry_of": headers.get(RETRY_OF_HEADER),
    }


def install(
    app: Celery, stream: str = lc.STREAM_KEY, maxlen: int = DEFAULT_MAXLEN, url: str | None = None
) -> None:
    """Connect the lifecycle handlers for ``app`` (idempotent per app)."""
    if getattr(app, "_taskdeck_installed", False):
        return
    app._taskdeck_installed = True
    emitter = _Emitter(url or app.conf.broker_url, stream, maxlen)
    app.taskdeck_emitter = emitter
    send_task = app.send_task

    @functools.wraps(send_task)
    def send_task_recorded(*args: Any, **kwargs: Any) -> Any:
        token = _publishing_app.set(app)
        try:
            return send_task(*args, **kwargs)
        finally:
            _publishing_app.reset(token)

    app.send_task = send_task_recorded

    def ours(sender: Any) -> bool:
        task_app = getattr(sender, "app", None) or getattr(sender, "_app", None)
        return task_app is None or task_app is app

    @signals.before_task_publish.connect(weak=False)
    def on_publish(
        sender: Any = None,
        body: Any = None,
        headers: dict[str, Any] | None = None,
        properties: dict[str, Any] | None = None,
        routing_key: str | None = None,
        **_: Any,
    ) -> None:
        if _publishing_app.get() is not app:
            return
        headers = headers or {}
        emitter.emit(
            lc.PUBLISHED, headers.get("id"), envelope(body, headers, properties or {}, routing_key)
        )

    @signals.worker_init.connect(weak=False)
    def on_worker_init(sender: Any = None, **_: Any) -> None:
        emitter.worker_pid = os.getpid()  # the main process, before its pool starts

    @signals.worker_process_init.connect(weak=False)
    def on_process_init(sender: Any = None, **_: Any) -> None:
        if emitter.worker_pid is None:  # a pool process that was not forked from the main one
            emitter.worker_pid = os.getppid()

    @signals.task_received.connect(weak=False)
    def on_received(sender: Any = None, request: Any = None, **_: Any) -> None:
        if request is None:
            return
        if emitter.is_cancelled(request.id):
            # The worker checks this set again just before executing, so the
            # task is skipped and reported revoked instead of run.
            from celery.worker import state as worker_state

            worker_state.revoked.add(request.id)
        emitter.emit(
            lc.RECEIVED,
            request.id,
            {"hostname": request.hostname, "worker_pid": emitter.worker_pid or os.getpid()},
        )

    @signals.task_prerun.connect(weak=False)
    def on_prerun(
        sender: Any = None, task_id: str | None = None, task: Any = None, **_: Any
    ) -> None:
        if not ours(task) or task_id is None:
            return
        emitter.started[task_id] = time.perf_counter()
        hostname = getattr(getattr(task, "request", None), "hostname", None)
        emitter.emit(
            lc.STARTED,
            task_id,
            {"hostname": hostname, "pid": os.getpid(), "worker_pid": emitter.worker_pid},
        )

    def runtime(task_id: str | None) -> float | None:
        started = emitter.started.pop(task_id or "", None)
        return None if started is None else round(time.perf_counter() - started, 6)

    @signals.task_success.connect(weak=False)
    def on_success(sender: Any = None, result: Any = None, **_: Any) -> None:
        if not ours(sender):
            return
        task_id = sender.request.id
        emitter.emit(lc.SUCCEEDED, task_id, {"runtime": runtime(task_id), "result": result})

    @signals.task_postrun.connect(weak=False)
    def on_postrun(
        sender: Any = None,
        task_id: str | None = None,
        task: Any = None,
        retval: Any = None,
        state: str | None = None,
        **_: Any,
    ) -> None:
        if not ours(task) or task_id is None or state != lc.SUCCESS:
            return
        if task_id not in emitter.started:
            return  # its success was recorded
        # The body returned, but Celery stopped before its success: storing the result (or
        # sending its callbacks) raised, and that error is on its way out of Celery's trace
        # now. Celery goes on to report it as the task's failure; the work itself is done.
        error = sys.exc_info()[1]
        text = f"{type(error).__name__}: {error}" if error else "no error was reported"
        emitter.emit(
            lc.SUCCEEDED,
            task_id,
            {"runtime": runtime(task_id), "result": retval, "result_stored": False,
             "result_error": text[:ERROR_CAP]},
        )  # fmt: skip

    @signals.task_failure.connect(weak=False)
    def on_failure(
        sender: Any = None,
        task_id: str | None = None,
        exception: BaseException | None = None,
        einfo: Any = None,
        **_: Any,
    ) -> None:
        if not ours(sender):
            return
        text = str(getattr(einfo, "traceback", "") or "")
        if not text and exception is not None:
            text = "".join(tb.format_exception(exception))
        emitter.emit(
            lc.FAILED,
            task_id,
            {
                "runtime": runtime(task_id),
                "exc_type": type(exception).__name__ if exception else "Exception",
                "exc_message": str(exception) if exception else "",
                "traceback": text,
                # Raised outside the task's body (by Celery: e.g. storing its result).
                "internal": bool(getattr(einfo, "internal", False)),
            },
        )

    @signals.task_retry.connect(weak=False)
    def on_retry(sender: Any = None, request: Any = None, reason: Any = None, **_: Any) -> None:
        if request is None:
            return
        emitter.emit(
            lc.RETRIED,
            request.id,
            {"runtime": runtime(request.id), "reason": str(reason), "retries": request.retries},
        )

    @signals.task_revoked.connect(weak=False)
    def on_revoked(
        sender: Any = None,
        request: Any = None,
        terminated: bool = False,
        signum: Any = None,
        expired: bool = False,
        **_: Any,
    ) -> None:
        if request is None:
            return
        emitter.emit(
            lc.REVOKED,
            request.id,
            {"terminated": bool(terminated), "signum": str(signum) if signum else None,
             "expired": bool(expired)},
        )  # fmt: skip

    @signals.task_rejected.connect(weak=False)
    def on_rejected(sender: Any = None, message: Any = None, exc: Any = None, **_: Any) -> None:
        headers = getattr(message, "headers", None) or {}
        emitter.emit(lc.REJECTED, headers.get("id"), {"reason": str(exc) if exc else None})
