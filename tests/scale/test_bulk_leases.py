"""A bulk job's lease in the shared ledger, on SQLite and on a real PostgreSQL: of backends
claiming a job at the same moment exactly one gets it, a lapsed lease is claimed by another,
and the backend that lost it can no longer write the job's items or state."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.services.ledger import Ledger
from backend.services.ledger_jobs import BulkJob, ItemResult, Lease, LeaseLost
from tests.helpers import wait_for

pytestmark = pytest.mark.integration

BACKENDS = 4  # ledgers of their own on one database, as backends have


@pytest.fixture(params=["sqlite", "postgresql"])
def ledgers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[Ledger]]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_url")
    opened = [Ledger(url)]  # the first makes the tables, as the first backend to start does
    opened += [Ledger(url) for _ in range(BACKENDS - 1)]
    yield opened
    for ledger in opened:
        ledger.close()


def job(job_id: str) -> BulkJob:
    return BulkJob(
        job_id=job_id, idempotency_key=f"key-{job_id}", request_hash="h", action="retry",
        priority=None, user="sam", audit_id=1, state="running", total=2, done=0, failed=0,
        created_at=time.time(), updated_at=time.time(),
    )  # fmt: skip


def create(ledger: Ledger, job_id: str, lease: Lease | None = None) -> None:
    with ledger.engine.begin() as conn:
        ledger.jobs.create(conn, job(job_id), ["a", "b"], lease)


def claim_together(ledgers: list[Ledger], job_id: str) -> list[str]:
    """Each ledger claims ``job_id`` from a thread of its own, all released at once; the
    owners that got it."""
    leases = [Lease(f"backend-{n}", 30) for n in range(len(ledgers))]
    start = threading.Barrier(len(ledgers))
    won: list[str] = []

    def claim(ledger: Ledger, lease: Lease) -> None:
        start.wait()
        if ledger.jobs.claim(job_id, lease):
            won.append(lease.owner)

    threads = [
        threading.Thread(target=claim, args=pair) for pair in zip(ledgers, leases, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return won


def test_backends_claiming_at_once_get_one_owner_each_job(ledgers: list[Ledger]) -> None:
    lapsed = Lease("gone", 0.01)
    for n in range(10):
        create(ledgers[0], f"never-{n}")  # a job without a lease (made before leases)
        create(ledgers[0], f"lapsed-{n}", lapsed)  # its backend died
    wait_for(lambda: len(ledgers[1].jobs.claimable()) == 20, 5, "the short leases to lapse")
    for n in range(10):
        for job_id in (f"never-{n}", f"lapsed-{n}"):
            won = claim_together(ledgers, job_id)
            assert len(won) == 1, (job_id, won)
    assert ledgers[2].jobs.claimable() == []


def test_a_held_lease_is_kept_and_a_lapsed_one_taken_over(ledgers: list[Ledger]) -> None:
    first, second = Lease("first", 0.3), Lease("second", 30)
    create(ledgers[0], "j1", first)
    assert not ledgers[1].jobs.claim("j1", second)  # held: the other backend leaves it
    assert ledgers[0].jobs.claim("j1", first)  # its own holder claims it again
    assert ledgers[0].jobs.renew({"j1"}, first) == {"j1"}
    assert ledgers[1].jobs.claimable() == []
    wait_for(lambda: ledgers[1].jobs.claimable() == ["j1"], 5, "the lease, not renewed, to lapse")
    assert ledgers[1].jobs.claim("j1", second)
    # The first backend, back from a pause, can no longer write the job: nothing changes.
    assert ledgers[0].jobs.renew({"j1"}, first) == set()
    with pytest.raises(LeaseLost):
        ledgers[0].jobs.record("j1", [ItemResult(0, "retried", new_task_id="x")], first)
    with pytest.raises(LeaseLost):
        ledgers[0].jobs.start_publishing("j1", {1: "y"}, first)
    with pytest.raises(LeaseLost):
        ledgers[0].jobs.set_state("j1", "done", first)
    status = ledgers[1].jobs.status("j1")
    assert status is not None and status.state == "running"
    assert status.outcomes == {"pending": 2} and status.done == 0
    # Its new holder writes it, and a released lease leaves the job to whoever claims it.
    ledgers[1].jobs.record("j1", [ItemResult(0, "retried", new_task_id="x")], second)
    ledgers[1].jobs.release("j1", second)
    assert ledgers[2].jobs.claimable() == ["j1"]
