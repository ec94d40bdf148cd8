"""The Queues page tells the truth: it follows the broker, names what an action touches, shows
what the backend answered, and filters over the whole queue.

A broker and a backend of this module's own, with no worker: what waits stays waiting.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
import redis
from celery import Celery
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from console.app import Console
from console.controllers.live_controller import DEPTH_INTERVAL_MS
from console.domain.endpoints import SANDBOX_SETTINGS, Endpoints
from console.models.format import duration
from console.models.messages_table_model import COL_ARGS, COL_WAITING
from taskdeck_core.priority import to_celery_priority
from taskdeck_core.transport import priority_list_names
from taskdeck_worker.celery_app import create_celery
from taskdeck_worker.config import WorkerSettings
from tests.conftest import TOKENS, Server
from tests.console.conftest import open_console, run_coro
from tests.console.page_driving import (
    ScriptedAsker,
    api,
    audit,
    click_row,
    row_of,
    task,
    waiting,
    waiting_ids,
)

pytestmark = pytest.mark.integration
QUEUE = "default"  # a configured queue; no worker takes from it here
CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def own(broker: Server, backend: Server, prometheus_server: Server,
        alertmanager_server: Server) -> Endpoints:  # fmt: skip
    return Endpoints(broker.url, backend.url, prometheus_server.url, alertmanager_server.url,
                     backend_token=TOKENS["admin"], transport=SANDBOX_SETTINGS)  # fmt: skip


@pytest.fixture
def client(broker: Server) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(broker.url)
    client.delete(*priority_list_names(QUEUE))
    yield client
    client.delete(*priority_list_names(QUEUE))
    client.close()


@pytest.fixture
def producer(broker: Server) -> Iterator[Celery]:
    app = create_celery(WorkerSettings(broker_url=broker.url), results=False)
    yield app
    app.close()


def publish(producer: Celery, user: str, arg: str, priority: int = 5) -> str:
    return str(producer.send_task("data_sync.sync_single_file", args=[arg, user], queue=QUEUE,
                                  priority=to_celery_priority(priority)).id)  # fmt: skip


def known(qtbot: QtBot, endpoints: Endpoints, ids: list[str]) -> None:
    """Wait until the backend's ledger has every one of ``ids``."""

    def all_known() -> bool:
        found = api(endpoints, "GET", "/api/v1/tasks", params={"limit": 500})["items"]
        return set(ids) <= {t["task_id"] for t in found}

    qtbot.waitUntil(all_known, timeout=15_000)


@pytest.fixture
def opened(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, own: Endpoints
) -> Iterator[list[Console]]:
    """Consoles a test opens (after it has put messages in place), closed afterwards."""
    consoles: list[Console] = []
    yield consoles
    for console in consoles:
        run_coro(qtbot, console.aclose())


def open_queue(qtbot: QtBot, opened: list[Console], own: Endpoints, rows: int) -> Console:
    console = open_console(qtbot, own)
    opened.append(console)
    console.queues_page.asker = ScriptedAsker()
    console.window.show_page("queues")
    qtbot.waitUntil(lambda: console.queues_model.row_for(QUEUE) is not None, timeout=15_000)
    click_row(qtbot, console.queues_page.queues, QUEUE)
    qtbot.waitUntil(lambda: console.messages_model.rowCount() == rows, timeout=10_000)
    qtbot.waitUntil(lambda: console.queues_page.role == "admin", timeout=10_000)
    return console


def asker_of(console: Console) -> ScriptedAsker:
    asker = console.queues_page.asker
    assert isinstance(asker, ScriptedAsker)
    return asker


def test_the_waiting_list_follows_the_live_depth_and_a_second_click_reloads_it(
    qtbot: QtBot, opened: list[Console], own: Endpoints, producer: Celery, client: redis.Redis
) -> None:
    first = publish(producer, "alice", "f-0")
    console = open_queue(qtbot, opened, own, rows=1)
    page, model = console.queues_page, console.messages_model
    assert console.link is not None
    loads: list[int] = []
    console.link.messages.messages_changed.connect(lambda *args: loads.append(args[3]))

    # More messages arrive; nobody clicks: the list follows the broker's depth.
    later = [publish(producer, "bob", f"f-{n}") for n in range(1, 6)]
    qtbot.waitUntil(lambda: model.rowCount() == 6, timeout=10_000)
    assert sum(map(len, waiting(client, QUEUE).values())) == 6
    assert "6 waiting" in page.heading.text()
    assert [model.row_at(r).task_id for r in range(6)] == [first, *later]

    # Ages move on while nothing else changes: the Waiting cells are repainted.
    with qtbot.waitSignal(
        model.dataChanged, timeout=3000,
        check_params_cb=lambda tl, br, *_: tl.column() <= COL_WAITING <= br.column(),
    ):  # fmt: skip
        pass

    # At a bounded rate: a steady trickle does not reload the list on every message.
    loads.clear()
    start = time.monotonic()
    trickle = []
    while time.monotonic() - start < 6:
        trickle.append(publish(producer, "bob", "trickle"))
        qtbot.wait(100)
    qtbot.waitUntil(lambda: model.rowCount() == 6 + len(trickle), timeout=10_000)
    assert len(loads) <= 6 / 1.5 + 2, f"{len(loads)} loads in 6 s"

    # The order changes but not the depth: clicking the same queue again shows the new order.
    last = trickle[-1]
    api(own, "POST", f"/api/v1/tasks/{last}/priority",
        json={"priority": 10, "reason": "escalated elsewhere"})  # fmt: skip
    assert last in waiting(client, QUEUE)[priority_list_names(QUEUE)[0]]
    assert model.row_at(0).task_id == first
    click_row(qtbot, page.queues, QUEUE)
    qtbot.waitUntil(lambda: model.row_at(0).task_id == last, timeout=5000)


def test_nothing_is_preselected_and_every_question_names_what_it_touches(
    qtbot: QtBot, opened: list[Console], own: Endpoints, producer: Celery, client: redis.Redis
) -> None:
    ids = [publish(producer, user, f"F-{n:05d}") for n, user in
           enumerate(["alice", "bob", "carol", "dave", "erin"])]  # fmt: skip
    known(qtbot, own, ids)
    console = open_queue(qtbot, opened, own, rows=5)
    page, asker = console.queues_page, asker_of(console)

    # Nothing chosen yet: no action is possible.
    assert page.selected_task_ids() == []
    assert not page.cancel_button.isEnabled() and not page.priority_button.isEnabled()

    # One message: the question names its id, task and user, and starts at its priority.
    click_row(qtbot, page.messages, ids[1])
    assert page.selected_task_ids() == [ids[1]]
    asker.priorities.append(None)
    qtbot.mouseClick(page.priority_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(asker.questions) == 1)
    asked = asker.questions[0]
    assert ids[1] in asked.subject and "sync_single_file" in asked.subject
    assert "bob" in asked.subject and asked.current == 5
    assert waiting_ids(client, QUEUE) == set(ids)

    # A selection of three: the count and the first few, and ONE bulk request for all.
    before = audit(own)
    click_row(qtbot, page.messages, ids[2])
    click_row(qtbot, page.messages, ids[3], CTRL)
    click_row(qtbot, page.messages, ids[4], CTRL)
    assert sorted(page.selected_task_ids()) == sorted(ids[2:])
    asker.priorities.append(9)
    asker.reasons.append("batch escalation")
    qtbot.mouseClick(page.priority_button, Qt.MouseButton.LeftButton)
    top = priority_list_names(QUEUE)[to_celery_priority(9)]
    qtbot.waitUntil(lambda: set(ids[2:]) <= set(waiting(client, QUEUE)[top]), timeout=15_000)
    for question in asker.questions[1:]:
        assert "3" in question.title
        assert all(i in question.subject for i in ids[2:5])
        assert "carol" in question.subject
    assert asker.questions[1].current == 5
    new = [e for e in audit(own) if e["id"] not in {b["id"] for b in before}]
    assert [e["action"] for e in new] == ["bulk_priority"]
    assert sorted(new[0]["targets"]) == sorted(ids[2:]) and new[0]["target_count"] == 3
    qtbot.waitUntil(lambda: {console.messages_model.row_at(r).task_id for r in range(3)}
                    == set(ids[2:]), timeout=10_000)  # fmt: skip
    for task_id in ids[2:]:
        assert task(own, task_id)["state"] in ("PENDING", "RECEIVED")


def test_an_action_shows_each_outcome_the_backend_answered(
    qtbot: QtBot, opened: list[Console], own: Endpoints, producer: Celery, client: redis.Redis
) -> None:
    ids = [publish(producer, "alice", f"f-{n}") for n in range(3)]
    known(qtbot, own, ids)
    console = open_queue(qtbot, opened, own, rows=3)
    page, asker = console.queues_page, asker_of(console)

    def cancelled_elsewhere(task_id: str) -> None:
        api(own, "POST", f"/api/v1/tasks/{task_id}/cancel", json={"reason": "by a colleague"})

    # While the dialog is open, a colleague cancels the same task: it says so.
    click_row(qtbot, page.messages, ids[0])
    asker.before_answer = lambda: cancelled_elsewhere(ids[0])
    asker.reasons.append("duplicate")
    qtbot.mouseClick(page.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: console.window.statusBar().currentMessage() != "", timeout=10_000)
    status = console.window.statusBar().currentMessage()
    assert "already finished" in status and "cancelled" not in status, status
    assert "already finished" in page.result.text() and ids[0][:8] in page.result.text()
    assert task(own, ids[0])["state"] == "REVOKED"

    # Two at once, one of them gone meanwhile: one outcome each, summed up.
    qtbot.waitUntil(lambda: console.messages_model.rowCount() == 2, timeout=10_000)
    click_row(qtbot, page.messages, ids[1])
    click_row(qtbot, page.messages, ids[2], CTRL)
    asker.before_answer = lambda: cancelled_elsewhere(ids[1])
    asker.reasons.append("customer asked")
    before = audit(own)
    qtbot.mouseClick(page.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "removed from queue" in page.result.text(), timeout=15_000)
    text = page.result.text()
    assert "1 removed from queue" in text and "1 already finished" in text, text
    assert waiting_ids(client, QUEUE) == set()
    new = [e for e in audit(own) if e["id"] not in {b["id"] for b in before}]
    bulk = [e for e in new if e["action"] == "bulk_cancel"]
    assert len(bulk) == 1 and sorted(bulk[0]["targets"]) == sorted(ids[1:])
    assert [e["action"] for e in new if e["action"] == "cancel"] == ["cancel"]  # the colleague's
    qtbot.waitUntil(lambda: console.messages_model.rowCount() == 0, timeout=10_000)


def test_oldest_waiting_is_the_oldest_message_over_every_priority_list(
    qtbot: QtBot, opened: list[Console], own: Endpoints, producer: Celery, client: redis.Redis
) -> None:
    older = publish(producer, "alice", "f-old", priority=10)  # served first, published first
    known(qtbot, own, [older])
    qtbot.wait(8000)  # the age difference under test, well above the refresh interval
    newer = publish(producer, "bob", "f-new", priority=1)
    known(qtbot, own, [newer])
    published = task(own, older)["published_at"]
    assert published < task(own, newer)["published_at"] - 7.5
    console = open_console(qtbot, own)
    opened.append(console)

    def shown() -> float | None:
        row = console.queues_model.row_for(QUEUE)
        return row.oldest_age_s if row else None

    qtbot.waitUntil(lambda: shown() is not None, timeout=15_000)
    seen_at, age = time.time(), shown()
    assert age is not None
    # A figure as of the last depth refresh (every DEPTH_INTERVAL_MS), not a newer message's age.
    stale = DEPTH_INTERVAL_MS / 1000 + 1.5
    assert seen_at - published - stale <= age <= seen_at - published + 0.1, (
        age,
        seen_at - published,
    )
    row = row_of(console.queues_page.queues, QUEUE)
    assert row is not None
    proxy = console.queues_page.queues.proxy
    assert proxy.data(proxy.index(row, 3)) == duration(age)


def test_filtering_the_queues_table_keeps_the_queue_the_user_chose(
    qtbot: QtBot, opened: list[Console], own: Endpoints, producer: Celery, client: redis.Redis
) -> None:
    publish(producer, "alice", "f-0")
    console = open_queue(qtbot, opened, own, rows=1)
    page = console.queues_page
    chosen: list[str] = []
    page.queue_selected.connect(chosen.append)
    qtbot.keyClicks(page.queues.filter, "sched")
    assert row_of(page.queues, QUEUE) is None and page.queues.proxy.rowCount() == 1
    qtbot.wait(300)
    assert chosen == [] and console.link is not None and console.link.messages.queue == QUEUE
    assert page.heading.text().startswith(QUEUE)
    assert console.messages_model.rowCount() == 1
    page.queues.filter.clear()
    assert page.queues.current_key() == QUEUE and chosen == []


def test_the_message_filter_searches_the_whole_queue_on_the_server(
    qtbot: QtBot, opened: list[Console], own: Endpoints, producer: Celery, client: redis.Redis
) -> None:
    ids = [publish(producer, "alice", f"F-{n:05d}") for n in range(130)]
    console = open_queue(qtbot, opened, own, rows=100)  # one page of 100
    page, model = console.queues_page, console.messages_model
    qtbot.keyClicks(page.messages.filter, "f-00120")
    qtbot.waitUntil(lambda: model.rowCount() == 1 and model.row_at(0).task_id == ids[120],
                    timeout=10_000)  # fmt: skip
    assert model.row_at(0).position == 120  # its place in the whole queue's run order
    assert "1 of 130" in page.heading.text(), page.heading.text()
    page.messages.filter.clear()
    qtbot.waitUntil(lambda: model.rowCount() == 100, timeout=10_000)
    assert "130 waiting" in page.heading.text()


def test_the_arguments_column_shows_whole_arguments_at_1366x768(
    qtbot: QtBot, opened: list[Console], own: Endpoints, producer: Celery, client: redis.Redis
) -> None:
    publish(producer, "alice", "F-01234-customer-upload.csv")
    console = open_queue(qtbot, opened, own, rows=1)
    assert console.window.size().width() == 1366
    table = console.queues_page.messages.table
    text = console.messages_model.row_at(0).args
    needed = table.fontMetrics().horizontalAdvance(text) + 12
    assert table.columnWidth(COL_ARGS) >= needed, (table.columnWidth(COL_ARGS), needed)
    right = table.columnViewportPosition(COL_ARGS) + table.columnWidth(COL_ARGS)
    assert right <= table.viewport().width(), "the Arguments column runs off the view"
