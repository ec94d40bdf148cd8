"""The console's read-only Redis user, ``monitoring/redis/console-reader.acl``, applied as the
README says (``redis-cli < file``, then the password) on a broker whose system uses a database
other than 0.

Through that user alone (no backend: everything shown comes from the broker) the console
shows the truth: the depth of every queue as the sum of its lists' LLEN, the workers whose
heartbeats arrive, and the task events of tasks the worker runs; Redis refuses nothing it
does. With the same user, Redis refuses every write that could hurt the system or TaskDeck:
a push to a queue, a rate-limit entry, a binding of the system, a deadline that would have
kombu sweep a binding table, an event or a control message.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from celery import Celery
from pytestqt.qtbot import QtBot

from console.domain.endpoints import LEARNED, Endpoints
from console.domain.service_status import Connection, ServiceKind
from console.models.services_table_model import COL_DETAILS
from taskdeck_core.lifecycle import CANCELLED_KEY, STREAM_KEY
from taskdeck_core.transport import KOMBU_DEFAULT_SEP
from taskdeck_dev.procs import LOOPBACK, ManagedProcess, free_port, require_binary
from taskdeck_dev.stack import redis_url, start_redis, start_worker
from taskdeck_worker.celery_app import create_celery
from taskdeck_worker.config import WorkerSettings
from tests.conftest import FAST_WORKLOAD
from tests.console.conftest import open_console, run_coro
from tests.helpers import wait_for

pytestmark = pytest.mark.integration

ACL_FILE = Path(__file__).resolve().parents[2] / "monitoring" / "redis" / "console-reader.acl"
USER, PASSWORD = "taskdeck-console", "reader-secret-3"
DB = 5  # the system's database: not 0
NODE = "aclworker@taskdeck"
BACKLOG_QUEUE = "acl_backlog"  # no worker reads it: its messages wait
BACKLOG = 25
RUN = 6  # tasks the worker runs while the console watches
SEP = KOMBU_DEFAULT_SEP


@dataclass
class System:
    """The sandbox's data-sync system on database ``DB``, its admin client and the reader's URL."""

    port: int
    admin: redis.Redis  # the system's own, unrestricted client on DB
    app: Celery  # the system's producer and control client
    reader_url: str

    def reader(self) -> redis.Redis:
        return redis.Redis.from_url(self.reader_url)

    def lists(self, queue: str) -> list[bytes]:
        """Every list of ``queue``: its own and those of its priority steps, found by SCAN."""
        found: Any = self.admin.scan_iter(match=f"{queue}{SEP}*", count=1000)
        return [queue.encode(), *found]

    def depth(self, queue: str) -> int:
        return sum(int(self.admin.llen(key)) for key in self.lists(queue))

    def members(self, key: str) -> set[bytes]:
        found: Any = self.admin.smembers(key)
        return set(found)

    def reader_denials(self) -> list[dict[str, Any]]:
        log: Any = self.admin.execute_command("ACL", "LOG")
        entries = [{_text(k): v for k, v in entry.items()} for entry in log]
        return [e for e in entries if _text(e.get("username", b"")) == USER]


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def redis_cli(port: int, *args: str, stdin: Path | None = None) -> list[str]:
    """What ``redis-cli`` prints, line by line, as an operator runs it."""
    argv = [require_binary("redis-cli"), "-h", LOOPBACK, "-p", str(port), *args]
    commands = stdin.read_bytes() if stdin is not None else b""
    done = subprocess.run(argv, input=commands, capture_output=True, timeout=10, check=True)
    return done.stdout.decode().split()


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    run_dir = tmp_path_factory.mktemp("reader-acl")
    port = free_port()
    proc = start_redis(run_dir, port)
    admin = redis.Redis.from_url(redis_url(port, DB))
    app: Celery | None = None
    worker: ManagedProcess | None = None
    try:
        # As the README says: the file, then the password; the file again keeps it.
        assert redis_cli(port, stdin=ACL_FILE) == ["OK"] * 3
        assert redis_cli(port, "ACL", "SETUSER", USER, f">{PASSWORD}") == ["OK"]
        assert redis_cli(port, stdin=ACL_FILE) == ["OK"] * 3
        url = redis_url(port, DB)
        worker = start_worker(run_dir, url, NODE.split("@")[0], concurrency=1, env=FAST_WORKLOAD)
        app = create_celery(WorkerSettings(broker_url=url), results=False)
        reader_url = f"redis://{USER}:{PASSWORD}@{LOOPBACK}:{port}/{DB}"
        yield System(port, admin, app, reader_url)
    finally:
        if app is not None:
            app.close()
        if worker is not None:
            worker.stop()
        admin.close()
        proc.stop()


def test_the_console_shows_the_truth_through_the_reader_and_nothing_it_does_is_refused(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, system: System,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    # A backlog in a queue no worker reads, at every priority; the producer binds the queue.
    for n in range(BACKLOG):
        system.app.send_task("data_sync.sync_single_file", args=[f"acl-{n}", "erin"],
                             queue=BACKLOG_QUEUE, priority=n % 10)  # fmt: skip
    assert system.depth(BACKLOG_QUEUE) == BACKLOG
    system.admin.execute_command("ACL", "LOG", "RESET")

    # Only the broker, through the reader: the other services are not there.
    dead = f"http://{LOOPBACK}:{free_port()}"
    console = open_console(qtbot, Endpoints(system.reader_url, dead, dead, dead,
                                            transport=LEARNED))  # fmt: skip
    try:
        assert console.link is not None
        live = console.link.live
        seen: list[dict[str, Any]] = []
        apply = live.state.apply_events

        def recording(events: list[dict[str, Any]], now: float) -> None:
            seen.extend(events)
            apply(events, now)

        monkeypatch.setattr(live.state, "apply_events", recording)

        # Depths: every queue the console lists, as the sum of its lists' LLEN.
        model = console.queues_model

        def depths_agree() -> bool:
            rows = [model.row_at(r) for r in range(model.rowCount())]
            names = {row.name for row in rows}
            return {BACKLOG_QUEUE, "data_sync"} <= names and all(
                row.depth == system.depth(row.name) for row in rows
            )

        qtbot.waitUntil(depths_agree, timeout=15_000)
        backlog = model.row_for(BACKLOG_QUEUE)
        assert backlog is not None and backlog.depth == BACKLOG

        # The connection check reads the same through the reader.
        connections = console.link.connections
        broker = ServiceKind.BROKER
        qtbot.waitUntil(
            lambda: connections.status(broker).connection is Connection.CONNECTED,
            timeout=10_000,
        )
        details = console.services_model.index(0, COL_DETAILS).data()
        assert f"{BACKLOG_QUEUE}: {BACKLOG}" in details

        # Workers: those that answer the system's own ping, seen by their heartbeats alone.
        answering = {name for reply in system.app.control.ping(timeout=1.0) for name in reply}
        assert answering == {NODE}

        def online() -> set[str]:
            workers = console.workers_model
            rows = [workers.row_at(r) for r in range(workers.rowCount())]
            return {row.hostname for row in rows if row.status != "offline"}

        qtbot.waitUntil(lambda: online() == answering, timeout=15_000)
        assert live.receiver_connected

        # The receiver's binding: in the system's format, and no deadline for it.
        members = system.members("_kombu.binding.celeryev")
        own = [m for m in members if m.split(SEP.encode())[-1].startswith(b"celeryev.")]
        assert len(own) == 1 and len(own[0].split(SEP.encode())) == 3
        assert system.admin.zscore("_kombu.binding_deadlines", "celeryev") is None

        # Live events: the task events of tasks the worker runs, and its processed count as
        # the worker itself counts it.
        sent = {
            system.app.send_task("data_sync.sync_single_file", args=[f"run-{n}", "erin"],
                                 queue="data_sync").id
            for n in range(RUN)
        }  # fmt: skip

        def finished() -> set[str]:
            return {str(e.get("uuid")) for e in seen if e.get("type") == "task-succeeded"}

        qtbot.waitUntil(lambda: finished() >= sent, timeout=30_000)
        received = {str(e.get("uuid")) for e in seen if e.get("type") == "task-received"}
        assert sent <= received

        def processed_by_worker() -> int:
            stats = system.app.control.inspect(destination=[NODE], timeout=1.0).stats() or {}
            return sum(stats.get(NODE, {}).get("total", {}).values())

        wait_for(lambda: processed_by_worker() == RUN, 10, "the worker to count its tasks")

        def processed_shown() -> int | None:
            row = console.workers_model.row_for(NODE)
            return row.processed if row else None

        qtbot.waitUntil(lambda: processed_shown() == processed_by_worker(), timeout=10_000)
    finally:
        run_coro(qtbot, console.aclose())

    # Nothing the console did was refused, and its binding left with it.
    assert system.reader_denials() == []
    assert system.members("_kombu.binding.celeryev") == set()
    assert system.members("_kombu.binding_permanent.celeryev") == set()
    assert system.depth(BACKLOG_QUEUE) == BACKLOG


def refused(action: Callable[[], object]) -> bool:
    try:
        action()
    except redis.exceptions.NoPermissionError:
        return True
    return False


def test_the_reader_may_not_write_what_the_system_or_taskdeck_relies_on(system: System) -> None:
    tables_before = {key: system.members(key) for key in
                     ("_kombu.binding.celery", "_kombu.binding.celery.pidbox")}  # fmt: skip
    assert all(tables_before.values())  # the worker's bindings are there to be protected
    depth_before = system.depth("data_sync")
    deadlines_before: Any = system.admin.zrange("_kombu.binding_deadlines", 0, -1,
                                                withscores=True)  # fmt: skip
    member = f"data_sync{SEP}{SEP}data_sync"
    window = "taskdeck:rl:w:auth:ip:10.0.0.7"  # the sign-in window of one address
    reader = system.reader()
    try:
        attempts: dict[str, Callable[[], object]] = {
            "LPUSH to a queue": lambda: reader.lpush("data_sync", b"{}"),
            "LPUSH to a priority list": lambda: reader.lpush(f"data_sync{SEP}3", b"{}"),
            "LREM from a queue": lambda: reader.lrem("data_sync", 0, "{}"),
            "ZADD to a rate-limit window": lambda: reader.zadd(window, {"x": 1}),
            "SET a rate-limit key": lambda: reader.set(window, "1"),
            "HINCRBY a rate-limit bucket": lambda: reader.hincrby("taskdeck:rl:b:1", "req", 1),
            "XADD to the rate-limit rejections": lambda: reader.xadd(
                "taskdeck:rl:rejections", {"k": "v"}
            ),
            "XADD to the lifecycle stream": lambda: reader.xadd(STREAM_KEY, {"k": "v"}),
            "ZADD to the cancelled set": lambda: reader.zadd(CANCELLED_KEY, {"t": 1}),
            "DEL a binding table": lambda: reader.delete("_kombu.binding.celery"),
            "DEL the events binding table": lambda: reader.delete("_kombu.binding.celeryev"),
            "SREM a binding": lambda: reader.srem("_kombu.binding.celery", member),
            "SADD a binding": lambda: reader.sadd("_kombu.binding.celery", f"x{SEP}{SEP}x"),
            "ZADD a binding deadline": lambda: reader.zadd(
                "_kombu.binding_deadlines", {"celery": 0}
            ),
            "PUBLISH an event": lambda: reader.publish(f"/{DB}.celeryev/worker.heartbeat", "{}"),
            "PUBLISH a control message": lambda: reader.publish(f"/{DB}.celery.pidbox", "{}"),
            "EVAL a script": lambda: reader.eval("return 1", 0),
            "FLUSHDB": lambda: reader.flushdb(),
            "CONFIG SET": lambda: reader.config_set("maxmemory", "1"),
        }
        allowed = [what for what, action in attempts.items() if not refused(action)]
        assert allowed == []

        # What it may write: its event receiver's binding, and delete its queue's lists.
        assert reader.sadd("_kombu.binding.celeryev", f"celeryev.x{SEP}{SEP}celeryev.x") == 1
        assert reader.srem("_kombu.binding.celeryev", f"celeryev.x{SEP}{SEP}celeryev.x") == 1
        assert reader.delete("celeryev.x") == 0
        # Reads are the console's own: no KEYS, which blocks a large server.
        assert refused(lambda: reader.keys("*"))
    finally:
        reader.close()

    # Nothing changed.
    assert {key: system.members(key) for key in tables_before} == tables_before
    assert system.depth("data_sync") == depth_before
    assert not system.admin.exists(window, "taskdeck:rl:b:1", "taskdeck:rl:rejections")
    assert system.admin.zrange("_kombu.binding_deadlines", 0, -1, withscores=True) == (
        deadlines_before
    )

    # Channels: the event receiver's pattern on every database of a default server (0-15),
    # and nothing else.
    def dryrun(*command: str) -> str:
        return _text(system.admin.execute_command("ACL", "DRYRUN", USER, *command))

    for db in range(16):
        assert dryrun("PSUBSCRIBE", f"/{db}.celeryev/*") == "OK"
    for pattern in ("*", f"/{DB}.celery.pidbox", f"/{DB}.*"):
        assert dryrun("PSUBSCRIBE", pattern) != "OK"
