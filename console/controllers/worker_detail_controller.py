"""The detail of the selected worker, asked of the backend again every 5 s while selected;
and the controls an admin sends to it, after which its detail is asked again."""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtCore import QObject, Signal

from console.controllers.timers import every
from console.services.backend_client import BackendClient
from console.services.worker_control_client import control_workers
from console.tasks import TaskOwner
from taskdeck_core.api_types import WorkerControlResult
from taskdeck_core.worker_commands import POOL_COMMANDS

REFRESH_MS = 5_000
# After a pool change the worker starts or stops processes within about a second: its
# detail is asked at once and again after this long.
POOL_SETTLE_S = 1.5


class WorkerDetailController(QObject):
    """``select`` a worker (None: none); ``detail_changed`` carries its WorkerDetail, for the
    worker selected when it arrives only; ``failed`` says why the backend gave none."""

    detail_changed = Signal(object)  # WorkerDetail
    failed = Signal(str)

    def __init__(self, backend: BackendClient, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.backend = backend
        self.selection: str | None = None
        self._tasks = TaskOwner()
        self._timer = every(self, REFRESH_MS, self.refresh)

    def select(self, hostname: str | None) -> None:
        self.selection = hostname or None
        if self.selection is None:
            self._timer.stop()
            return
        self._timer.start()  # (re)started: the next asking is 5 s after this one
        self.refresh()

    def refresh(self) -> None:
        if self.selection is not None:
            # One asking per worker at a time: one slow to answer is not asked again meanwhile.
            self._tasks.run(self._load(self.selection), key=self.selection)

    async def control(
        self, hostname: str, command: str, arguments: dict[str, Any], reason: str
    ) -> WorkerControlResult:
        """Send ``command`` to ``hostname`` (admin); its answer, or BackendError. The worker's
        detail is asked again afterwards (twice for a pool change), if it is still selected."""
        result = await control_workers(self.backend, [hostname], command, arguments, reason)
        self._tasks.run(self._after_control(hostname, command in POOL_COMMANDS))
        return result

    async def _after_control(self, hostname: str, pool: bool) -> None:
        if hostname == self.selection:
            await self._load(hostname)
        if pool:
            await asyncio.sleep(POOL_SETTLE_S)
            if hostname == self.selection:
                await self._load(hostname)

    async def aclose(self) -> None:
        """Stop asking; an answer under way is cancelled and reports nothing."""
        self._timer.stop()
        await self._tasks.aclose()

    async def _load(self, hostname: str) -> None:
        try:
            detail = await self.backend.worker_detail(hostname)
        except Exception as exc:  # noqa: BLE001 - shown in the pane
            if hostname == self.selection:
                self.failed.emit(str(exc))
            return
        if hostname == self.selection:
            self.detail_changed.emit(detail)
