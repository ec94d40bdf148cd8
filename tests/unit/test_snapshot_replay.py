"""The snapshot stand-ins answer the pages' questions from the saved rows: filters, pages
and windows as the backend and Prometheus answer them, and "not saved" where nothing was."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

import pytest

from console.reports.atomic import ReportWriteError
from console.services.backend_client import BackendError
from console.services.prometheus_reader import PrometheusError
from console.snapshot.file import (
    Snapshot,
    SnapshotError,
    from_bytes,
    range_key,
    request_key,
    to_bytes,
    write_snapshot,
)
from console.snapshot.replay import SnapshotBackend, SnapshotBroker, SnapshotMetrics

T0 = 1_795_000_000.0


def task(n: int, state: str, **extra: object) -> dict[str, object]:
    return {"task_id": f"t{n:03d}", "state": state, "name": "data_sync.sync", "queue": "data_sync",
            "user": "alice" if n % 2 else "bob", "created_at": T0 + n, "finished_at": T0 + n + 1,
            **extra}  # fmt: skip


def snapshot() -> Snapshot:
    tasks = {f"t{n:03d}": task(n, "FAILURE" if n % 3 == 0 else "SUCCESS",
                               exc_message="张伟的文件 not found" if n == 9 else None)
             for n in range(30)}  # fmt: skip
    audit = {str(i): {"id": i, "at": T0 + 10 * i, "user": "admin", "role": "admin",
                      "action": "retry", "targets": [f"t{i:03d}"], "target_count": 1,
                      "reason": f"r{i}", "request": {}, "status": "ok"}
             for i in range(5)}  # fmt: skip
    curve = {"key": "q", "labels": {"queue_name": "q"}, "x": [T0 + 60 * i for i in range(61)],
             "y": [float(i) if i != 30 else None for i in range(61)]}  # fmt: skip
    fine = {"key": "q", "labels": {"queue_name": "q"}, "x": [T0 + 3000 + i for i in range(601)],
            "y": [1.0] * 601}  # fmt: skip
    return Snapshot(
        environment="east", taken_at=T0 + 3600, window_s=3600, tasks=tasks, audit=audit,
        backend={GROUP: ["t003", "t006"], request_key("/api/v1/me"): {"user": "a", "role": "admin"}},
        ranges={range_key("depth", "queue_name"): [
            {"window_s": 3600, "end": T0 + 3600, "series": [curve]},
            {"window_s": 600, "end": T0 + 3600, "series": [fine]},
        ]},
        instant={"up": [[{"job": "x"}, 1.0], [{"job": "y"}, None]]},
    )  # fmt: skip


GROUP = "#group/abc"


def ask(backend: SnapshotBackend, **params: object) -> tuple[list[str], str | None]:
    page = asyncio.run(backend.tasks(dict(params), limit=int(params.pop("limit", 100))))  # type: ignore[call-overload]
    return [t.task_id for t in page.items], page.next_cursor


def test_tasks_are_filtered_and_paged_as_the_backend_would() -> None:
    b = SnapshotBackend(snapshot())
    ids, cursor = ask(b, state="FAILURE")
    assert ids == [f"t{n:03d}" for n in range(27, -1, -3)] and cursor is None
    ids, _ = ask(b, user="alice", state="FAILURE")
    assert ids == ["t027", "t021", "t015", "t009", "t003"]
    ids, _ = ask(b, q="张伟")
    assert ids == ["t009"]
    ids, _ = ask(b, since=T0 + 10, until=T0 + 13)
    assert ids == ["t012", "t011", "t010"]
    ids, _ = ask(b, finished_since=T0 + 29)
    assert ids == ["t029", "t028"]
    ids, _ = ask(b, group="abc")
    assert ids == ["t006", "t003"]
    first = asyncio.run(b.tasks({}, limit=12))
    second = asyncio.run(b.tasks({}, limit=12, cursor=first.next_cursor))
    third = asyncio.run(b.tasks({}, limit=12, cursor=second.next_cursor))
    seen = [t.task_id for p in (first, second, third) for t in p.items]
    assert seen == [f"t{n:03d}" for n in range(29, -1, -1)] and third.next_cursor is None


def test_audit_entries_are_filtered_by_task_and_time() -> None:
    b = SnapshotBackend(snapshot())
    page = asyncio.run(b.audit({"task_id": "t003"}))
    assert [e.reason for e in page.items] == ["r3"]
    page = asyncio.run(b.audit({"since": T0 + 15}))
    assert [e.id for e in page.items] == [4, 3, 2]


def test_changes_are_refused_and_what_was_not_saved_says_so() -> None:
    b = SnapshotBackend(snapshot())
    assert asyncio.run(b.me()).role == "admin"
    with pytest.raises(BackendError) as refused:
        asyncio.run(b.cancel("t001", "no"))
    assert refused.value.code == "read_only" and "read-only" in refused.value.detail
    with pytest.raises(BackendError) as missing:
        asyncio.run(b.worker_detail("w1@host"))
    assert missing.value.code == "not_in_snapshot" and "was not saved" in missing.value.detail


def test_a_range_is_answered_from_the_saved_answer_that_covers_it_best() -> None:
    m = SnapshotMetrics(snapshot())
    [hour] = asyncio.run(m.range("depth", 3600, legend="queue_name"))
    assert len(hour.x) == 61 and math.isnan(hour.y[30])  # the gap stays a gap
    [recent] = asyncio.run(m.range("depth", 300, legend="queue_name"))
    assert len(recent.x) == 301  # the finer answer, cut to the window asked
    assert recent.x[0] >= T0 + 3300 - 1 and recent.x[-1] <= T0 + 3600 + 1
    rows = asyncio.run(m.instant("up"))
    assert rows[0] == ({"job": "x"}, 1.0) and math.isnan(rows[1][1])
    with pytest.raises(PrometheusError, match="not saved"):
        asyncio.run(m.range("other", 3600))


def test_a_snapshot_round_trips_and_a_truncated_one_is_damaged(tmp_path: Path) -> None:
    data = to_bytes(snapshot())
    back = from_bytes(data, tmp_path / "x.tdsnap")
    assert back.tasks == snapshot().tasks and back.ranges == snapshot().ranges
    with pytest.raises(SnapshotError, match="damaged"):
        from_bytes(data[: len(data) // 2], tmp_path / "x.tdsnap")


def test_a_snapshot_that_cannot_be_written_says_why_and_leaves_no_file(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be", encoding="utf-8")
    target = blocker / "east.tdsnap"
    with pytest.raises(ReportWriteError) as failed:
        write_snapshot(snapshot(), target)
    assert "east.tdsnap" in str(failed.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not-a-folder"]


def test_a_queue_saved_whole_shows_the_depth_its_list_shows() -> None:
    """The broker's depths and the waiting list were read a moment apart; a queue whose
    every message was saved shows as deep as its list."""
    snap = snapshot()
    snap.broker = {"depths": {"data_sync": {"5": 2, "4": 0}, "big": {"5": 900}}}
    items = [{"position": n, "task_id": f"m{n}", "name": "x", "priority": p, "step": 10 - p}
             for n, p in enumerate((5, 5, 4))]  # fmt: skip
    snap.backend[request_key("/api/v1/queues/data_sync/messages", {"offset": 0, "limit": 100})] = {
        "queue": "data_sync", "total": 3, "offset": 0, "items": items}  # fmt: skip
    snap.backend[request_key("/api/v1/queues/big/messages", {"offset": 0, "limit": 100})] = {
        "queue": "big", "total": 901, "offset": 0, "items": items}  # fmt: skip
    depths = asyncio.run(SnapshotBroker(snap).depths())
    assert depths["data_sync"] == {5: 2, 4: 1}
    assert depths["big"] == {5: 900}  # only its first page saved: the broker's count stays
    page = asyncio.run(SnapshotBackend(snap).queue_messages("data_sync"))
    assert page.total == sum(depths["data_sync"].values())
