"""A console started from the command line (no transport settings in its profile) against a
system with ten priority steps, which the backend's owners configured: the Connections page
tells one truth about the steps, and the Queues page's depths are the LLEN of all ten lists.

A broker and a backend of this module's own (TASKDECK_PRIORITY_STEPS=0,...,9), no worker.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import redis
from celery import Celery
from pytestqt.qtbot import QtBot

from console.domain.endpoints import LEARNED, Endpoints, TransportSettings
from taskdeck_core.transport import SANDBOX_STEPS, priority_list_names
from taskdeck_dev.procs import LOOPBACK, free_port
from tests.conftest import TOKENS, Server
from tests.console.conftest import open_console, run_coro

pytestmark = pytest.mark.integration
QUEUE = "data_sync"


@pytest.fixture
def client(broker: Server) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(broker.url)
    client.delete(*priority_list_names(QUEUE))
    yield client
    client.delete(*priority_list_names(QUEUE))
    client.close()


def test_steps_the_backend_configures_are_the_ones_the_connections_page_shows(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, broker: Server, backend: Server,
    producer: Celery, client: redis.Redis,
) -> None:  # fmt: skip
    # Messages wait at Celery priority 5 and 0: the list of step 5 is outside kombu's
    # default steps, so the broker alone cannot tell the system's steps.
    for n in range(4):
        producer.send_task("data_sync.sync_single_file", args=[f"s-{n}", "alice"],
                           queue=QUEUE, priority=5 if n % 2 else 0)  # fmt: skip
    lists = priority_list_names(QUEUE)
    assert int(client.llen(lists[5])) == 2

    dead = f"http://{LOOPBACK}:{free_port()}"
    endpoints = Endpoints(broker.url, backend.url, dead, dead,
                          backend_token=TOKENS["admin"], transport=LEARNED)  # fmt: skip
    console = open_console(qtbot, endpoints)
    try:
        window, page = console.window, console.connections_page
        window.show_page("connections")
        qtbot.waitUntil(lambda: page.capability_rows["move"][1].text() != "—", timeout=15_000)
        move = page.capability_rows["move"][2].text()
        assert "configured" in move and "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]" in move

        # The broker section goes by the steps the backend's owners configured, and says so;
        # nothing on the page calls them unknown.
        ten = ", ".join(map(str, SANDBOX_STEPS))
        qtbot.waitUntil(lambda: page.steps_value.text().startswith(f"{ten}  ("), timeout=10_000)
        steps = page.steps_value.text()
        assert "TASKDECK_PRIORITY_STEPS" in steps
        assert "unknown" not in steps and "\n" not in steps  # no difference to point out
        assert "0–9" in page.depths_value.text()

        # The Queues page's depth is every waiting message, from all ten lists.
        window.show_page("queues")
        model = console.queues_model

        def depth() -> int | None:
            row = model.row_for(QUEUE)
            return row.depth if row else None

        expected = sum(int(client.llen(key)) for key in lists)
        assert expected == 4 and len(lists) == 10
        qtbot.waitUntil(lambda: depth() == expected, timeout=15_000)
    finally:
        run_coro(qtbot, console.aclose())


def test_steps_in_the_profile_that_differ_from_the_backends_are_pointed_out(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, broker: Server, backend: Server,
    producer: Celery, client: redis.Redis,
) -> None:  # fmt: skip
    producer.send_task("data_sync.sync_single_file", args=["d-0", "alice"], queue=QUEUE,
                       priority=5)  # fmt: skip
    dead = f"http://{LOOPBACK}:{free_port()}"
    endpoints = Endpoints(broker.url, backend.url, dead, dead, backend_token=TOKENS["admin"],
                          transport=TransportSettings(steps=(0, 3, 6, 9)))  # fmt: skip
    console = open_console(qtbot, endpoints)
    try:
        page = console.connections_page
        console.window.show_page("connections")
        qtbot.waitUntil(lambda: "\n" in page.steps_value.text(), timeout=15_000)
        profile, backend_line = page.steps_value.text().split("\n")
        assert profile == "0, 3, 6, 9  (set in the profile)"
        ten = ", ".join(map(str, SANDBOX_STEPS))
        assert f"steps {ten} (set in TASKDECK_PRIORITY_STEPS)" in backend_line
    finally:
        run_coro(qtbot, console.aclose())
