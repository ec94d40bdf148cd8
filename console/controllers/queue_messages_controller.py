"""One queue's waiting messages (paged from the backend), and the actions on them.

The list follows the queue: it is loaded again when the live depth of the queue
differs from the depth it was loaded at (at most every ``MIN_RELOAD_S``), when
the queue is chosen again, and after an action. A search is done by the backend
over the whole queue. An action on one task is one request, on several one bulk
job; either way the window is told what the backend said happened to each task.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Literal

from PySide6.QtCore import QObject, QTimer, Signal

from console.domain.live import QueueInfo
from console.models.outcomes import outcome_label
from console.services.backend_client import BackendClient, BackendError
from console.tasks import TaskOwner
from taskdeck_core.api_types import ActionResult, BulkDryRun, BulkJob

PAGE_SIZE = 100
MIN_RELOAD_S = 1.5  # the list follows the live depth at most this often
JOB_POLL_S = 0.25
JOB_PATIENCE_S = 120.0  # then the job is reported as still running
FAILED_OUTCOMES = frozenset({"not_found", "not_queued", "not_retryable"})
SHOWN_FAILURES = 5


class QueueMessagesController(QObject):
    # queue, messages, offset, total waiting, total shown (the matches of a search)
    messages_changed = Signal(str, list, int, int, int)
    role_changed = Signal(str)  # viewer | support | admin | "" (unknown)
    action_done = Signal(str)
    action_failed = Signal(str)
    busy_changed = Signal(bool)

    def __init__(self, backend: BackendClient | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.backend = backend
        self.queue: str | None = None
        self.offset = 0
        self.total = 0  # waiting in the queue when last loaded
        self.shown_total = 0  # what the pages go through: all waiting, or the matches
        self.search = ""
        self.role = ""
        self._tasks = TaskOwner()
        self._loaded_at = 0.0  # monotonic time of the last load's start
        self._again = False  # a load was asked for while the same one was under way
        self._catch_up = QTimer(self)
        self._catch_up.setSingleShot(True)
        self._catch_up.timeout.connect(self.reload)

    async def aclose(self) -> None:
        """Loads and actions under way are cancelled and report nothing."""
        self._catch_up.stop()
        await self._tasks.aclose()

    def load_role(self) -> None:
        self._tasks.run(self._load_role())

    async def _load_role(self) -> None:
        if self.backend is None:
            return
        try:
            me = await self.backend.me()
        except BackendError as exc:
            self.role = ""
            self.action_failed.emit(exc.detail)
        else:
            self.role = me.role
        self.role_changed.emit(self.role)

    def show_queue(self, queue: str | None, offset: int = 0) -> None:
        if queue != self.queue:
            self.total = 0
        self.queue, self.offset = queue, max(0, offset)
        self._catch_up.stop()
        self._loaded_at = time.monotonic()
        key = ("load", self.queue, self.offset, self.search)
        if self._tasks.running(key):
            # The load under way asked before this request did (before a move, say): it
            # loads once more when it is done, rather than showing the older answer.
            self._again = True
            return
        self._tasks.run(self._load(), key=key)

    def set_search(self, text: str) -> None:
        """Show only the messages that contain ``text``, searched over the whole queue."""
        if text.strip() != self.search:
            self.search = text.strip()
            self.show_queue(self.queue)

    def follow_depths(self, queues: list[QueueInfo]) -> None:
        """The live depths: reload the list when its queue's depth moved since it was loaded."""
        live = next((q for q in queues if q.name == self.queue), None)
        if live is None or live.depth == self.total or self._catch_up.isActive():
            return
        wait = MIN_RELOAD_S - (time.monotonic() - self._loaded_at)
        if wait <= 0:
            self.reload()
        else:
            self._catch_up.start(int(wait * 1000))

    def next_page(self) -> None:
        if self.offset + PAGE_SIZE < self.shown_total:
            self.show_queue(self.queue, self.offset + PAGE_SIZE)

    def previous_page(self) -> None:
        self.show_queue(self.queue, self.offset - PAGE_SIZE)

    def reload(self) -> None:
        self.show_queue(self.queue, self.offset)

    async def _load(self) -> None:
        again = True
        while again:
            self._again = False
            await self._load_once()
            again = self._again

    async def _load_once(self) -> None:
        queue, offset, search = self.queue, self.offset, self.search
        if queue is None or self.backend is None:
            self.messages_changed.emit(queue or "", [], 0, 0, 0)
            return
        try:
            page = await self.backend.queue_messages(queue, offset, PAGE_SIZE, search or None)
        except BackendError as exc:
            self.action_failed.emit(exc.detail)
            return
        if (queue, offset, search) != (self.queue, self.offset, self.search):
            self._again = False
            return  # the user moved on meanwhile; their own load shows what they chose
        self.total = page.total
        self.shown_total = page.total if page.matched is None else page.matched
        self.messages_changed.emit(queue, page.items, offset, self.total, self.shown_total)

    # -- actions -----------------------------------------------------------------

    def cancel(self, task_ids: list[str], reason: str) -> None:
        self._tasks.run(self._act("cancel", task_ids, reason, None))

    def set_priority(self, task_ids: list[str], priority: int, reason: str) -> None:
        self._tasks.run(self._act("priority", task_ids, reason, priority))

    async def _act(
        self,
        action: Literal["cancel", "priority"],
        task_ids: list[str],
        reason: str,
        priority: int | None,
    ) -> None:
        if self.backend is None or not task_ids:
            return
        self.busy_changed.emit(True)
        try:
            if len(task_ids) == 1:
                summary = self._one(
                    action, await self._single(action, task_ids[0], reason, priority)
                )
            else:
                summary = self._many(action, await self._bulk(action, task_ids, reason, priority))
        except BackendError as exc:
            self.action_failed.emit(exc.detail)
        else:
            text, failed = summary
            (self.action_failed if failed else self.action_done).emit(text)
        finally:
            self.busy_changed.emit(False)
        self._loaded_at = time.monotonic()
        await self._load()

    async def _single(
        self, action: str, task_id: str, reason: str, priority: int | None
    ) -> ActionResult:
        assert self.backend is not None
        if action == "cancel":
            return await self.backend.cancel(task_id, reason)
        assert priority is not None
        return await self.backend.set_priority(task_id, priority, reason)

    async def _bulk(
        self,
        action: Literal["cancel", "priority"],
        task_ids: list[str],
        reason: str,
        priority: int | None,
    ) -> BulkJob:
        """One bulk request for all of ``task_ids``; waits until the job has ended."""
        assert self.backend is not None
        accepted = await self.backend.bulk(action, task_ids, reason, priority)
        assert not isinstance(accepted, BulkDryRun)
        deadline = time.monotonic() + JOB_PATIENCE_S
        while True:
            job = await self.backend.bulk_job(accepted.job_id)
            if job.state in ("done", "failed") or time.monotonic() > deadline:
                return job
            await asyncio.sleep(JOB_POLL_S)

    # -- what happened, in words ---------------------------------------------------

    def _action_name(self, action: str) -> str:
        return self.tr("Cancel") if action == "cancel" else self.tr("Change of priority")

    def _one(self, action: str, result: ActionResult) -> tuple[str, bool]:
        text = self.tr("{action}, task {id}: {outcome}").format(
            action=self._action_name(action), id=result.task_id[:8],
            outcome=outcome_label(result.outcome),
        )  # fmt: skip
        if result.detail:
            text += f" ({result.detail})"
        return text, result.outcome in FAILED_OUTCOMES

    def _many(self, action: str, job: BulkJob) -> tuple[str, bool]:
        counts = Counter(job.outcomes)
        parts = [
            self.tr("{count} {outcome}").format(count=n, outcome=outcome_label(o))
            for o, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        ]
        text = self.tr("{action}, {total} tasks: {outcomes}").format(
            action=self._action_name(action), total=job.total, outcomes=", ".join(parts) or "—"
        )
        if job.state not in ("done", "failed"):
            text += " " + self.tr("(still running as job {job})").format(job=job.job_id)
        elif job.state == "failed":
            text += " " + self.tr("(the job failed; see the audit log)")
        failures = [
            f"{e.task_id[:8]}: {outcome_label(e.outcome or '')} ({e.detail})"
            if e.detail
            else f"{e.task_id[:8]}: {outcome_label(e.outcome or '')}"
            for e in job.errors[:SHOWN_FAILURES]
        ]
        if failures:
            text += "\n" + "\n".join(failures)
        return text, job.failed > 0 or job.state == "failed"
