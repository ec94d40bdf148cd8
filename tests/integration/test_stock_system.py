"""TaskDeck beside a Celery system it did not build: it reads and acts in the system's own
terms, and does it no harm.

The system (``tests.stock_system``) is stock Celery: its own queue names, kombu's
transport options or custom ones, a non-zero database behind an ACL user, no
TaskDeck plug-in, with and without ``result_extended``. The truth every check is
held against is the system's own: its lists (named here from kombu's rule), its
record of what ran, its ``inspect ping``, its binding tables.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from celery import Celery

from taskdeck_dev.procs import ManagedProcess, free_port
from taskdeck_dev.stack import start_backend, start_redis
from tests.conftest import DATA_SYNC_SYSTEM, ROOMY
from tests.helpers import api, wait_for
from tests.stock import QUEUES, StockConfig, add_acl_user, start_stock_worker, stock_app
from tests.stock_system import RAN_KEY

pytestmark = pytest.mark.integration

WAITING = 30  # messages left waiting in erp_sync, priorities 0-9
OTHER = 8  # and in celery
CONFIGS = [
    pytest.param(StockConfig(), id="kombu-defaults"),
    pytest.param(StockConfig(result_extended=False), id="kombu-defaults-without-result-extended"),
    pytest.param(StockConfig(sep="|", steps=(0, 2, 5, 8)), id="custom-separator-and-steps"),
]


@dataclass
class System:
    config: StockConfig
    url: str
    run_dir: Path
    app: Celery
    db: redis.Redis
    backend: httpx.Client
    worker: ManagedProcess | None = None

    def depth(self, queue: str) -> int:
        return sum(int(self.db.llen(key)) for key in self.config.lists(queue))

    def where(self, task_id: str) -> str | None:
        """The system list that holds ``task_id``'s message, read straight from Redis."""
        for key in self.config.lists("erp_sync"):
            for raw in self.db.lrange(key, 0, -1):
                if json.loads(raw)["headers"]["id"] == task_id:
                    return key
        return None

    def run_order(self, queue: str) -> list[str]:
        """Waiting task ids in the order the workers take them: step by step, each list
        from its right end."""
        return [json.loads(raw)["headers"]["id"]
                for key in self.config.lists(queue)
                for raw in reversed(self.db.lrange(key, 0, -1))]  # fmt: skip

    def ran(self) -> list[str]:
        ran: Any = self.db.lrange(RAN_KEY, 0, -1)
        return [i.decode() for i in ran]

    def start_worker(self) -> None:
        self.worker = start_stock_worker(self.run_dir, self.url, self.config)

        def seen() -> bool:
            workers = self.backend.get("/api/v1/workers").json()
            return any(w["hostname"] == "stock@erp" and w["online"] for w in workers)

        # The backend receives events once the system's first binding shows its separator.
        wait_for(seen, 30, "the backend to hear the worker's heartbeat", 0.2)

    def stop_worker(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self.worker = None

    def state(self, task_id: str) -> str | None:
        reply = self.backend.get(f"/api/v1/tasks/{task_id}")
        return reply.json()["state"] if reply.status_code == 200 else None

    def publish(self, record: str, priority: int, queue: str = "erp_sync", **kwargs: Any) -> str:
        """As the owners publish: routed through the queue's exchange, whose binding table
        kombu parses with the system's separator."""
        return str(self.app.send_task("erp.sync", args=[record], kwargs=kwargs, queue=queue,
                                      exchange=queue, routing_key=queue, priority=priority).id)  # fmt: skip


@pytest.fixture
def system(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[System]:
    config: StockConfig = request.param
    port = free_port()
    redis_proc = start_redis(tmp_path, port)
    url = add_acl_user(port)
    env = {k: v for k, v in ROOMY.items() if k not in DATA_SYNC_SYSTEM}  # its own only
    if config.steps:  # the broker shows the separator, not the steps
        env["TASKDECK_PRIORITY_STEPS"] = ",".join(map(str, config.steps))
    backend_port = free_port()
    backend = start_backend(tmp_path, backend_port, url, env=env)
    app = stock_app(url, config)
    db = redis.Redis.from_url(url)
    client = api(f"http://127.0.0.1:{backend_port}", role="support")
    sys_ = System(config, url, tmp_path, app, db, client)
    try:
        yield sys_
    finally:
        sys_.stop_worker()
        client.close()
        app.close()
        db.close()
        backend.stop()
        redis_proc.stop()


def metrics_depth(text: str, queue: str) -> int:
    pattern = re.compile(
        rf'^celery_queue_length\{{[^}}]*queue_name="{queue}"[^}}]*\}} (\S+)$', re.M
    )
    return int(sum(float(v) for v in pattern.findall(text)))


def unparsable_bindings(db: redis.Redis, sep: str) -> list[str]:
    bad = []
    for key in db.scan_iter("_kombu.binding.*"):
        members: Any = db.smembers(key)
        for member in members:
            if len(member.decode().split(sep)) != 3:
                bad.append(f"{key.decode()}: {member!r}")
    return bad


@pytest.mark.parametrize("system", CONFIGS, indirect=True)
def test_taskdeck_reads_and_acts_in_the_systems_own_terms(system: System) -> None:
    config, backend = system.config, system.backend
    # History first: one task that succeeds and one that fails, seen through events.
    system.start_worker()
    done = system.publish("r-ok", 5)
    failed = system.publish("r-bad", 5, fail=True)
    wait_for(lambda: system.state(done) == "SUCCESS" and system.state(failed) == "FAILURE",
             30, "the finished tasks in the ledger")  # fmt: skip
    # Then a backlog while the system's worker is down.
    system.stop_worker()
    waiting = [system.publish(f"w-{n}", n % 10) for n in range(WAITING)]
    for n in range(OTHER):
        system.publish(f"c-{n}", 5, queue="celery")
    assert system.depth("erp_sync") == WAITING and system.depth("celery") == OTHER

    # The environment as learned: the separator from the bindings, the steps as configured
    # or kombu's default.
    def learned() -> dict[str, Any]:
        return dict(backend.get("/api/v1/environment").json())

    # Looked at again every 10 s: the queues the worker bound appear by then.
    wait_for(lambda: set(QUEUES) <= set(learned()["transport"]["queues"]), 15, "the queues")
    env = learned()
    assert env["transport"]["sep"] == config.real_sep
    assert env["transport"]["steps"] == list(config.real_steps)
    assert set(QUEUES) <= set(env["transport"]["queues"])
    assert env["transport"]["foreign_binding_count"] == 0
    capabilities = {c["name"]: c for c in env["capabilities"]}
    assert not capabilities["durable_cancel"]["available"]
    assert capabilities["retry_whole_arguments"]["available"] == config.result_extended

    # Depths: the backend and /metrics agree with the sum over the system's lists.
    queues = {q["name"]: q for q in backend.get("/api/v1/queues").json()}
    assert {"erp_sync", "celery"} <= set(queues)
    assert not [n for n in queues if "\x06" in n or config.real_sep in n]
    for name in QUEUES:
        assert queues[name]["depth"] == system.depth(name)
        assert sum(queues[name]["depth_by_priority"].values()) == system.depth(name)
    text = httpx.get(f"{backend.base_url}/metrics").text
    assert metrics_depth(text, "erp_sync") == WAITING and metrics_depth(text, "celery") == OTHER

    # Waiting messages: all of them, in the order the workers will take them.
    page = backend.get("/api/v1/queues/erp_sync/messages", params={"limit": 500}).json()
    assert page["total"] == WAITING
    assert [m["task_id"] for m in page["items"]] == system.run_order("erp_sync")
    assert [m["position"] for m in page["items"]] == list(range(WAITING))

    # Cancel a waiting task of Celery priority 5: it leaves the list that held it.
    cancelled = waiting[5]
    assert system.where(cancelled) == config.list_for("erp_sync", 5)
    reply = backend.post(f"/api/v1/tasks/{cancelled}/cancel", json={"reason": "wrong file"})
    assert reply.status_code == 200, reply.text
    assert reply.json()["outcome"] == "removed_from_queue"
    assert system.where(cancelled) is None and system.depth("erp_sync") == WAITING - 1

    # Raise one from Celery priority 9 to the top, lower one from 0 to the bottom (an
    # admin's action): each lands in the list of the system's step for its new priority,
    # at its back as if just published, and the answer says which list that is.
    raised, lowered = waiting[9], waiting[10]
    for task_id, user_priority, celery_priority in ((raised, 10, 0), (lowered, 1, 9)):
        with api(str(backend.base_url), role="admin") as admin:
            reply = admin.post(f"/api/v1/tasks/{task_id}/priority",
                               json={"priority": user_priority, "reason": "customer call"})  # fmt: skip
        assert reply.status_code == 200, reply.text
        landed = config.list_for("erp_sync", celery_priority)
        assert reply.json()["outcome"] == "moved"
        assert repr(landed) in reply.json()["detail"]
        assert system.where(task_id) == landed
    order = system.run_order("erp_sync")
    assert order.index(raised) < order.index(waiting[3])  # ahead of every step-3 message
    assert order[-1] == lowered

    # Retry the failed task: with whole arguments it goes to a list the workers read;
    # without them the answer says what the system lacks, and nothing is sent.
    reply = backend.post(f"/api/v1/tasks/{failed}/retry", json={"reason": "ERP back"})
    retried: str | None = None
    if config.result_extended:
        assert reply.status_code == 200, reply.text
        retried = reply.json()["new_task_id"]
        assert system.where(retried) == config.list_for("erp_sync", 5)
    else:
        assert reply.status_code == 409, reply.text
        assert "result_extended" in reply.json()["detail"]
        assert system.depth("erp_sync") == WAITING - 1

    # Nothing TaskDeck wrote is out of the workers' reach or unreadable to their clients.
    lists = [k.decode() for k in system.db.scan_iter("erp_sync*") if system.db.type(k) == b"list"]
    assert set(lists) <= set(config.lists("erp_sync"))
    assert unparsable_bindings(system.db, config.real_sep) == []

    # The system's worker comes back and works through the backlog as TaskDeck said.
    system.start_worker()
    expected = [i for i in waiting if i != cancelled] + ([retried] if retried else [])
    wait_for(lambda: set(expected) <= set(system.ran()), 60, "the backlog to run", 0.2)
    wait_for(lambda: system.depth("erp_sync") == 0 and system.depth("celery") == 0,
             30, "the queues to empty")  # fmt: skip
    assert cancelled not in system.ran()

    # Its own tools still work beside TaskDeck: 20 of 20 pings, exchange-routed publishing.
    node = "stock@erp"
    answered = sum(
        bool(system.app.control.ping(destination=[node], timeout=1.0)) for _ in range(20)
    )
    assert answered == 20
    after = system.publish("after", 5)
    wait_for(lambda: after in system.ran(), 30, "a task published after TaskDeck acted")
    assert unparsable_bindings(system.db, config.real_sep) == []
    log = (system.run_dir / "logs" / "stock.log").read_text(errors="replace")
    assert "Control command error" not in log and "not enough values to unpack" not in log


def test_a_task_a_stock_worker_holds_can_only_be_revoked_by_broadcast_and_says_so(
    tmp_path: Path,
) -> None:
    config = StockConfig()
    port = free_port()
    redis_proc = start_redis(tmp_path, port)
    url = add_acl_user(port)
    backend_port = free_port()
    own = {k: v for k, v in ROOMY.items() if k not in DATA_SYNC_SYSTEM}
    backend_proc = start_backend(tmp_path, backend_port, url, env=own)
    app, db = stock_app(url, config), redis.Redis.from_url(url)
    client = api(f"http://127.0.0.1:{backend_port}", role="support")
    system = System(config, url, tmp_path, app, db, client)
    try:
        system.start_worker()
        busy = system.publish("slow", 5, pause_s=4.0)
        held = system.publish("held", 5)  # prefetched by the one busy process
        wait_for(lambda: system.state(busy) == "STARTED" and system.state(held) == "RECEIVED",
                 30, "one task running, one held")  # fmt: skip
        reply = client.post(f"/api/v1/tasks/{held}/cancel", json={"reason": "not needed"})
        assert reply.status_code == 200, reply.text
        answer = reply.json()
        assert answer["outcome"] == "revoke_broadcast"
        assert "worker restart" in answer["detail"] and "plug-in" in answer["detail"]
        wait_for(lambda: system.state(held) == "REVOKED", 30, "the worker to skip it")
        assert held not in system.ran()
    finally:
        system.stop_worker()
        client.close()
        app.close()
        db.close()
        backend_proc.stop()
        redis_proc.stop()
