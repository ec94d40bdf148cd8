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
beyond the socket timeout. The records that could not be written are held in the
process (up to ``HOLD_MAX``, each one dropped beyond that logged) and written, in their
order, as soon as Redis answers again: a broker restart or a Sentinel failover loses no
record. With ``replicas`` (``TASKDECK_LEDGER_REPLICAS``) a write counts only once that
many replicas have it (Redis ``WAIT``); records a failover could have lost with the old
master are written again, which the ledger takes as the same record.
"""

from __future__ import annotations

import collections
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
from taskdeck_core.redis_clients import master_address, sync_client

log = logging.getLogger("taskdeck.integration")

USER_HEADER = "taskdeck_user"
TIER_HEADER = "taskdeck_tier"
RETRY_OF_HEADER = "taskdeck_retry_of"
DEFAULT_MAXLEN = 1_000_000
ERROR_CAP = 2000  # characters of a result backend's error kept in a record
HOLD_MAX = 100_000  # records held in a process while Redis does not take them
RESEND_EVERY_S = 1.0  # how often held records are tried again when nothing else is written
WAIT_TIMEOUT_MS = 500  # how long a write waits for its replicas before it is held again
REPLICA_CHECK_S = 1.0  # while too few replicas are connected, how often that is looked at

# Celery's publish signal does not say which app publishes. Every publish goes
# through ``app.send_task``, which install() wraps to set this, so that in a
# process with several apps each publish is recorded once, on its own broker.
_publishing_app: contextvars.ContextVar[Any] = contextvars.ContextVar("taskdeck_app", default=None)


class _Emitter:
    """Appends lifecycle records to the stream; one Redis client per process."""

    def __init__(
        self,
        url: str,
        stream: str,
        maxlen: int,
        master_name: str | None = None,
        replicas: int = 0,
    ) -> None:
        self.url = url
        self.master_name = master_name  # for a Sentinel URL that does not name its master
        self.replicas = replicas
        self.stream = stream
        self.maxlen = maxlen
        self._client: redis.Redis | None = None
        self._pid = 0
        self._lock = threading.Lock()
        # Records Redis did not take (down, failing over), oldest first; this process's.
        self._held: collections.deque[dict[Any, Any]] = collections.deque()
        self._held_pid = os.getpid()
        self._resender: threading.Thread | None = None
        self.dropped = 0  # records dropped beyond HOLD_MAX
        # Written, but no replica confirmed them yet, and on which master.
        self._unconfirmed: collections.deque[dict[Any, Any]] = collections.deque(maxlen=HOLD_MAX)
        self._unconfirmed_on: tuple[str, int] | None = None
        self._short = False  # a write came short of replicas: not waiting until they are back
        self._replicas_checked = 0.0
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
                self._write(buffer)

    def client(self) -> redis.Redis:
        if self._client is None or self._pid != os.getpid():  # forked: a fresh connection
            with self._lock:
                self._client = sync_client(
                    self.url, self.master_name, socket_timeout=2, socket_connect_timeout=2
                )
                self._pid = os.getpid()
        return self._client

    @property
    def held(self) -> int:
        """Records waiting in this process for Redis to take them."""
        return len(self._held) if self._held_pid == os.getpid() else 0

    def _take_held(self) -> list[dict[Any, Any]]:
        with self._lock:
            if self._held_pid != os.getpid():  # forked: the parent's held records are its own
                self._held = collections.deque()
                self._held_pid = os.getpid()
                self._resender = None
                self._unconfirmed.clear()
            held = list(self._held)
            self._held.clear()
            return held

    def _hold(self, records: list[dict[Any, Any]], why: object) -> None:
        with self._lock:
            self._held.extendleft(reversed(records))  # before anything held since, in order
            over = len(self._held) - HOLD_MAX
            for _ in range(max(0, over)):
                self._held.pop()
            self.dropped += max(0, over)
        self._ensure_resender()
        if over > 0:
            log.error("taskdeck: dropped %d lifecycle records (more than %d held)", over, HOLD_MAX)
        log.warning("taskdeck: holding %d records until Redis takes them: %s", len(self._held), why)

    def _write(self, records: list[dict[Any, Any]]) -> bool:
        """Append held records, then ``records``; what Redis does not take is held for the
        next attempt. With ``replicas``, what no replica confirmed is kept aside: written
        again if the master changes (a failover lost it), forgotten once a later write is
        confirmed (replication is in order) or while the same master stays."""
        held = self._take_held() if self._held or self._held_pid != os.getpid() else []
        batch = held + records
        if not batch and not self._unconfirmed:
            return True
        try:
            client = self.client()
            if not batch:
                client.ping()  # connects, through the Sentinels, to the master of now
            elif not self._send(client, batch):
                return False
            master = master_address(client)
            if self._unconfirmed and master != self._unconfirmed_on:
                again = list(self._unconfirmed)
                self._unconfirmed.clear()
                log.warning(
                    "taskdeck: the master changed; writing %d unconfirmed records again",
                    len(again),
                )
                self._send(client, again)
        except Exception as exc:  # noqa: BLE001 - never fail the task or publisher for it
            self._hold(batch, exc)
            return False
        return True

    def _send(self, client: redis.Redis, batch: list[dict[Any, Any]]) -> bool:
        """One pipeline of ``batch`` (and WAIT); False if replicas did not confirm it."""
        wait = self._should_wait(client)
        pipe = client.pipeline(transaction=False)
        for fields in batch:
            pipe.xadd(self.stream, fields, maxlen=self.maxlen, approximate=True)
        if wait:
            pipe.wait(self.replicas, WAIT_TIMEOUT_MS)
        replies = pipe.execute()
        if not self.replicas:
            return True
        if wait and int(replies[-1]) >= self.replicas:
            self._unconfirmed.clear()  # replicated in order: what came before is there too
            return True
        self._unconfirmed.extend(batch)  # the oldest dropped beyond HOLD_MAX
        self._unconfirmed_on = master_address(client)
        self._ensure_resender()
        if wait:  # came short: stop waiting until enough replicas are connected again
            self._short = True
            self._replicas_checked = time.monotonic()
            log.warning(
                "taskdeck: %d of %d replicas confirmed %d records; writes no longer wait "
                "until %d replicas are connected, and are written again if the master changes",
                replies[-1], self.replicas, len(batch), self.replicas,
            )  # fmt: skip
        return False

    def _should_wait(self, client: redis.Redis) -> bool:
        """Whether this write waits for replicas: asked for, and, after a write they did not
        confirm (the master lost its replica, as after a failover), once as many are
        connected again (looked at every REPLICA_CHECK_S): every write would otherwise
        wait the whole WAIT_TIMEOUT_MS."""
        if not self.replicas:
            return False
        if not self._short:
            return True
        now = time.monotonic()
        if now - self._replicas_checked < REPLICA_CHECK_S:
            return False
        self._replicas_checked = now
        info: Any = client.info("replication")
        if int(info.get("connected_slaves", 0)) < self.replicas:
            return False
        self._short = False
        log.warning("taskdeck: %d replicas connected again; writes wait for them", self.replicas)
        return True

    def _ensure_resender(self) -> None:
        with self._lock:
            if self._resender is None or not self._resender.is_alive():
                self._resender = threading.Thread(
                    target=self._resend_loop, name="taskdeck-resend", daemon=True
                )
                self._resender.start()

    def _resend_loop(self) -> None:
        while True:
            time.sleep(RESEND_EVERY_S)
            if self._held_pid != os.getpid() or not (self._held or self._unconfirmed):
                return
            was_held = bool(self._held)
            if self._write([]) and was_held:
                log.warning("taskdeck: Redis took the held lifecycle records again")

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
        self._write([fields])

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


def replicas_from_env() -> int:
    """``TASKDECK_LEDGER_REPLICAS``: how many replicas must confirm a record (0: none)."""
    text = os.environ.get("TASKDECK_LEDGER_REPLICAS", "0").strip() or "0"
    if not text.isdigit():
        raise ValueError(
            f"TASKDECK_LEDGER_REPLICAS must be a whole number of replicas (0 to wait for "
            f"none), not {text!r}"
        )
    return int(text)


def install(
    app: Celery,
    stream: str = lc.STREAM_KEY,
    maxlen: int = DEFAULT_MAXLEN,
    url: str | None = None,
    replicas: int | None = None,
) -> None:
    """Connect the lifecycle handlers for ``app`` (idempotent per app). The records go
    to ``url`` (by default the app's broker; under Sentinel the master named in its
    transport options), confirmed by ``replicas`` replicas (by default
    ``TASKDECK_LEDGER_REPLICAS``)."""
    if getattr(app, "_taskdeck_installed", False):
        return
    app._taskdeck_installed = True
    options = app.conf.broker_transport_options or {}
    emitter = _Emitter(
        url or app.conf.broker_url,
        stream,
        maxlen,
        master_name=options.get("master_name"),
        replicas=replicas_from_env() if replicas is None else replicas,
    )
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
