"""The backend's worker controls (admin), for the Workers page. No Qt here.

Goes through the console's BackendClient and its one request path (``call``), so a
failure raises BackendError with the backend's own explanation, as every other call.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from console.services.backend_client import BackendClient
from taskdeck_core.api_types import WorkerControlResult

CONTROL_PATH = "/api/v1/workers/control"
_RESULT = TypeAdapter(WorkerControlResult)
# The commands and the arguments each takes, as the backend accepts them.
COMMANDS: dict[str, tuple[str, ...]] = {
    "pool_grow": ("n",),
    "pool_shrink": ("n",),
    "autoscale": ("max", "min"),
    "rate_limit": ("task_name", "rate"),
    "time_limit": ("task_name", "soft", "hard"),
    "add_consumer": ("queue",),
    "cancel_consumer": ("queue",),
    "shutdown": (),
}
# A rate the workers take: "0" (no limit) or a whole number per second, minute or hour.
RATE_PATTERN = r"^(0|[1-9][0-9]{0,6}/[smh])$"
NAME_PATTERN = r"^[A-Za-z0-9_.:@-]+$"


async def control_workers(
    client: BackendClient,
    workers: list[str],
    command: str,
    arguments: dict[str, Any],
    reason: str,
) -> WorkerControlResult:
    """Send ``command`` with ``arguments`` to ``workers`` (hostnames) only; each worker's
    reply, and the ones that gave none within the backend's timeout."""
    if command not in COMMANDS:
        raise ValueError(f"no worker command {command!r}")
    body = {"workers": workers, "command": command, "reason": reason, **arguments}
    return await client.call(_RESULT, "POST", CONTROL_PATH, json=body)
