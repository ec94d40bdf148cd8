"""The console window while what it watches fails: redis-server, the backend, Prometheus
and Alertmanager each hung (SIGSTOP, then SIGCONT) and killed (SIGKILL, then started again
on the same port, Redis on the same data), while a worker runs a small traffic of tasks.

After each fault, what the user sees: the Connections page and the status bar show the
part down within NOTICE_S with a readable reason; the pages keep their last data and say
it is stale; once the part is back, the console recovers by itself within RECOVER_S
(connected, and fresh figures that agree with the source of truth again); nothing raises
and nothing is logged as an unhandled exception. While Redis is stopped, the backend's
/health says the broker is down, and why.

One stack serves every case; each case ends with the stack healthy again, so the cases
run in the order listed (Redis last, the part everything else leans on). Each case
records what it saw in OBSERVED; the module prints them at its end (``-s``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from celery import Celery
from pytestqt.qtbot import QtBot

from console.app import Console
from console.domain.endpoints import Endpoints, TransportSettings
from console.domain.service_status import Connection, ServiceKind
from console.models.services_table_model import COL_ERROR, COL_STATE
from taskdeck_core.transport import KOMBU_DEFAULT_SEP, QUEUES, SANDBOX_STEPS, SANDBOX_TRANSPORT
from taskdeck_dev.procs import LOOPBACK, ManagedProcess, free_port
from taskdeck_dev.stack import (
    redis_url,
    start_alertmanager,
    start_backend,
    start_prometheus,
    start_redis,
    start_worker,
    write_prometheus_config,
)
from taskdeck_worker.celery_app import create_celery
from taskdeck_worker.config import WorkerSettings
from tests.conftest import FAST_WORKLOAD, ROOMY, TOKENS

# The console tests' qasync loop, running while the test's Qt waits drive it.
from tests.console.conftest import loop, open_console, run_coro  # noqa: F401
from tests.helpers import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.reliability]

NOTICE_S = 5.0  # a part that stops answering is shown down within this
RECOVER_S = 10.0  # and connected again, with fresh data, within this of its return
HOLD_S = 2.0  # a fault lasts this long after the console has shown it
LONG_OUTAGE_S = 10.0  # Redis killed stays down at least this long
PARKED = "faults_parked"  # a queue no worker reads: its depth moves only when the test says
PARKED_AT_START = 3
SYNC = "data_sync.sync_single_file"
WORKER = "faults@taskdeck"
# The console watches the sandbox's system, and the parked queue besides.
TRANSPORT = TransportSettings(KOMBU_DEFAULT_SEP, SANDBOX_STEPS, (*QUEUES, PARKED))
# What the Connections page says of a part that hangs, and of one that is gone.
REASONS = {
    "hang": re.compile(r"^timed out after \d+ s$"),
    "crash": re.compile(r"^(connection refused|the server closed the connection)$"),
}
CASES = [
    (kind, fault)
    for kind in (
        ServiceKind.ALERTMANAGER,
        ServiceKind.PROMETHEUS,
        ServiceKind.BACKEND,
        ServiceKind.BROKER,
    )  # fmt: skip
    for fault in ("hang", "crash")
]
OBSERVED: list[str] = []


@dataclass
class Stack:
    run_dir: Path
    ports: dict[ServiceKind, int]
    procs: dict[ServiceKind, ManagedProcess] = field(default_factory=dict)
    prometheus_config: Path | None = None

    def url(self, kind: ServiceKind) -> str:
        port = self.ports[kind]
        return redis_url(port) if kind is ServiceKind.BROKER else f"http://{LOOPBACK}:{port}"

    def start(self, kind: ServiceKind) -> None:
        """Start ``kind`` on its port (Redis on its data dir) and wait until it is ready."""
        port = self.ports[kind]
        if kind is ServiceKind.BROKER:
            proc = start_redis(self.run_dir, port)
        elif kind is ServiceKind.BACKEND:
            proc = start_backend(self.run_dir, port, self.url(ServiceKind.BROKER), env=ROOMY)
        elif kind is ServiceKind.PROMETHEUS:
            assert self.prometheus_config is not None
            proc = start_prometheus(self.run_dir, port, self.prometheus_config)
        else:
            proc = start_alertmanager(self.run_dir, port)
        self.procs[kind] = proc

    def signal(self, kind: ServiceKind, sig: signal.Signals) -> None:
        os.killpg(self.procs[kind].pid, sig)  # a session leader: its whole group

    def kill(self, kind: ServiceKind) -> None:
        proc = self.procs[kind]
        self.signal(kind, signal.SIGKILL)
        wait_for(lambda: not proc.alive(), 5, f"{kind.value} to die")
        proc.stop()  # reaps it

    def heal(self, kind: ServiceKind) -> None:
        """Whatever a case left: a stopped part continued, a dead one started again."""
        proc = self.procs[kind]
        if proc.alive():
            with contextlib.suppress(ProcessLookupError):
                self.signal(kind, signal.SIGCONT)
        else:
            proc.stop()
            self.start(kind)

    def endpoints(self) -> Endpoints:
        return Endpoints(
            self.url(ServiceKind.BROKER), self.url(ServiceKind.BACKEND),
            self.url(ServiceKind.PROMETHEUS), self.url(ServiceKind.ALERTMANAGER),
            backend_token=TOKENS["admin"], transport=TRANSPORT,
        )  # fmt: skip

    def truth(self, queue: str) -> int:
        """The queue's depth as the broker holds it: every priority list's LLEN, summed."""
        client = redis.Redis.from_url(self.url(ServiceKind.BROKER), socket_timeout=5)
        try:
            return sum(int(client.llen(k)) for k in SANDBOX_TRANSPORT.list_names(queue))
        finally:
            client.close()

    def park(self, n: int = 1) -> None:
        """``n`` more tasks waiting in the parked queue."""
        app = producer(self.url(ServiceKind.BROKER))
        try:
            for _ in range(n):
                app.send_task(SYNC, args=[f"parked-{uuid.uuid4().hex[:6]}", "parker"],
                              queue=PARKED)  # fmt: skip
        finally:
            app.close()

    def health(self) -> dict[str, Any]:
        reply = httpx.get(f"{self.url(ServiceKind.BACKEND)}/health", timeout=5)
        return dict(reply.json())


def producer(broker_url: str) -> Celery:
    return create_celery(WorkerSettings(broker_url=broker_url), results=False)


class Traffic:
    """A few tasks a second submitted through the backend, whatever is down."""

    def __init__(self, backend_url: str) -> None:
        self.url = backend_url
        self.accepted = 0
        self.refused = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="traffic", daemon=True)

    def _run(self) -> None:
        headers = {"Authorization": f"Bearer {TOKENS['support']}"}
        with httpx.Client(base_url=self.url, headers=headers, timeout=2) as client:
            while not self._stop.wait(0.3):
                body = {"name": SYNC, "args": [f"t-{uuid.uuid4().hex[:6]}", "traffic"],
                        "user": "traffic"}  # fmt: skip
                try:
                    ok = client.post("/api/v1/tasks", json=body).status_code == 202
                except httpx.HTTPError:
                    ok = False
                self.accepted += ok
                self.refused += not ok

    def __enter__(self) -> Traffic:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    run_dir = tmp_path_factory.mktemp("console_faults")
    built = Stack(run_dir, {kind: free_port() for kind in ServiceKind})
    worker: ManagedProcess | None = None
    try:
        built.start(ServiceKind.BROKER)
        worker = start_worker(run_dir, built.url(ServiceKind.BROKER), "faults", concurrency=2,
                              env=FAST_WORKLOAD)  # fmt: skip
        built.start(ServiceKind.BACKEND)
        built.start(ServiceKind.ALERTMANAGER)
        built.prometheus_config = write_prometheus_config(
            run_dir, built.ports[ServiceKind.BACKEND], built.ports[ServiceKind.ALERTMANAGER],
            interval="1s", rules_factor=0.05,
        )  # fmt: skip
        built.start(ServiceKind.PROMETHEUS)
        built.park(PARKED_AT_START)
        with Traffic(built.url(ServiceKind.BACKEND)) as traffic:
            yield built
        OBSERVED.append(f"traffic: {traffic.accepted} tasks accepted, {traffic.refused} not")
    finally:
        for proc in reversed(list(built.procs.values())):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGCONT)
            proc.stop()
        if worker is not None:
            worker.stop()
        print("\n" + "\n".join(OBSERVED))


class LogRecords(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def console_log() -> Iterator[LogRecords]:
    """Everything the console logs during the case, the loop's closing included (this
    fixture is set up before the loop's and ends after it)."""
    handler = LogRecords()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    bad = [
        line for line in handler.lines
        if "Traceback" in line or "exception was never retrieved" in line
    ]  # fmt: skip
    assert not bad, "the console logged an unhandled exception:\n" + "\n".join(bad)


def secs(value: float | None) -> str:
    return "never" if value is None else f"{value:.1f} s"


def seen_within(qtbot: QtBot, check: Callable[[], object], timeout_s: float) -> float | None:
    """Seconds until ``check`` held (the window's loop running meanwhile), None if it did
    not within ``timeout_s``."""
    start = time.monotonic()
    while True:
        if check():
            return time.monotonic() - start
        if time.monotonic() - start > timeout_s:
            return None
        qtbot.wait(50)


class View:
    """What the user sees of the console, read off its window."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.alerts_at = 0.0  # when Alertmanager's alerts last reached the Overview
        assert console.link is not None
        console.link.overview.alerts_changed.connect(self._alerts)

    def _alerts(self, _alerts: object) -> None:
        self.alerts_at = time.time()

    def connection(self, kind: ServiceKind) -> Connection:
        assert self.console.link is not None
        return self.console.link.connections.status(kind).connection

    def row(self, kind: ServiceKind) -> tuple[str, str]:
        """The Connections page's State and Last error for ``kind``."""
        model = self.console.services_model
        row = list(ServiceKind).index(kind)
        return str(model.index(row, COL_STATE).data()), str(model.index(row, COL_ERROR).data())

    def indicator(self, kind: ServiceKind) -> tuple[str, str]:
        """The status bar's text and tooltip for ``kind``."""
        label = self.console.window._indicators[kind]
        return label.text(), label.toolTip()

    def parked(self) -> int | None:
        row = self.console.queues_model.row_for(PARKED)
        return row.depth if row is not None else None

    def tile(self, key: str) -> tuple[str, str]:
        tile = self.console.overview_page.tiles[key]
        return tile.value_text(), tile.source_text()

    def worker(self) -> str | None:
        row = self.console.workers_model.row_for(WORKER)
        return row.status if row is not None else None

    def all_connected(self) -> bool:
        return all(self.connection(kind) is Connection.CONNECTED for kind in ServiceKind)


def fresh(view: View, stack: Stack, kind: ServiceKind, since: float) -> bool:
    """The figures that come through ``kind`` are current again, and agree with their
    source; nothing says otherwise."""
    console = view.console
    link = console.link
    assert link is not None
    note = console.queues_page.stale_text()
    if kind is ServiceKind.BROKER:
        counts = link.live.state.counts(time.time())
        return (
            (counts.queued_at or 0) > since
            and view.parked() == stack.truth(PARKED)
            and "ago" in view.tile("queued")[1]
            and "Broker" not in note
        )
    if kind is ServiceKind.BACKEND:
        counts = link.live.state.counts(time.time())
        return (
            (counts.finished_at or 0) > since
            and counts.finished_problem is None
            and "ago" in view.tile("failed")[1]
            and "Backend" not in note
        )
    if kind is ServiceKind.PROMETHEUS:
        plot = console.overview_page.plots["queue_depth"]
        return link.overview.last_good > since and plot.message_text() == ""
    return view.alerts_at > since and view.tile("alerts")[1].startswith("Alertmanager, ")


def marked_stale(view: View, kind: ServiceKind, before: dict[str, object]) -> bool:
    """The pages still show what came through ``kind``, and say that it is not current."""
    console = view.console
    note = console.queues_page.stale_text()
    if kind is ServiceKind.BROKER:
        return (
            view.parked() == before["parked"]
            and view.tile("queued")[0] == before["queued"]
            and view.tile("queued")[1].startswith("broker: unreachable (")
            and "Broker unreachable" in note
        )
    if kind is ServiceKind.BACKEND:
        return "Backend unreachable" in note and all(
            view.tile(key)[0] == before[key]
            and view.tile(key)[1].startswith("ledger: unreachable (")
            for key in ("failed", "failure_rate")
        )
    if kind is ServiceKind.PROMETHEUS:
        plot = console.overview_page.plots["queue_depth"]
        return bool(plot.keys()) and "Prometheus unreachable" in plot.message_text()
    value, source = view.tile("alerts")
    return value == before["alerts"] and source.startswith("Alertmanager: unreachable (")


@pytest.mark.usefixtures("loop")
@pytest.mark.parametrize(("kind", "fault"), CASES, ids=[f"{k.value}-{f}" for k, f in CASES])
def test_the_console_shows_a_failed_part_keeps_its_data_and_recovers(
    console_log: LogRecords, qtbot: QtBot, stack: Stack, kind: ServiceKind, fault: str
) -> None:
    console = open_console(qtbot, stack.endpoints())
    view = View(console)
    link = console.link
    assert link is not None
    try:
        # Healthy first: every part connected, every figure from its source.
        qtbot.waitUntil(view.all_connected, timeout=15_000)
        qtbot.waitUntil(lambda: fresh(view, stack, kind, 0.0), timeout=15_000)
        qtbot.waitUntil(lambda: view.parked() == stack.truth(PARKED), timeout=10_000)
        before: dict[str, object] = {
            "parked": view.parked(), "queued": view.tile("queued")[0],
            "failed": view.tile("failed")[0], "failure_rate": view.tile("failure_rate")[0],
            "alerts": view.tile("alerts")[0],
        }  # fmt: skip

        # The fault.
        struck = time.monotonic()
        if fault == "hang":
            stack.signal(kind, signal.SIGSTOP)
        else:
            stack.kill(kind)
        noticed = seen_within(qtbot, lambda: view.connection(kind) is not Connection.CONNECTED,
                              NOTICE_S)  # fmt: skip
        state, error = view.row(kind)
        text, tooltip = view.indicator(kind)
        stale = seen_within(qtbot, lambda: marked_stale(view, kind, before), NOTICE_S)
        shown = {"state": state, "error": error, "indicator": text, "tooltip": tooltip,
                 "queued tile": view.tile("queued")[1], "alerts tile": view.tile("alerts")[1],
                 "failed tile": view.tile("failed")[1],
                 "queues page": console.queues_page.stale_text()}  # fmt: skip
        health: dict[str, Any] = {}
        if kind is ServiceKind.BROKER:
            health = stack.health()
        # Down for a while: HOLD_S more. Redis killed stays down as long as a restart that
        # reads its append-only file may take, and returns just after a check of the
        # console found it down, the worst moment: a part checked seldom after failing
        # many times would be seen back only at the next check.
        if (kind, fault) == (ServiceKind.BROKER, "crash"):
            qtbot.waitUntil(lambda: time.monotonic() - struck > LONG_OUTAGE_S, timeout=30_000)
            checked = link.connections.status(kind)
            qtbot.waitUntil(lambda: link.connections.status(kind) is not checked, timeout=40_000)
        else:
            until = time.monotonic() - struck + HOLD_S
            qtbot.waitUntil(lambda: time.monotonic() - struck > until, timeout=30_000)

        # The part returns.
        if fault == "hang":
            stack.signal(kind, signal.SIGCONT)
        else:
            stack.start(kind)
        back_at = time.time()
        back = time.monotonic()
        if kind is ServiceKind.BROKER:
            stack.park()  # something new to see, once the broker is back
        recovered = seen_within(
            qtbot, lambda: view.connection(kind) is Connection.CONNECTED
            and fresh(view, stack, kind, back_at), RECOVER_S + 20,
        )  # fmt: skip
        events = None
        if kind is ServiceKind.BROKER:  # heartbeats come through the broker: heard again?
            seen_within(qtbot, lambda: link.live.receiver_connected
                        and view.worker() == "online", 30)  # fmt: skip
            events = time.monotonic() - back
        OBSERVED.append(
            f"{kind.value} {fault}: shown down after {secs(noticed)} ({shown}); marked stale "
            f"{secs(stale)} after that; down for {secs(back - struck)}; recovered "
            f"{secs(recovered)} after its return"
            + (f"; events heard and the worker online {secs(events)} after its return; "
               f"/health {health.get('status')}: {health.get('problems')}" if health else "")
        )  # fmt: skip

        assert noticed is not None, f"{kind.value} still shown connected after {NOTICE_S} s"
        assert state.startswith("down") and REASONS[fault].match(error), (state, error)
        assert state in text and tooltip == error, (text, tooltip)
        assert stale is not None, f"the pages did not mark {kind.value}'s data stale: {shown}"
        if kind is ServiceKind.BROKER:
            broker = health["dependencies"]["broker"]
            assert health["status"] == "degraded" and not broker["up"] and broker["error"]
            assert any(p.startswith("the broker ") for p in health["problems"])
        assert recovered is not None and recovered <= RECOVER_S, (
            f"{kind.value} recovered after {recovered} s, not within {RECOVER_S} s"
        )
        assert view.all_connected()
    finally:
        run_coro(qtbot, console.aclose())
        stack.heal(kind)
