"""The backend's worker controls (admin), for the Workers page. No Qt here.

Goes through the console's BackendClient and its one request path (``call``), so a
failure raises BackendError with the backend's own explanation, as every other call.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from console.services.backend_client import BackendClient
from taskdeck_core.api_types import WorkerControlResult
from taskdeck_core.worker_commands import WORKER_COMMAND_ARGS

CONTROL_PATH = "/api/v1/workers/control"
_RESULT = TypeAdapter(WorkerControlResult)
COMMANDS = WORKER_COMMAND_ARGS  # as the backend accepts them


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
