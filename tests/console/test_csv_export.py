"""CSV export writes values a spreadsheet can compute with, not the text on screen."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

from console.domain.live import QueueInfo
from console.domain.service_status import ProbeResult, ServiceKind, ServiceStatus
from console.models.queues_table_model import QueuesTableModel
from console.models.services_table_model import ServicesTableModel
from console.models.workers_table_model import WorkersTableModel
from console.reports.csv_export import export_csv
from taskdeck_core.api_types import WorkerInfo

HEARTBEAT = 1_795_000_000.25  # epoch seconds


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_a_queues_export_has_numbers_with_their_units_in_the_headers(tmp_path: Path) -> None:
    model = QueuesTableModel()
    model.update_rows([
        QueueInfo("données_sync", 1234, {10: 4, 5: 1230}, oldest_age_s=101.25, rate_in=1.0875,
                  rate_out=0.5, consumers=4),
        QueueInfo("empty", 0, {}, oldest_age_s=None, rate_in=None, rate_out=None, consumers=None),
    ])  # fmt: skip
    path = tmp_path / "queues.csv"
    assert export_csv(model, path) == 2
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: spreadsheets read it
    rows = read(path)
    assert list(rows[0]) == [
        "Queue", "Depth", "Priority 10", "Priority 9", "Priority 8", "Priority 7", "Priority 6",
        "Priority 5", "Priority 4", "Priority 3", "Priority 2", "Priority 1",
        "Oldest waiting (s)", "In (/s)", "Out (/s)", "Receiving workers (5 min)",
    ]  # fmt: skip
    first = rows[0]
    assert first["Queue"] == "données_sync"
    assert int(first["Depth"]) == 1234  # not "1,234"
    assert int(first["Priority 10"]) == 4 and int(first["Priority 5"]) == 1230
    assert int(first["Priority 1"]) == 0
    assert float(first["Oldest waiting (s)"]) == 101.25  # not "1 min 41 s"
    assert float(first["In (/s)"]) == 1.0875  # not "1.09/s"
    assert int(first["Receiving workers (5 min)"]) == 4
    empty = rows[1]
    assert empty["Oldest waiting (s)"] == "" and empty["In (/s)"] == ""  # unknown, not "—"
    assert empty["Receiving workers (5 min)"] == ""


def test_a_workers_export_has_times_in_iso_8601_with_their_zone(tmp_path: Path) -> None:
    model = WorkersTableModel()
    model.update_rows([
        WorkerInfo(hostname="w1@host", status="offline", online=False, last_heartbeat=HEARTBEAT,
                   last_heartbeat_age_s=123.0, active=0, processed=1500,
                   loadavg=(0.25, 0.5, 1.0), pool="prefork", concurrency=2),
    ])  # fmt: skip
    path = tmp_path / "workers.csv"
    assert export_csv(model, path) == 1
    (row,) = read(path)
    assert row["Worker"] == "w1@host"
    assert row["Status"] == "offline"  # the state, not "offline for 2 min 3 s"
    when = datetime.fromisoformat(row["Last heartbeat"])  # not "2 min 3 s ago"
    assert when.tzinfo is not None and when.timestamp() == HEARTBEAT
    assert int(row["Active"]) == 0 and int(row["Processed"]) == 1500
    assert int(row["Concurrency"]) == 2 and row["Pool"] == "prefork"
    assert [float(row[f"Load {m} min"]) for m in (1, 5, 15)] == [0.25, 0.5, 1.0]


def test_a_connections_export_has_the_latency_as_a_number(tmp_path: Path) -> None:
    model = ServicesTableModel()
    kind = ServiceKind.BACKEND
    up = ServiceStatus.initial(kind, "http://b").updated(
        ProbeResult(kind, "http://b", True, 36.25, (("status", "ok"),), None, 100.0), 60
    )
    down = ServiceStatus.initial(ServiceKind.BROKER, "redis://h:1/0")
    model.update_rows([up, down])
    path = tmp_path / "connections.csv"
    assert export_csv(model, path) == 2
    rows = {row["Service"]: row for row in read(path)}
    assert rows["Backend"]["Latency (ms)"] == "36.25" and rows["Backend"]["State"] == "connected"
    assert rows["Broker (Redis)"]["Latency (ms)"] == ""
