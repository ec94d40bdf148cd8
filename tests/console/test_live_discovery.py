"""Queue depths keep coming while the live view looks at the broker's bindings again: that
look may walk the whole keyspace (a SCAN: ten seconds at 1,000,000 keys on a busy broker,
bench/RESULTS.md), and the depths used to wait for it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest
import redis
from pytestqt.qtbot import QtBot

from console.controllers.live_controller import DISCOVER_EVERY, LiveController
from console.domain.endpoints import SANDBOX_SETTINGS
from console.domain.live import QueueInfo
from console.services.broker_reader import BrokerReader
from taskdeck_core.api_types import TransportInfo
from taskdeck_dev.stack import redis_url
from tests.conftest import Server
from tests.console.conftest import run_coro

DB = 12  # a database of this module's own on the session's Redis


class HeldReader(BrokerReader):
    """The console's broker reader, whose looks at the bindings wait while ``held``."""

    def __init__(self, url: str) -> None:
        super().__init__(url, SANDBOX_SETTINGS)
        self.held = threading.Event()
        self.released = threading.Event()
        self.looks = 0

    def learn(self) -> TransportInfo:
        self.looks += 1
        if self.held.is_set():
            self.released.wait(20)
        return super().learn()


@pytest.fixture
def broker(redis_server: Server) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url(redis_server.port, DB))
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


def test_depths_are_read_while_a_look_at_the_bindings_is_still_under_way(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, redis_server: Server, broker: redis.Redis
) -> None:
    reader = HeldReader(redis_url(redis_server.port, DB))
    live = LiveController(reader, None)
    shown: list[dict[str, int]] = []
    live.queues_changed.connect(
        lambda queues: shown.append({q.name: q.depth for q in queues if isinstance(q, QueueInfo)})
    )
    try:
        live.refresh()  # the first look is waited for: it names the lists to read
        qtbot.waitUntil(lambda: bool(shown), timeout=10_000)
        assert shown[-1].get("data_sync") == 0
        reader.held.set()
        broker.lpush("data_sync", "a message")
        live._rounds = DISCOVER_EVERY  # the next refresh looks at the bindings again
        live.refresh()
        qtbot.waitUntil(lambda: shown[-1].get("data_sync") == 1, timeout=10_000)
        assert reader.looks == 2 and not reader.released.is_set()  # still looking meanwhile
    finally:
        reader.released.set()
        run_coro(qtbot, live.aclose())
        run_coro(qtbot, reader.aclose())
