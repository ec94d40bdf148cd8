"""Redis under Sentinel (Debian's redis-sentinel): a master, a replica and three Sentinels
on loopback. The backend, a worker and the console's broker reader are given the
``sentinel://`` URL; the master is killed with SIGKILL while tasks are submitted and run.
The Sentinels promote the replica, and each part follows the new master by itself: the
backend accepts and records again, the worker runs again, the console's depths and events
come from the new master. Every accepted task ends final in the ledger, or is marked lost
and counted in /health (what asynchronous replication can lose); no request answers 500."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from console.domain.endpoints import LEARNED
from console.services.broker_reader import BrokerReader, EventReceiver
from taskdeck_core.redis_clients import parse_sentinel_url, sync_client
from taskdeck_core.urls import check_redis_url
from taskdeck_dev.procs import LOOPBACK, ManagedProcess
from taskdeck_dev.stack import SentinelGroup, running_backend, running_sentinel, start_worker
from tests.conftest import FAST_WORKLOAD, ROOMY
from tests.helpers import Submitters, api, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.reliability]

SYNC = "data_sync.sync_single_file"
# Lifecycle records count once a replica has them; the broker is looked at often.
REPLICATED = {"TASKDECK_LEDGER_REPLICAS": "1"}
# A message the worker held when the master died comes back after this (kombu's restore).
HELD_BACK = {"TASKDECK_VISIBILITY_TIMEOUT_S": "10"}
BACKEND_ENV = {**ROOMY, **REPLICATED, "TASKDECK_BROKER_WATCH_S": "0.5",
               "TASKDECK_LOST_CONFIRM_S": "2"}  # fmt: skip


@dataclass
class Stack:
    group: SentinelGroup
    backend_url: str
    worker: ManagedProcess
    events: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    run_dir: Path = tmp_path_factory.mktemp("sentinel")
    with running_sentinel(run_dir) as group:
        worker = start_worker(
            run_dir, group.url, "sentinel-worker", env={**FAST_WORKLOAD, **REPLICATED, **HELD_BACK}
        )
        try:
            with running_backend(run_dir, group.url, BACKEND_ENV) as backend:
                yield Stack(group, backend.url, worker)
        finally:
            worker.stop()


def health(stack: Stack) -> dict[str, Any]:
    return dict(httpx.get(f"{stack.backend_url}/health", timeout=10).json())


def task_state(client: httpx.Client, task_id: str) -> tuple[str | None, bool]:
    reply = client.get(f"/api/v1/tasks/{task_id}")
    if reply.status_code != 200:
        return None, False
    body = reply.json()
    return body.get("state"), bool(body.get("lost_at"))


def test_sentinel_urls_are_read_and_bad_ones_are_refused_with_a_reason() -> None:
    target = parse_sentinel_url(
        "sentinel://:s3cret@127.0.0.1:26379;sentinel://127.0.0.1:26380/2?master_name=main"
    )
    assert target.sentinels == (("127.0.0.1", 26379), ("127.0.0.1", 26380))
    assert (target.master_name, target.db, target.password) == ("main", 2, "s3cret")
    assert target.kombu_url() == "sentinel://:s3cret@127.0.0.1:26379/2;sentinel://127.0.0.1:26380/2"
    with pytest.raises(ValueError, match="master_name=NAME"):
        check_redis_url("sentinel://127.0.0.1:26379/0", "TASKDECK_BROKER_URL")
    with pytest.raises(ValueError, match="bad Sentinel port"):
        check_redis_url("sentinel://127.0.0.1:x/0?master_name=m", "TASKDECK_BROKER_URL")
    with pytest.raises(ValueError) as refused:
        check_redis_url("sentinel://:pw@127.0.0.1:1/0?master_name=m&db=3", "TASKDECK_BROKER_URL")
    assert "db" in str(refused.value) and "pw" not in str(refused.value)


def test_killing_the_master_during_traffic_fails_over_and_every_part_follows(
    stack: Stack,
) -> None:
    group = stack.group
    first_master = group.master_port()
    assert first_master is not None
    # The console's broker reader and event receiver, made once, before the failover.
    loop = asyncio.new_event_loop()
    reader = BrokerReader(group.url, LEARNED)
    loop.run_until_complete(reader.discover())
    receiver = EventReceiver(group.url, stack.events.extend, learn=reader.learn)
    receiver.start()
    with Submitters(stack.backend_url, "failover", pause_s=0.02) as traffic:
        accepted = traffic.accepted
        wait_for(lambda: len(accepted) >= 40, 30, "tasks accepted before the failover")
        killed_at = time.time()
        os.kill(group.nodes[first_master].pid, signal.SIGKILL)
        wait_for(
            lambda: group.master_port() not in (None, first_master), 30, "the Sentinels' failover"
        )
        promoted_at = time.time()
        wait_for(
            lambda: sum(1 for at, _ in accepted if at > promoted_at) >= 40,
            60,
            "tasks accepted by the backend from the new master",
        )
        resumed_at = next(at for at, _ in accepted if at > killed_at)
    statuses = traffic.statuses
    print(f"failover: promoted {promoted_at - killed_at:.2f} s, "
          f"submissions again {resumed_at - killed_at:.2f} s after the kill")  # fmt: skip

    # No request failed with an internal error while the master was gone.
    assert 500 not in statuses, sorted(set(statuses))
    new_master = group.master_port()
    assert new_master is not None and new_master != first_master

    # Every accepted task is final in the ledger, or marked lost (and then counted).
    ids = [task_id for _, task_id in accepted]
    states: dict[str, tuple[str | None, bool]] = {}
    with api(stack.backend_url, "viewer") as client:

        def settled() -> bool:
            for task_id in ids:
                if states.get(task_id, (None, False))[0] != "SUCCESS":
                    states[task_id] = task_state(client, task_id)
            return all(state == "SUCCESS" or lost for state, lost in states.values())

        try:
            wait_for(settled, 60, "every accepted task final or marked lost", interval=0.5)
        except AssertionError:
            open_ = {t: s for t, s in states.items() if s[0] != "SUCCESS" and not s[1]}
            raise AssertionError(f"{len(open_)} of {len(ids)} not final: {open_}") from None
    lost = [t for t, (_, was_lost) in states.items() if was_lost]
    seen = health(stack)["lost_tasks"]
    assert seen["broker_restarts"] >= 1, seen  # the failover was seen as a new server
    assert seen["last_restart_at"] >= killed_at - 1, seen  # when it failed over, not its start
    assert seen["lost"] >= len(lost), seen
    assert len(lost) <= 5, f"{len(lost)} of {len(ids)} accepted tasks lost in the failover"

    # The ledger caught up with the stream on the new master: nothing left unread (a
    # message the worker held comes back and runs again meanwhile: waited for, not raced).
    wait_for(lambda: health(stack)["ledger"]["lag"] == 0, 30, "the ledger caught up")

    # The console's reader, never restarted, reads the new master.
    direct = redis.Redis(host=LOOPBACK, port=new_master, socket_timeout=5)
    try:
        assert direct.info("replication")["role"] == "master"

        def llen() -> int:
            return sum(int(direct.llen(k)) for k in direct.scan_iter("data_sync*"))

        def depth_agrees() -> bool:
            before = llen()
            shown = sum(loop.run_until_complete(reader.depths()).get("data_sync", {}).values())
            return before == shown == llen()

        wait_for(depth_agrees, 30, "the console's depth equal to LLEN on the new master")
        finished_after = {t for at, t in accepted if at > promoted_at}
        wait_for(
            lambda: (
                finished_after
                <= {e.get("uuid") for e in stack.events if e.get("type") == "task-succeeded"}
            ),
            60,
            "the console's events for tasks run after the failover",
        )
    finally:
        direct.close()
        receiver.stop()
        loop.run_until_complete(reader.aclose())
        loop.close()


def test_a_client_made_before_the_failover_writes_to_the_new_master(stack: Stack) -> None:
    """The Sentinel client the backend and the worker plug-in use: no reconnecting by hand."""
    client = sync_client(stack.group.url, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.set("sentinel-probe", "1")
        master = stack.group.master_port()
        assert master is not None
        direct = redis.Redis(host=LOOPBACK, port=master, socket_timeout=2)
        try:
            assert direct.get("sentinel-probe") == b"1"
        finally:
            direct.close()
    finally:
        client.close()
