"""One worker's own account of itself: its tasks, pool, prefetch and queues.

Asked of that worker only (Celery's inspect with ``destination=[hostname]``), each
question given ``DETAIL_TIMEOUT_S`` and ended by its one answer; a worker that does not
answer the first question is not asked the others. An offline worker is not asked:
its last heartbeat says since when it is down. Blocking: run it off the event loop.
"""

from __future__ import annotations

import math
import re
import reprlib
from typing import Any

from celery import Celery

from backend.services.workers import pool_size
from taskdeck_core.api_types import (
    DETAIL_CAP,
    TaskLimits,
    WorkerDetail,
    WorkerInfo,
    WorkerTask,
)

DETAIL_TIMEOUT_S = 1.0
_ARGS = reprlib.Repr()
_ARGS.maxlevel, _ARGS.maxlist, _ARGS.maxtuple, _ARGS.maxdict = 2, 5, 5, 5
_ARGS.maxstring = _ARGS.maxother = _ARGS.maxlong = 60


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _task(item: Any) -> WorkerTask | None:
    """A task of an inspect answer; a scheduled one wraps it as ``{eta, priority, request}``."""
    if not isinstance(item, dict):
        return None
    request = _dict(item.get("request")) or item
    task_id = request.get("id")
    if not isinstance(task_id, str):
        return None
    delivery = _dict(request.get("delivery_info"))
    priority = _int(delivery.get("priority"))  # a scheduled item's own is its timer's
    eta = item.get("eta") or request.get("eta")
    name = request.get("name")
    return WorkerTask(
        task_id=task_id,
        name=name if isinstance(name, str) else None,
        args=_ARGS.repr(request.get("args", ())),
        eta=str(eta) if eta else None,
        priority=priority,
        worker_pid=_int(request.get("worker_pid")),
    )


def _tasks(items: Any) -> tuple[list[WorkerTask], int]:
    items = items if isinstance(items, list) else []
    tasks = [t for t in (_task(i) for i in items[:DETAIL_CAP]) if t is not None]
    return tasks, len(items)


# The task attributes asked of ``inspect registered``; it answers each task type as
# "name" or "name [rate_limit=10/m soft_time_limit=1500 time_limit=1800]" (attributes
# not set left out, seconds as Python prints them: "1500" or "1500.0").
LIMIT_ITEMS = ("rate_limit", "soft_time_limit", "time_limit")
_REGISTERED = re.compile(r"\s*(?P<name>[^\s\[]+)\s*(?:\[(?P<items>[^\]]*)\])?\s*")


def _seconds(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and value > 0 else None


def parse_registered(line: str) -> tuple[str, TaskLimits | None] | None:
    """A line of ``inspect registered``: the task name, and its limits if any are set."""
    match = _REGISTERED.fullmatch(line)
    if match is None:
        return None
    found: dict[str, Any] = {}
    for item in (match.group("items") or "").split():
        key, sep, value = item.partition("=")
        if not sep or key not in LIMIT_ITEMS or value in ("", "None"):
            continue
        found[key] = value if key == "rate_limit" else _seconds(value)
    limits = TaskLimits(**found)
    return match.group("name"), limits if limits != TaskLimits() else None


def ask_worker(app: Celery, known: WorkerInfo, timeout_s: float = DETAIL_TIMEOUT_S) -> WorkerDetail:
    """What ``known`` (the monitor's view of the worker) says of itself now."""
    hostname = known.hostname
    base: dict[str, Any] = {
        "hostname": hostname,
        "status": known.status,
        "timeout_s": timeout_s,
        "pool": known.pool,
        "concurrency": known.concurrency,
        "sw_ver": known.sw_ver,
        "pid": known.pid,
    }
    if not known.online:
        return WorkerDetail(
            **base,
            replied=False,
            down_since=known.last_heartbeat,
            detail="the worker is offline, so it was not asked; down since its last heartbeat",
        )
    inspect = app.control.inspect(destination=[hostname], timeout=timeout_s, limit=1)

    def mine(answer: dict[str, Any] | None) -> Any:
        return (answer or {}).get(hostname)

    stats = mine(inspect.stats())
    if not isinstance(stats, dict):
        return WorkerDetail(
            **base,
            replied=False,
            detail=f"the worker did not reply within {timeout_s:g} s; it may be busy or gone",
        )
    pool = _dict(stats.get("pool"))
    impl = str(pool.get("implementation", ""))
    active, n_active = _tasks(mine(inspect.active()))
    reserved, n_reserved = _tasks(mine(inspect.reserved()))
    scheduled, n_scheduled = _tasks(mine(inspect.scheduled()))
    lines = mine(inspect.registered(*LIMIT_ITEMS))
    names: list[str] = []
    limits: dict[str, TaskLimits] = {}
    for line in lines if isinstance(lines, list) else []:
        parsed = parse_registered(str(line))
        if parsed is not None:
            names.append(parsed[0])
            if parsed[1] is not None:
                limits[parsed[0]] = parsed[1]
    names.sort()
    queues = mine(inspect.active_queues())
    queues = (
        [q["name"] for q in queues if isinstance(q, dict) and "name" in q]
        if isinstance(queues, list)
        else []
    )
    processes = pool.get("processes")
    base.update(
        pool=impl.split(":", 1)[0].rsplit(".", 1)[-1] or known.pool,
        concurrency=size if (size := pool_size(pool)) is not None else known.concurrency,
        pid=_int(stats.get("pid")) or known.pid,
    )
    return WorkerDetail(
        **base,
        replied=True,
        active=active,
        reserved=reserved,
        scheduled=scheduled,
        registered=names[:DETAIL_CAP],
        limits={n: limits[n] for n in names[:DETAIL_CAP] if n in limits},
        autoscaler="autoscaler" in stats,
        totals={
            "active": n_active,
            "reserved": n_reserved,
            "scheduled": n_scheduled,
            "registered": len(names),
        },
        processes=[p for p in processes if _int(p) is not None][:DETAIL_CAP]
        if isinstance(processes, list)
        else [],
        prefetch_count=_int(stats.get("prefetch_count")),
        queues=sorted(str(q) for q in queues)[:DETAIL_CAP],
    )
