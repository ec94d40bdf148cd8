import pytest

from taskdeck_worker.tasks import data_sync
from taskdeck_worker.tasks.data_sync import (
    DatabaseDeadlock,
    FileStoreTimeout,
    RowValidationError,
    sync_batch,
    sync_single_file,
)


@pytest.fixture
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(data_sync.settings, "workload_speed", 1000.0)


def test_every_failure_kind_occurs_with_a_message_naming_the_file(
    fast: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(data_sync.settings, "workload_failure_rate", 1.0)
    seen: dict[type, str] = {}
    for n in range(60):
        file_id = f"f-{n}"
        with pytest.raises((FileStoreTimeout, RowValidationError, DatabaseDeadlock)) as err:
            data_sync._sync_one(file_id, 0)
        assert file_id in str(err.value)
        seen[type(err.value)] = str(err.value)
    assert set(seen) == {FileStoreTimeout, RowValidationError, DatabaseDeadlock}
    assert "row " in seen[RowValidationError] and "column" in seen[RowValidationError]


def test_no_failures_when_the_rate_is_zero(fast: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(data_sync.settings, "workload_failure_rate", 0.0)
    rows = [data_sync._sync_one(f"f-{n}", 0) for n in range(40)]
    assert all(50 <= r <= 5000 for r in rows)


def test_an_attempt_behaves_the_same_each_time(fast: None) -> None:
    outcomes: list[object] = []
    for _ in range(2):
        try:
            outcomes.append(data_sync._sync_one("f-repeat", 1))
        except Exception as exc:  # noqa: BLE001 - comparing whatever it does
            outcomes.append(repr(exc))
    assert outcomes[0] == outcomes[1]


def test_deadlocks_are_retried_with_backoff() -> None:
    for task in (sync_single_file, sync_batch):
        assert task.autoretry_for == (DatabaseDeadlock,)
        assert task.max_retries == data_sync.MAX_DEADLOCK_RETRIES
        assert task.retry_backoff


def test_tasks_route_to_the_data_sync_queue() -> None:
    route = sync_single_file.app.amqp.router.route({}, sync_single_file.name)
    assert route["queue"].name == "data_sync"
