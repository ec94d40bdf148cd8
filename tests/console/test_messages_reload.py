"""A reload asked for while the same load is under way is not lost."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from pytestqt.qtbot import QtBot

from console.controllers.queue_messages_controller import QueueMessagesController
from console.services.backend_client import BackendClient
from taskdeck_core.api_types import MessagePage, WaitingMessage


class SlowBackend:
    """Answers each messages request when the test lets it, with the order of that moment."""

    def __init__(self) -> None:
        self.order = ["a", "b"]
        self.calls = 0
        self.gate = asyncio.Event()

    async def queue_messages(self, queue: str, offset: int, limit: int, q: str | None) -> Any:
        self.calls += 1
        order = list(self.order)  # what the broker holds when the request is read
        await self.gate.wait()
        items = [WaitingMessage(position=n, task_id=t, name="t", priority=5)
                 for n, t in enumerate(order)]  # fmt: skip
        return MessagePage(queue=queue, total=len(items), offset=offset, items=items)


def test_a_reload_during_a_load_loads_again_when_it_is_done(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop
) -> None:
    backend = SlowBackend()
    controller = QueueMessagesController(cast(BackendClient, backend))
    shown: list[list[str]] = []
    controller.messages_changed.connect(
        lambda _q, items, *_: shown.append([m.task_id for m in items])
    )
    controller.show_queue("data_sync")
    qtbot.waitUntil(lambda: backend.calls == 1)
    backend.order = ["b", "a"]  # moved meanwhile; the user clicks the queue again
    controller.reload()
    backend.gate.set()
    qtbot.waitUntil(lambda: bool(shown) and shown[-1] == ["b", "a"], timeout=3000)
    assert backend.calls == 2
    task = asyncio.ensure_future(controller.aclose())
    qtbot.waitUntil(task.done)
