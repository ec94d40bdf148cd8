"""The backend's quota routes, for the Quotas page. No Qt here.

Each function takes the console's BackendClient and goes through its one request path (``call``),
so failures raise BackendError with the backend's own explanation, as every other call.
"""

from __future__ import annotations

import asyncio
from urllib.parse import quote

from pydantic import TypeAdapter

from console.services.backend_client import BackendClient
from taskdeck_core.api_types import (
    QuotaDefault,
    QuotaDefaultChanged,
    QuotaLimitChanged,
    QuotaReconciled,
    QuotaRow,
    TaskState,
    TaskSummary,
)

_ROWS = TypeAdapter(list[QuotaRow])
_CHANGED = TypeAdapter(QuotaLimitChanged)
_RECONCILED = TypeAdapter(QuotaReconciled)
_DEFAULT = TypeAdapter(QuotaDefault)
_DEFAULT_CHANGED = TypeAdapter(QuotaDefaultChanged)
QUOTAS_PATH = "/api/v1/quotas"
DEFAULT_PATH = "/api/v1/quota-default"
# The states of a task that holds a slot: waiting (sent, received by a worker, or waiting
# to be tried again) and running.
WAITING_STATES: tuple[TaskState, ...] = ("PENDING", "RECEIVED", "RETRY")
RUNNING_STATES: tuple[TaskState, ...] = ("STARTED",)
OPEN_PAGE = 1000  # the most GET /api/v1/tasks gives at once
OPEN_PAGES_MAX = 5  # per state: open tasks beyond these pages are not counted


def _user_path(user: str) -> str:
    return QUOTAS_PATH + "/" + quote(user, safe="")


async def quotas(client: BackendClient) -> list[QuotaRow]:
    """Every user with a slot or a limit of their own: used, limit and drift."""
    return await client.call(_ROWS, "GET", QUOTAS_PATH)


async def set_quota_limit(
    client: BackendClient, user: str, limit: int, reason: str
) -> QuotaLimitChanged:
    """Set how many tasks ``user`` may have queued or running at once (admin)."""
    body = {"limit": limit, "reason": reason}
    return await client.call(_CHANGED, "PUT", _user_path(user), json=body)


async def quota_default(client: BackendClient) -> QuotaDefault:
    """The limit of users without one of their own, and where it comes from."""
    return await client.call(_DEFAULT, "GET", DEFAULT_PATH)


async def set_quota_default(client: BackendClient, limit: int, reason: str) -> QuotaDefaultChanged:
    """Set the limit of every user without one of their own (admin)."""
    body = {"limit": limit, "reason": reason}
    return await client.call(_DEFAULT_CHANGED, "PUT", DEFAULT_PATH, json=body)


async def reconcile_quota(client: BackendClient, user: str, reason: str) -> QuotaReconciled:
    """Make ``user``'s slots exactly their open tasks in the ledger (admin)."""
    return await client.call(
        _RECONCILED, "POST", _user_path(user) + "/reconcile", json={"reason": reason}
    )


async def _open_in(client: BackendClient, state: TaskState) -> tuple[list[TaskSummary], bool]:
    items: list[TaskSummary] = []
    cursor: str | None = None
    for _ in range(OPEN_PAGES_MAX):
        page = await client.tasks({"state": state, "lost": False}, OPEN_PAGE, cursor)
        items.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            return items, True
    return items, False


async def open_tasks(client: BackendClient) -> tuple[list[TaskSummary], bool]:
    """Every task the ledger holds as open (waiting or running, not lost, not awaiting
    redelivery), newest first per state; False when there were more than were read."""
    answers = await asyncio.gather(*(_open_in(client, s) for s in (*WAITING_STATES,
                                                                   *RUNNING_STATES)))  # fmt: skip
    tasks = [t for items, _ in answers for t in items if t.redelivery_at is None]
    return tasks, all(complete for _, complete in answers)
