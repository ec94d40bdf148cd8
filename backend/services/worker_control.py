"""Control commands for some workers: their pool, task limits, queues, shutdown.

Sent with Celery's control API to the named workers only (``destination``), each
given ``CONTROL_TIMEOUT_S`` to reply, ended as soon as all have replied. A worker
that refuses (a pool that cannot shrink, a task type it does not know) replies with
an error, shown as such (its text, not its exception's repr). A shrink that would leave
a worker no process is refused before anything is sent. A worker does not reply to a shutdown: it stops taking
tasks, finishes the ones it runs and exits, so the command is sent without waiting
and the answer says its heartbeats stopping confirms it. Blocking: run it off the
event loop.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from celery import Celery

from backend.services.workers import pool_size
from taskdeck_core.api_types import WorkerControlReply, WorkerInfo

CONTROL_TIMEOUT_S = 2.0
# A pool change a worker refused may be half done: Celery's prefork pool stops idle
# processes one by one and raises when it meets a busy one.
RESIZE_COMMANDS = frozenset({"pool_grow", "pool_shrink"})
PARTLY_NOTE = (
    "a worker that refused a pool change may have changed its pool partly (a shrink stops "
    "idle processes before it finds the others busy); its detail "
    "(GET /api/v1/workers/{hostname}/detail) shows the pool it runs now"
)
# How long a worker is given to say its pool size before a shrink is sent.
SIZE_TIMEOUT_S = 1.0
SHUTDOWN_NOTE = (
    "sent; a worker does not reply to a shutdown: it takes no new task, finishes the ones "
    "it runs and exits. Its heartbeats stopping (offline in GET /api/v1/workers) confirms it"
)


class WorkerControlError(Exception):
    """The command was not sent: ``status`` (404 unknown worker, 409 offline) and why."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class Outcome:
    replies: list[WorkerControlReply]
    no_reply: list[str]
    note: str | None


def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def check_workers(known: Iterable[WorkerInfo], wanted: Iterable[str]) -> list[str]:
    """``wanted`` without repeats, each a worker heard from and online; else why not."""
    by_name = {w.hostname: w for w in known}
    names = list(dict.fromkeys(wanted))
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise WorkerControlError(
            404,
            f"no worker named {', '.join(map(repr, unknown))} has been heard from; "
            "GET /api/v1/workers lists the workers the backend knows",
        )
    offline = [by_name[n] for n in names if not by_name[n].online]
    if offline:
        said = "; ".join(f"{w.hostname!r} is offline since {_when(w.last_heartbeat)} "
                         "(its last heartbeat)" for w in offline)  # fmt: skip
        raise WorkerControlError(409, f"{said}; nothing was sent. Leave it out, or start it")
    return names


def celery_arguments(command: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """The arguments as Celery's control command takes them."""
    if command == "rate_limit":
        return {"task_name": arguments["task_name"], "rate_limit": arguments["rate"]}
    if command == "time_limit":
        return {"task_name": arguments["task_name"], "soft": arguments.get("soft"),
                "hard": arguments.get("hard")}  # fmt: skip
    return dict(arguments)


_EXCEPTION = re.compile(r"[A-Za-z_][\w.]*\((?P<args>.*)\)", re.DOTALL)


def error_text(error: str) -> str:
    """A worker's error without its exception's repr: ``ValueError('Autoscale not
    enabled')`` is "Autoscale not enabled"; anything else as it is."""
    match = _EXCEPTION.fullmatch(error.strip())
    if match is None:
        return error
    try:
        message = ast.literal_eval(match.group("args"))
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return error
    return message if isinstance(message, str) and message else error


def check_shrink(
    app: Celery, known: Iterable[WorkerInfo], hostnames: list[str], n: int,
    timeout_s: float = SIZE_TIMEOUT_S,
) -> None:  # fmt: skip
    """Refuse (422) a shrink by ``n`` that would leave a worker fewer than 1 process, by the
    pool size its stats say now (asked of those workers only), else the monitor's last
    known one; a worker whose size is known neither way is refused too."""
    try:
        stats = app.control.inspect(
            destination=hostnames, timeout=timeout_s, limit=len(hostnames)
        ).stats() or {}  # fmt: skip
    except Exception:  # noqa: BLE001 - the monitor's size serves then
        stats = {}
    last = {w.hostname: w.concurrency for w in known}
    problems = []
    for hostname in hostnames:
        mine = stats.get(hostname)
        size = pool_size(mine.get("pool") or {}) if isinstance(mine, dict) else None
        said = "by its stats just now"
        if size is None:
            size, said = last.get(hostname), "as last known (it did not say now)"
        if size is None:
            problems.append(f"the pool size of {hostname!r} is not known, so it is not shrunk")
        elif size - n < 1:
            most = f"at most {size - 1}" if size > 1 else "none"
            problems.append(
                f"{hostname!r} runs {size} processes ({said}): shrinking by {n} would leave "
                f"{max(size - n, 0)}; it may shrink by {most}, as a worker keeps at least 1"
            )
    if problems:
        raise WorkerControlError(422, "; ".join(problems) + ". Nothing was sent")


def _reply(hostname: str, body: Any) -> WorkerControlReply:
    if isinstance(body, dict) and "error" in body:
        message = error_text(str(body["error"]))
        return WorkerControlReply(hostname=hostname, ok=False, message=message)
    if isinstance(body, dict) and "ok" in body:
        return WorkerControlReply(hostname=hostname, ok=True, message=str(body["ok"]))
    return WorkerControlReply(hostname=hostname, ok=True, message=str(body))


def send(
    app: Celery,
    command: str,
    arguments: dict[str, Any],
    hostnames: list[str],
    timeout_s: float = CONTROL_TIMEOUT_S,
) -> Outcome:
    """Send ``command`` to ``hostnames`` only and gather their replies."""
    args = celery_arguments(command, arguments)
    if command == "shutdown":
        app.control.broadcast("shutdown", arguments=args, destination=hostnames, reply=False)
        return Outcome([], [], SHUTDOWN_NOTE)
    answers = app.control.broadcast(
        command,
        arguments=args,
        destination=hostnames,
        reply=True,
        timeout=timeout_s,
        limit=len(hostnames),
    )
    replied: dict[str, WorkerControlReply] = {}
    for answer in answers or []:
        if not isinstance(answer, dict):
            continue
        for hostname, body in answer.items():
            if hostname in hostnames and hostname not in replied:
                replied[hostname] = _reply(hostname, body)
    replies = [replied[h] for h in hostnames if h in replied]
    return Outcome(replies, [h for h in hostnames if h not in replied], note(command, replies))


def note(command: str, replies: list[WorkerControlReply]) -> str | None:
    """What the replies cannot show: a refused pool change may be half done."""
    if command in RESIZE_COMMANDS and any(not r.ok for r in replies):
        return PARTLY_NOTE
    return None
