"""Stand-ins for the console's clients that answer from a snapshot, for the read-only
offline mode: the pages and the report read through them as they would read a live
environment, and every change is refused (nothing is sent anywhere).

Answers are found by request, as :mod:`console.snapshot.record` filed them. Lists the
pages filter (tasks, audit entries) are filtered again here over the saved rows, so a
filter chosen in the snapshot finds what the snapshot holds; a range query is answered by
the saved answer that covers the window asked best; anything not saved says so.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any, TypeVar

import numpy as np
from pydantic import TypeAdapter, ValidationError
from PySide6.QtCore import QCoreApplication

from console.domain.series import Series as Curve
from console.domain.service_status import ProbeResult, ServiceKind
from console.services.alertmanager_client import AlertmanagerClient, AlertmanagerError
from console.services.backend_client import BackendClient, BackendError
from console.services.broker_reader import LEARNED, BrokerReader, EventReceiver
from console.services.prometheus_reader import PrometheusError
from console.snapshot.file import Snapshot, range_key, request_key
from console.snapshot.read_only import read_only_text, saved_moment
from console.snapshot.record import AUDIT_PATH, GROUP_IDS, TASKS_PATH, messages_path
from taskdeck_core.api_types import TransportInfo
from taskdeck_core.priority import from_celery_priority

T = TypeVar("T")
GROUPS_PATH = "/api/v1/failures/groups"
STATS_PATH = "/api/v1/stats/tasks"
_MESSAGES = re.compile(r"^/api/v1/queues/(?P<queue>.+)/messages$")


def _tr(text: str) -> str:
    return QCoreApplication.translate("Snapshot", text)


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _in_range(at: Any, since: float | None, until: float | None) -> bool:
    if since is None and until is None:
        return True
    if not isinstance(at, int | float):
        return False
    return (since is None or at >= since) and (until is None or at < until)


def _page(rows: list[dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
    """A page of ``rows`` as the backend pages them: ``limit`` at a time, the cursor being
    where the next page starts."""
    limit = int(_number(params.get("limit")) or 100)
    cursor = params.get("cursor")
    start = int(cursor) if isinstance(cursor, str) and cursor.isdigit() else 0
    items = rows[start : start + max(1, limit)]
    end = start + len(items)
    return {"items": items, "next_cursor": str(end) if end < len(rows) else None}


class SnapshotBackend(BackendClient):
    """The backend as the snapshot saw it."""

    def __init__(self, snapshot: Snapshot) -> None:  # noqa: D107 - no HTTP client at all
        self.url = f"snapshot of {snapshot.environment}"
        self.snapshot = snapshot
        self._tasks = sorted(snapshot.tasks.values(),
                             key=lambda t: (-(_number(t.get("created_at")) or 0.0), t["task_id"]))  # fmt: skip
        self._audit = sorted(snapshot.audit.values(),
                             key=lambda e: (-(_number(e.get("at")) or 0.0), -int(e.get("id", 0))))  # fmt: skip

    async def aclose(self) -> None:
        return None

    async def call(self, model: TypeAdapter[T], method: str, path: str, **kwargs: Any) -> T:
        if method != "GET":
            raise BackendError(403, "read_only", read_only_text())
        params = {k: v for k, v in (kwargs.get("params") or {}).items() if v is not None}
        data = self._answer(path, params)
        try:
            return model.validate_python(data)
        except ValidationError:
            raise BackendError(
                200, "bad_answer",
                _tr("The snapshot's answer to {path} is not in a form this console reads; "
                    "was it written by another version?").format(path=path),
            ) from None  # fmt: skip

    def _missing(self, path: str) -> BackendError:
        return BackendError(
            404, "not_in_snapshot",
            _tr("{path} was not saved in this snapshot (taken {moment}); it holds what the "
                "pages showed then.").format(path=path, moment=saved_moment(self.snapshot.taken_at)),
        )  # fmt: skip

    def _answer(self, path: str, params: dict[str, Any]) -> Any:
        if path == TASKS_PATH:
            return _page(self._task_rows(params), params)
        if path == AUDIT_PATH:
            return _page(self._audit_rows(params), params)
        saved = self.snapshot.backend
        key = request_key(path, params)
        if key in saved:
            return saved[key]
        match = _MESSAGES.match(path)
        if match is not None:
            return self._messages(path, params)
        if path in (GROUPS_PATH, STATS_PATH):
            nearest = self._nearest(path, params)
            if nearest is not None:
                return nearest
        raise self._missing(path)

    def _nearest(self, path: str, params: dict[str, Any]) -> Any:
        """The saved answer to ``path`` whose query is closest to the one asked (a window
        that ends at another moment, or of another length)."""
        wanted = {k: _number(v) for k, v in params.items()}
        best: tuple[float, Any] | None = None
        for key, answer in self.snapshot.backend.items():
            saved_path, _, query = key.partition("?")
            if saved_path != path:
                continue
            saved = dict(pair.split("=", 1) for pair in query.split("&") if "=" in pair)
            distance = 0.0
            for name in set(wanted) | set(saved):
                a, b = wanted.get(name), _number(saved.get(name))
                distance += abs(a - b) if a is not None and b is not None else 1e12
            if best is None or distance < best[0]:
                best = (distance, answer)
        return best[1] if best is not None else None

    def _messages(self, path: str, params: dict[str, Any]) -> Any:
        """A page of a queue's waiting messages, out of the pages saved of it."""
        pages = [answer for key, answer in self.snapshot.backend.items()
                 if key.partition("?")[0] == path]  # fmt: skip
        if not pages:
            raise self._missing(path)
        items: dict[int, dict[str, Any]] = {}
        for page in pages:
            for item in page["items"]:
                items[int(item["position"])] = item
        rows = [items[k] for k in sorted(items)]
        text = str(params.get("q") or "").strip().lower()
        if text:
            rows = [m for m in rows if any(text in str(m.get(f) or "").lower()
                                           for f in ("task_id", "name", "user", "args"))]  # fmt: skip
        offset = int(_number(params.get("offset")) or 0)
        limit = int(_number(params.get("limit")) or 100)
        return {"queue": pages[0]["queue"], "total": pages[0]["total"], "offset": offset,
                "items": rows[offset : offset + limit],
                "matched": len(rows) if text else None}  # fmt: skip

    def _task_rows(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        rows = self._tasks
        for field in ("state", "name", "user", "queue"):
            if field in params:
                rows = [t for t in rows if t.get(field) == str(params[field])]
        if "group" in params:
            ids = set(self.snapshot.backend.get(GROUP_IDS + str(params["group"]), []))
            rows = [t for t in rows if t["task_id"] in ids]
        if "lost" in params:
            lost = str(params["lost"]).lower() == "true"
            rows = [t for t in rows if (t.get("lost_at") is not None) == lost]
        created = (_number(params.get("since")), _number(params.get("until")))
        rows = [t for t in rows if _in_range(t.get("created_at"), *created)]
        finished = (_number(params.get("finished_since")), _number(params.get("finished_until")))
        if finished != (None, None):
            rows = [t for t in rows if _in_range(t.get("finished_at"), *finished)]
        text = str(params.get("q") or "").strip().lower()
        if text:
            fields = ("task_id", "name", "exc_type", "exc_message", "user", "queue")
            rows = [t for t in rows if any(text in str(t.get(f) or "").lower() for f in fields)]
        return rows

    def _audit_rows(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        rows = self._audit
        for field in ("user", "action"):
            if field in params:
                rows = [e for e in rows if e.get(field) == str(params[field])]
        window = (_number(params.get("since")), _number(params.get("until")))
        rows = [e for e in rows if _in_range(e.get("at"), *window)]
        if "task_id" in params:
            task_id = str(params["task_id"])
            rows = [e for e in rows if task_id in _target_ids(e.get("targets"))]
        return rows


def _target_ids(targets: Any) -> set[str]:
    if isinstance(targets, list):
        return {str(t) for t in targets}
    if isinstance(targets, str):
        return {targets}
    return set()


class SnapshotMetrics:
    """Prometheus as the snapshot saw it (a MetricsSource)."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.url = f"snapshot of {snapshot.environment}"

    async def ready(self) -> bool:
        return True

    def _missing(self, query: str) -> PrometheusError:
        return PrometheusError(
            _tr("the query {query} was not saved in this snapshot").format(query=query)
        )

    async def instant(self, query: str) -> list[tuple[dict[str, str], float]]:
        rows = self.snapshot.instant.get(query)
        if rows is None:
            raise self._missing(query)
        return [(dict(labels), math.nan if value is None else float(value))
                for labels, value in rows]  # fmt: skip

    async def range(
        self, query: str, window_s: float, end: float | None = None, max_points: int = 1000,
        legend: str | None = None,
    ) -> list[Curve]:  # fmt: skip
        answers = self.snapshot.ranges.get(range_key(query, legend))
        if not answers:
            raise self._missing(query)
        end_at = self.snapshot.taken_at if end is None else end  # "now" is its moment
        start_at = end_at - window_s
        answer = max(answers, key=lambda a: _fit(a, start_at, end_at))
        curves = []
        for saved in answer["series"]:
            x = np.asarray(saved["x"], dtype=np.float64)
            y = np.asarray([math.nan if v is None else v for v in saved["y"]], dtype=np.float64)
            inside = (x >= start_at - 0.5) & (x <= end_at + 0.5)  # samples at whole seconds
            curves.append(Curve(saved["key"], dict(saved["labels"]), x[inside], y[inside]))
        return curves

    def close(self) -> None:
        return None


def _fit(answer: dict[str, Any], start: float, end: float) -> tuple[float, float]:
    """How well a saved answer serves [start, end]: the share of it covered, then the
    finer resolution (a shorter window over the same span has more points per second)."""
    saved_end = float(answer["end"])
    saved_start = saved_end - float(answer["window_s"])
    covered = max(0.0, min(end, saved_end) - max(start, saved_start)) / max(1.0, end - start)
    return (round(covered, 3), -float(answer["window_s"]))


class SnapshotAlertmanager(AlertmanagerClient):
    """Alertmanager as the snapshot saw it."""

    def __init__(self, snapshot: Snapshot) -> None:  # noqa: D107 - no HTTP client at all
        self.url = f"snapshot of {snapshot.environment}"
        self.timeout_s = 0.0
        self.snapshot = snapshot

    async def aclose(self) -> None:
        return None

    async def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        key = request_key(path, params)
        if key not in self.snapshot.alertmanager:
            raise AlertmanagerError(_tr("Alertmanager's {path} was not saved in this snapshot")
                                    .format(path=path))  # fmt: skip
        return self.snapshot.alertmanager[key]


class SnapshotBroker(BrokerReader):
    """The broker's queues and depths as the snapshot saw them."""

    def __init__(self, snapshot: Snapshot) -> None:  # noqa: D107 - no connection at all
        self.url = f"snapshot of {snapshot.environment}"
        self.settings = LEARNED
        raw = snapshot.broker.get("info")
        self._info = TransportInfo.model_validate(raw) if isinstance(raw, dict) else None
        saved = snapshot.broker.get("depths") or {}
        self._depths = {q: {int(p): int(n) for p, n in steps.items()} for q, steps in saved.items()}
        for queue, steps in self._depths.items():
            counted = _counted(snapshot, queue)
            if counted is not None:  # the whole queue was saved: its depth is what was listed
                steps.update(dict.fromkeys(steps, 0) | counted)

    def learn(self) -> TransportInfo:
        if self._info is None:
            raise OSError(_tr("the broker's transport was not saved in this snapshot"))
        return self._info

    async def discover(self) -> TransportInfo:
        return self.learn()

    async def aclose(self) -> None:
        return None

    async def depths(self) -> dict[str, dict[int, int]]:
        return {q: dict(steps) for q, steps in self._depths.items()}


def _counted(snapshot: Snapshot, queue: str) -> dict[int, int] | None:
    """Waiting messages per user priority, counted from the queue's saved messages when they
    are all of it; so the depth shown and the list shown agree, though the broker's depths
    and the list were read a moment apart while messages came and went."""
    path = messages_path(queue)
    pages = [a for k, a in snapshot.backend.items() if k.partition("?")[0] == path]
    if not pages:
        return None
    items = {int(i["position"]): i for page in pages for i in page["items"]}
    total = min(int(page["total"]) for page in pages)
    if len(items) != total or any(i.get("step") is None for i in items.values()):
        return None
    return dict(Counter(from_celery_priority(i["step"]) for i in items.values()))


class NoEvents(EventReceiver):
    """No live events: a snapshot does not move."""

    def __init__(self) -> None:  # noqa: D107 - nothing to receive from
        return None

    @property
    def connected(self) -> bool:
        return False

    @property
    def last_error(self) -> str | None:
        return None

    def start(self) -> None:
        return None

    def stop(self) -> None:
        return None


class SnapshotProber:
    """Each service "answers" with the moment it was saved."""

    def __init__(self, snapshot: Snapshot, file_name: str) -> None:
        self.snapshot = snapshot
        self.file_name = file_name

    def target(self, kind: ServiceKind) -> str:
        """Where the service's answers come from: the file, and where it saved them from."""
        saved = self.snapshot.sources.get(kind.value, "—")
        return _tr("{file} (saved from {url})").format(file=self.file_name, url=saved)

    async def aclose(self) -> None:
        return None

    async def probe(self, kind: ServiceKind) -> ProbeResult:
        saved = self.snapshot.sources.get(kind.value, "")
        missing = [m for m in self.snapshot.missing if m.lower().startswith(kind.value)]
        return ProbeResult(
            kind=kind, target=self.target(kind), ok=bool(saved), latency_ms=None,
            facts=((_tr("saved"), saved_moment(self.snapshot.taken_at)), (_tr("from"), saved or "—")),
            error=None if saved else _tr("not saved in this snapshot"),
            at=self.snapshot.taken_at, saved=True,
            summary=_tr("as saved at {moment}").format(moment=saved_moment(self.snapshot.taken_at))
            + (f" ({'; '.join(missing)})" if missing else ""),
        )  # fmt: skip
