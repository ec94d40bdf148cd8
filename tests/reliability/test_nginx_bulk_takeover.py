"""A bulk retry of 10,000 tasks started through nginx, and the backend running it killed
(SIGKILL) while it runs: the other backend claims the job once its lease lapses and finishes it,
and every selected task is retried exactly once by the broker's and the ledger's own count,
in one job with one audit entry; with the backends' shared ledger on SQLite and on a real
PostgreSQL."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from sqlalchemy import create_engine, text

from backend.services.ledger import Ledger
from taskdeck_core import lifecycle as lc
from taskdeck_core.transport import SANDBOX_TRANSPORT
from taskdeck_dev.procs import LOOPBACK, ManagedProcess
from taskdeck_dev.stack import create_database, running_postgres
from tests.bulk_fixture import failed_tasks, retries_waiting
from tests.helpers import wait_for
from tests.reliability.test_nginx_backends import NGINX, running_edge

pytestmark = [
    pytest.mark.integration,
    pytest.mark.reliability,
    pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx comes from scripts/system-deps.sh"),
]

SELECTED = 10_000
USER = "takeover-user"
LEASE_S = 3.0


@pytest.fixture(params=["sqlite", "postgresql"])
def edge(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """No worker: the retries stay in the broker, where each is counted."""
    env = {"TASKDECK_BULK_LEASE_S": str(LEASE_S), "TASKDECK_QUOTA_DEFAULT": "100000"}
    with contextlib.ExitStack() as started:
        seeded = False
        if request.param == "postgresql":
            postgres = started.enter_context(running_postgres(tmp_path))
            ledger_url = env["TASKDECK_LEDGER_URL"] = create_database(postgres, "ledger")
            # The failed tasks go straight into the ledger here, not through the stream: two
            # backends that merge one task's records at the same moment on PostgreSQL can
            # leave it PENDING (the ledger's read-merge-upsert takes no row lock), which
            # this test of bulk jobs is not about.
            ledger = Ledger(ledger_url)
            ledger.apply(failed_tasks(SELECTED, "takeover", USER))
            ledger.close()
            seeded = True
        else:
            ledger_url = f"sqlite:///{tmp_path / 'ledger' / 'ledger.sqlite3'}"
        stack = started.enter_context(running_edge(tmp_path, env, worker=False))
        yield {**stack, "ledger_url": ledger_url, "seeded": seeded}


def waiting(db: redis.Redis) -> int:
    return sum(int(db.llen(key)) for key in SANDBOX_TRANSPORT.list_names("data_sync"))


def retried_in_ledger(url: str) -> Counter[str]:
    """How many tasks the shared ledger holds that retry each original."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT retry_of, count(*) FROM tasks WHERE retry_of LIKE 'takeover-%' "
                "GROUP BY retry_of"
            )).all()  # fmt: skip
    finally:
        engine.dispose()
    return Counter({str(r): int(n) for r, n in rows})


def upstream(reply: httpx.Response) -> str:
    return reply.headers["x-upstream"].split(", ")[-1]


def test_a_bulk_job_whose_backend_is_killed_is_finished_by_the_other(
    edge: dict[str, Any],
) -> None:
    client: httpx.Client = edge["client"]
    db = redis.Redis.from_url(edge["redis"].url)
    try:
        if not edge["seeded"]:  # through the lifecycle stream, as workers record them
            pipe = db.pipeline(transaction=False)
            for record in failed_tasks(SELECTED, "takeover", USER):
                pipe.xadd(lc.STREAM_KEY, record.to_fields())  # type: ignore[arg-type]
            pipe.execute()
        selection = {"user": USER, "state": "FAILURE"}
        ports: list[int] = edge["ports"]
        # Each backend reads the ledger itself: ask one directly, not nginx (30 POSTs/min).
        with httpx.Client(base_url=f"http://{LOOPBACK}:{ports[1]}", timeout=30,
                          headers=client.headers) as direct:  # fmt: skip

            def selected() -> int:
                reply = direct.post("/api/v1/actions/bulk", json={
                    "action": "retry", "filter": selection, "reason": "count",
                    "idempotency_key": "takeover-dry", "dry_run": True})  # fmt: skip
                seen.append(int(reply.json().get("total", 0)) if reply.status_code == 200 else 0)
                return seen[-1]

            seen: list[int] = []
            try:
                wait_for(lambda: selected() == SELECTED, 90, "the failed tasks in the ledger", 0.2)
            except AssertionError as exc:
                raise AssertionError(f"{exc}; the last selections: {seen[-3:]}") from None
        body = {"action": "retry", "filter": selection, "reason": "file store back",
                "idempotency_key": "takeover-retry-1"}  # fmt: skip
        reply = client.post("/api/v1/actions/bulk", json=body)
        assert reply.status_code == 202, reply.text
        job_id = reply.json()["job_id"]
        # The backend that took the request made the job and holds its lease: kill it.
        runner_port = int(upstream(reply).rsplit(":", 1)[1])
        runner: ManagedProcess = edge["backends"][ports.index(runner_port)]
        other = edge["backends"][1 - ports.index(runner_port)]
        wait_for(lambda: waiting(db) >= SELECTED // 10, 60, "the job to be under way", 0.005)
        os.kill(runner.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        wait_for(lambda: not runner.alive(), 10, "the running backend to die")
        at_kill = waiting(db)
        assert at_kill < SELECTED, "the job ended before the kill: nothing was tested"

        other_log = edge["run_dir"] / ("edge-b" if other is edge["backends"][1] else "edge-a")
        other_log = other_log / "logs" / "backend.log"

        def resumed() -> bool:
            return f"bulk job {job_id}: resumed here" in other_log.read_text(errors="replace")

        wait_for(resumed, 60, "the other backend to claim the job", 0.1)
        claimed = time.monotonic() - killed_at

        def finished() -> dict[str, Any]:
            reply = client.get(f"/api/v1/actions/bulk/{job_id}")
            assert reply.status_code == 200, reply.text
            found: dict[str, Any] = reply.json()
            return found if found["state"] in ("done", "failed") else {}

        wait_for(finished, 120, "the other backend to take the job over and end it", 0.5)
        took = time.monotonic() - killed_at
        job = finished()
        assert job["state"] == "done", job
        assert (job["total"], job["done"], job["failed"]) == (SELECTED, SELECTED, 0), job
        # Taken over once the lease lapsed (a few seconds here), not when a backend restarts.
        assert claimed < LEASE_S * 4, claimed
        print(f"job claimed {claimed:.1f} s and finished {took:.1f} s after its backend was "
              f"killed ({at_kill} of {SELECTED} sent before)")  # fmt: skip

        # Exactly once, by the broker's own count and by the ledger's.
        counts = retries_waiting(db)
        twice = [t for t, n in counts.items() if n > 1]
        assert len(counts) == SELECTED and not twice, (
            f"{sum(counts.values())} retries for {len(counts)} tasks; twice: {twice[:5]}"
        )
        ledger = edge["ledger_url"]
        wait_for(lambda: len(retried_in_ledger(ledger)) == SELECTED, 60,
                 "every retry's publish recorded in the ledger", 0.5)  # fmt: skip
        assert set(retried_in_ledger(ledger).values()) == {1}

        # One job for the key, and the same request again answers it and sends nothing.
        again = client.post("/api/v1/actions/bulk", json=body)
        assert again.status_code == 202 and again.json()["job_id"] == job_id, again.text
        jobs = client.get("/api/v1/actions/bulk", params={"limit": 100}).json()
        assert [j["job_id"] for j in jobs if j["action"] == "retry"] == [job_id]
        assert waiting(db) == SELECTED
        # Its audit entry, ended once, by the backend that finished the job.
        entries = client.get("/api/v1/audit", params={"action": "bulk_retry"}).json()["items"]
        mine = [e for e in entries if e.get("job_id") == job_id]
        assert len(mine) == 1 and mine[0]["status"] == "ok", mine
        assert mine[0]["outcome"]["done"] == SELECTED
    finally:
        db.close()
