"""Driving the Queues page as a user would, and reading the truth it must agree with."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import redis
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from console.domain.endpoints import Endpoints
from console.models.keyed_table_model import KeyRole
from console.views.widgets.filter_table import FilterTable
from taskdeck_core.transport import priority_list_names


@dataclass
class Question:
    kind: str  # reason | priority
    title: str
    subject: str
    current: int | None = None
    landing: str | None = None  # where the page said the task would wait, for the answer


class ScriptedAsker:
    """Answers the page's questions as the user would, in order, and keeps what was asked.
    ``before_answer`` runs just before the next answer is given (the world moves on while
    a dialog is open)."""

    def __init__(self) -> None:
        self.reasons: list[str | None] = []
        self.priorities: list[int | None] = []
        self.questions: list[Question] = []
        self.before_answer: Callable[[], None] | None = None

    @property
    def asked(self) -> list[str]:
        return [q.title for q in self.questions]

    def _moment(self) -> None:
        hook, self.before_answer = self.before_answer, None
        if hook is not None:
            hook()

    async def reason(self, title: str, subject: str) -> str | None:
        self.questions.append(Question("reason", title, subject))
        self._moment()
        return self.reasons.pop(0)

    async def priority(
        self,
        title: str,
        subject: str,
        current: int,
        landing: Callable[[int], str | None] | None = None,
    ) -> int | None:
        answer = self.priorities[0] if self.priorities else None
        where = landing(answer) if landing is not None and answer is not None else None
        self.questions.append(Question("priority", title, subject, current, where))
        self._moment()
        return self.priorities.pop(0)


def row_of(table: FilterTable, key: str) -> int | None:
    proxy = table.proxy
    for row in range(proxy.rowCount()):
        if proxy.data(proxy.index(row, 0), KeyRole) == key:
            return row
    return None


def click_row(
    qtbot: QtBot, table: FilterTable, key: str, modifier: Qt.KeyboardModifier | None = None
) -> None:
    """Click the row of ``key`` in ``table`` (with Ctrl held, to add it to a selection)."""
    row = row_of(table, key)
    if row is None:
        raise AssertionError(f"{key} is not in the table")
    index = table.proxy.index(row, 0)
    table.table.scrollTo(index)
    center = table.table.visualRect(index).center()
    qtbot.mouseClick(
        table.table.viewport(),
        Qt.MouseButton.LeftButton,
        modifier or Qt.KeyboardModifier.NoModifier,
        pos=center,
    )


def waiting(client: redis.Redis, queue: str) -> dict[str, list[str]]:
    """The task ids waiting in each of ``queue``'s priority lists, as the broker holds them."""
    return {
        key: [json.loads(m)["headers"]["id"] for m in client.lrange(key, 0, -1)]
        for key in priority_list_names(queue)
    }


def waiting_ids(client: redis.Redis, queue: str) -> set[str]:
    return {i for ids in waiting(client, queue).values() for i in ids}


def api(endpoints: Endpoints, method: str, path: str, **kwargs: Any) -> Any:
    answer = httpx.request(
        method, f"{endpoints.backend_url}{path}",
        headers={"Authorization": f"Bearer {endpoints.backend_token}"}, timeout=10, **kwargs,
    )  # fmt: skip
    answer.raise_for_status()
    return answer.json()


def audit(endpoints: Endpoints) -> list[dict[str, Any]]:
    return list(api(endpoints, "GET", "/api/v1/audit", params={"limit": 100})["items"])


def task(endpoints: Endpoints, task_id: str) -> dict[str, Any]:
    return dict(api(endpoints, "GET", f"/api/v1/tasks/{task_id}"))
