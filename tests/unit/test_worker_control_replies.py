"""What a worker's control replies, stats and registered list come to, and a worker shut
down by itself told from a crashed one."""

from __future__ import annotations

from backend.services.ledger_rows import HeldTask
from backend.services.redelivery import finishing
from backend.services.worker_control import PARTLY_NOTE, error_text, note
from backend.services.worker_detail import parse_registered
from backend.services.workers import pool_size
from taskdeck_core.api_types import TaskLimits, WorkerControlReply
from tests.unit.test_worker_monitor import CountingMonitor


def test_a_workers_error_is_its_message_not_its_exceptions_repr() -> None:
    said = 'ValueError("Can\'t shrink pool. All processes busy!")'
    assert error_text(said) == "Can't shrink pool. All processes busy!"
    assert error_text("ValueError('Autoscale not enabled')") == "Autoscale not enabled"
    assert error_text("kombu.exceptions.OperationalError('gone')") == "gone"
    assert error_text("unknown task") == "unknown task"
    assert error_text("KeyError('a', 1)") == "KeyError('a', 1)"  # not one message: as it is
    assert error_text("f(__import__('os'))") == "f(__import__('os'))"  # never evaluated


def test_a_refused_pool_change_is_said_to_be_maybe_partly_done() -> None:
    refused = [WorkerControlReply(hostname="w@h", ok=False, message="busy")]
    done = [WorkerControlReply(hostname="w@h", ok=True, message="pool will shrink")]
    assert note("pool_shrink", refused) == PARTLY_NOTE and note("pool_grow", refused)
    assert note("pool_shrink", done) is None and note("autoscale", refused) is None


def test_an_empty_process_list_is_a_pool_of_none() -> None:
    assert pool_size({"processes": [], "max-concurrency": 2}) == 0
    assert pool_size({"processes": [11, 12, 13], "max-concurrency": 2}) == 3
    assert pool_size({"max-concurrency": 4}) == 4  # a pool that lists no processes
    assert pool_size({}) is None


def test_registered_lines_give_the_name_and_its_limits() -> None:
    line = "data_sync.sync_batch [rate_limit=10/m soft_time_limit=1500 time_limit=1800.0]"
    assert parse_registered(line) == (
        "data_sync.sync_batch",
        TaskLimits(rate_limit="10/m", soft_time_limit=1500.0, time_limit=1800.0),
    )
    assert parse_registered("data_sync.sync_single_file") == ("data_sync.sync_single_file", None)
    assert parse_registered("a.b [soft_time_limit=1200.0]") == (
        "a.b", TaskLimits(soft_time_limit=1200.0)
    )  # fmt: skip
    # Attributes not asked for, or not numbers, are left out.
    assert parse_registered("a.b [exchange=x time_limit=soon]") == ("a.b", None)
    assert parse_registered("") is None


def test_a_worker_that_said_it_went_offline_finishes_its_tasks_before_they_await() -> None:
    monitor = CountingMonitor([1000.0])
    monitor._on_event({"type": "worker-heartbeat", "hostname": "w1@h", "pid": 10})
    monitor._on_event({"type": "worker-heartbeat", "hostname": "w2@h", "pid": 20})
    monitor._on_event({"type": "worker-offline", "hostname": "w1@h", "pid": 10})
    assert monitor.shut_down() == {"w1@h"}  # w2 may go silent: a crash says nothing
    task = HeldTask("t1", "alice", "STARTED", "data_sync", "w1@h", 10, 1000.0)
    assert finishing(task, when=4600.0, now=1020.0, shut_down=monitor.shut_down())
    assert not finishing(task, when=4600.0, now=4600.0, shut_down=monitor.shut_down())
    assert not finishing(task._replace(hostname="w2@h"), 4600.0, 1020.0, monitor.shut_down())
    monitor._on_event({"type": "worker-online", "hostname": "w1@h", "pid": 11})
    assert monitor.shut_down() == set()
