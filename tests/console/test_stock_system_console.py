"""The console opened late on a stock Celery system it did not build: it reads the system in
the system's own terms and does it no harm.

The system (``tests.stock_system``) runs stock Celery on a non-zero database behind an ACL
user, with kombu's transport options or custom ones, and no TaskDeck plug-in. The truth the
pages are held against is the system's own: its lists (named from kombu's rule in
``tests.stock``), its binding tables and its ``control.ping``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from celery import Celery
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog
from pytestqt.qtbot import QtBot

from console.domain.endpoints import LEARNED, Endpoints, TransportSettings
from console.views.dialogs.asker import DialogAsker
from taskdeck_core.priority import from_celery_priority
from taskdeck_core.transport import show_sep
from taskdeck_dev.procs import LOOPBACK, ManagedProcess, free_port
from taskdeck_dev.stack import start_backend, start_redis
from tests.conftest import DATA_SYNC_SYSTEM, ROOMY, TOKENS
from tests.console.conftest import open_console, run_coro
from tests.console.page_driving import click_row
from tests.stock import StockConfig, add_acl_user, start_stock_worker, stock_app

pytestmark = pytest.mark.integration

QUEUE = "erp_sync"
WAITING = 30  # messages left waiting, Celery priorities 0-9
NODE = "stock@erp"
PINGS = 20
CONFIGS = [
    pytest.param(StockConfig(), id="kombu-defaults"),
    pytest.param(StockConfig(sep="|", steps=(0, 2, 5, 8)), id="custom-separator-and-steps"),
]


@dataclass
class Stock:
    config: StockConfig
    url: str
    run_dir: Path
    app: Celery
    db: redis.Redis
    backend_url: str
    worker: ManagedProcess | None = None

    def depth(self, queue: str) -> int:
        """Waiting messages, summed over the lists the system's workers read."""
        return sum(int(self.db.llen(key)) for key in self.config.lists(queue))

    def bindings(self) -> dict[str, set[str]]:
        """Every ``_kombu.binding.*`` table: exchange -> its members."""
        tables: dict[str, set[str]] = {}
        for key in self.db.scan_iter("_kombu.binding.*"):
            name = key.decode().removeprefix("_kombu.binding.")
            members: Any = self.db.smembers(key)
            tables[name] = {m.decode() for m in members}
        return tables

    def unparsable(self) -> list[str]:
        """Binding entries the system's own kombu clients cannot split into three parts."""
        return [f"{exchange}: {member!r}"
                for exchange, members in self.bindings().items()
                for member in members if len(member.split(self.config.real_sep)) != 3]  # fmt: skip

    def start_worker(self) -> None:
        self.worker = start_stock_worker(self.run_dir, self.url, self.config)

    def stop_worker(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self.worker = None


@pytest.fixture
def stock(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stock]:
    """The system's broker and a TaskDeck backend on it (its workers: ``Stock.start_worker``)."""
    config: StockConfig = request.param
    port = free_port()
    redis_proc = start_redis(tmp_path, port)
    backend: ManagedProcess | None = None
    app: Celery | None = None
    db: redis.Redis | None = None
    system: Stock | None = None
    try:
        url = add_acl_user(port)
        env = {key: value for key, value in ROOMY.items() if key not in DATA_SYNC_SYSTEM}
        if config.steps:  # the broker shows the separator, not the steps
            env["TASKDECK_PRIORITY_STEPS"] = ",".join(map(str, config.steps))
        backend_port = free_port()
        backend = start_backend(tmp_path, backend_port, url, env=env)
        app, db = stock_app(url, config), redis.Redis.from_url(url)
        system = Stock(config, url, tmp_path, app, db, f"http://{LOOPBACK}:{backend_port}")
        yield system
    finally:
        if system is not None:
            system.stop_worker()
        if app is not None:
            app.close()
        if db is not None:
            db.close()
        if backend is not None:
            backend.stop()
        redis_proc.stop()


def shown_list(config: StockConfig, celery_priority: int) -> str:
    """The system's list for ``celery_priority``, its separator written as it is typed."""
    return config.list_for(QUEUE, celery_priority).replace(
        config.real_sep, show_sep(config.real_sep)
    )


@pytest.mark.parametrize("stock", CONFIGS, indirect=True)
def test_a_console_opened_late_reads_a_stock_system_in_its_own_terms(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, stock: Stock
) -> None:
    config = stock.config
    # The system's worker binds its queues, then stops; a backlog waits in its lists.
    stock.start_worker()
    stock.stop_worker()
    for n in range(WAITING):
        stock.app.send_task("erp.sync", args=[f"w-{n}"], queue=QUEUE, priority=n % 10)
    expected = stock.depth(QUEUE)
    assert expected == WAITING
    assert stock.unparsable() == []
    events_before = stock.bindings().get("celeryev", set())

    # The console comes late, told nothing of the transport but, for custom steps, the steps
    # (the broker shows the separator; the steps only where messages wait).
    dead = f"http://{LOOPBACK}:{free_port()}"
    settings = TransportSettings(steps=config.steps) if config.steps else LEARNED
    endpoints = Endpoints(stock.url, stock.backend_url, dead, dead,
                          backend_token=TOKENS["admin"], transport=settings)  # fmt: skip
    console = open_console(qtbot, endpoints)
    try:
        assert console.link is not None
        window, model = console.window, console.queues_model

        # Queues: the system's queue, by its name, with the depth of all its lists.
        window.show_page("queues")

        def depth() -> int | None:
            row = model.row_for(QUEUE)
            return row.depth if row else None

        qtbot.waitUntil(lambda: depth() == expected, timeout=15_000)
        names = [model.row_at(r).name for r in range(model.rowCount())]
        assert QUEUE in names
        garbled = [n for n in names if config.real_sep in n or "\x06" in n or "\x16" in n]
        assert garbled == [] and not any(n in names for n in ("data_sync", "scheduled"))

        # Connections: the separator as detected in the bindings, the steps, the queues, and
        # what the backend says TaskDeck can do here.
        window.show_page("connections")
        page = console.connections_page
        typed = show_sep(config.real_sep)
        qtbot.waitUntil(lambda: page.sep_value.text().startswith(f"{typed}  ("), timeout=10_000)
        assert "detected from the queue bindings" in page.sep_value.text()
        steps = ", ".join(map(str, config.real_steps))
        source = "set in the profile" if config.steps else "kombu's default"
        assert page.steps_value.text().startswith(f"{steps}  ({source}")
        assert QUEUE in page.queues_value.text().split(", ")
        assert page.foreign_warning.isHidden()
        rows = page.capability_rows
        qtbot.waitUntil(lambda: rows["move"][1].text() != "—", timeout=15_000)
        assert rows["move"][1].text() == "available"
        assert rows["durable_cancel"][1].text() == "unavailable"  # no TaskDeck plug-in here
        assert "plug-in" in rows["durable_cancel"][2].text()
        assert page.capabilities_note.isHidden()

        # Change priority: the dialog says which of the system's lists the task will wait in.
        window.show_page("queues")
        queues_page = console.queues_page
        assert isinstance(queues_page.asker, DialogAsker)
        click_row(qtbot, queues_page.queues, QUEUE)
        qtbot.waitUntil(lambda: console.messages_model.rowCount() > 0, timeout=10_000)
        qtbot.waitUntil(lambda: queues_page.role == "admin", timeout=10_000)
        first = console.messages_model.row_at(0)
        click_row(qtbot, queues_page.messages, first.task_id)
        qtbot.mouseClick(queues_page.priority_button, Qt.MouseButton.LeftButton)

        def dialog() -> QInputDialog | None:
            return next((d for d in queues_page.findChildren(QInputDialog) if d.isVisible()), None)

        qtbot.waitUntil(lambda: dialog() is not None)
        asked = dialog()
        assert asked is not None
        assert f"list {shown_list(config, 0)}:" in asked.labelText()  # its own: priority 10
        asked.setIntValue(from_celery_priority(5))
        step = max(s for s in config.real_steps if s <= 5)
        assert f"list {shown_list(config, 5)}: the system's step {step}," in asked.labelText()
        asked.reject()
        assert stock.depth(QUEUE) == expected

        # The console's event receiver binds its queue in the system's format.
        def receiver_bound() -> bool:
            live = console.link.live if console.link else None
            return bool(live and live.receiver_connected) and bool(
                stock.bindings().get("celeryev", set()) - events_before
            )

        qtbot.waitUntil(receiver_bound, timeout=15_000)
        assert stock.unparsable() == []

        # The system's own tools answer while the console runs: 20 pings of 20.
        stock.start_worker()
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            pings = pool.submit(
                lambda: [
                    bool(stock.app.control.ping(destination=[NODE], timeout=1.0))
                    for _ in range(PINGS)
                ]  # fmt: skip
            )
            qtbot.waitUntil(pings.done, timeout=PINGS * 2_000)
        assert sum(pings.result()) == PINGS
        assert stock.unparsable() == []
        log = (stock.run_dir / "logs" / "stock.log").read_text(errors="replace")
        assert "Control command error" not in log and "not enough values to unpack" not in log
    finally:
        run_coro(qtbot, console.aclose())
