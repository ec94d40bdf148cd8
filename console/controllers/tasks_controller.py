"""The Tasks page's work: the ledger's tasks for a filter, the failure groups, one task in
full, and actions on tasks as bulk jobs followed to their end.

Everything is asked of the backend, off the GUI thread's time (one coroutine per
request, through a TaskOwner). The table follows the ledger three ways: Celery
events change rows in memory at once; the newest rows are read again every
``TOP_EVERY_S`` (and soon after an event of a task not shown), new ones inserted at
the top; the pages on screen are read again every ``TOP_EVERY_S`` too. Actions
always go through the backend's bulk route: it answers a dry run before anything
is done, records one audit entry, and keeps one idempotency key per confirmed
action, so the same action sent again after a dropped connection is the same job.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal

from console.domain.clock import now as clock_now
from console.domain.task_query import WINDOWS, TaskQuery
from console.models.tasks_table_model import TasksTableModel
from console.services.backend_client import BackendClient, BackendError, BulkAction
from console.tasks import TaskOwner
from taskdeck_core.api_types import BulkAccepted, BulkDryRun, BulkJob, FailureGroup, TaskSummary

TOP_EVERY_S = 5.0
TOP_OVERLAP_S = 10.0  # tasks that ended this long before the last read are asked for again
SOON_S = 1.0  # after an event of a task not shown: read the top this soon
GROUPS_EVERY_S = 15.0
GROUP_BUCKETS = 24
GROUPS_DEFAULT_WINDOW_S = 86400.0
JOB_POLL_S = 0.5
JOB_BACKOFF_MAX_S = 5.0
SEND_ATTEMPTS = 4  # a confirmed action is sent at most this often (same key) before giving up
ENDED = ("done", "failed")
TASK_EVENTS = frozenset({
    "task-sent", "task-received", "task-started", "task-succeeded", "task-failed",
    "task-retried", "task-revoked", "task-rejected",
})  # fmt: skip


@dataclass(frozen=True)
class Target:
    """What an action touches: task ids, or every task of a filter (a failure group)."""

    label: str
    task_ids: tuple[str, ...] = ()
    filter: dict[str, Any] | None = None

    @property
    def bulk(self) -> bool:
        return self.filter is not None or len(self.task_ids) > 1


@dataclass
class JobView:
    """A bulk job as the jobs panel shows it."""

    job: BulkJob
    label: str = ""
    problem: str | None = None  # why the panel cannot follow it now
    summary_seen: bool = False
    outcomes_items: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ended(self) -> bool:
        return self.job.state in ENDED


def problem_text(exc: BackendError) -> str:
    """What went wrong, for the window: the backend's own words, and when to try again."""
    text = exc.detail
    if exc.status == 403:
        text = QCoreApplication.translate("TasksController", "Not allowed: {detail}").format(
            detail=exc.detail
        )
    elif exc.status == 429 and exc.retry_after_s is not None:
        text = QCoreApplication.translate(
            "TasksController", "{detail} — try again in {seconds} s"
        ).format(detail=exc.detail, seconds=max(1, round(exc.retry_after_s)))
    elif exc.status is not None and exc.status >= 500 and exc.code == "error":
        text = QCoreApplication.translate("TasksController", "The backend failed (HTTP {status}); nothing was changed by this request. "
                  "Try again; if it persists, check the backend's log.").format(status=exc.status)  # fmt: skip
    return text


class TasksController(QObject):
    failed = Signal(str)  # a load failed: why, in words
    loaded = Signal(int, float)  # the first page is on screen: rows, seconds it took
    groups_changed = Signal(list)  # list[FailureGroup], newest first
    groups_failed = Signal(str)
    detail_changed = Signal(object)  # TaskDetail
    detail_audit = Signal(list)  # list[AuditEntry] of that task
    detail_failed = Signal(str)
    jobs_changed = Signal(list)  # list[JobView], newest first
    job_ended = Signal(object)  # JobView
    job_shown = Signal(str)  # a job asked for by id is in the panel
    not_shown = Signal(int)  # tasks that match now but are not shown (a fresh read shows them)

    def __init__(
        self,
        backend: BackendClient | None,
        model: TasksTableModel,
        clock: Callable[[], float] = clock_now,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.backend = backend
        self.model = model
        self.clock = clock
        self.query = TaskQuery()
        self.groups: list[FailureGroup] = []
        self.jobs: dict[str, JobView] = {}
        self._generation = 0  # a new query: answers to the old one are dropped
        self._visible = (0, 0)
        self._detail_for: str | None = None
        self._jobs_loaded = False
        self._failing = False  # the last request failed; its message is on screen
        self._top_at: float | None = None  # when the newest rows were last read
        self._tasks = TaskOwner()
        self._started = False
        self._top = QTimer(self)
        self._top.setInterval(int(TOP_EVERY_S * 1000))
        self._top.timeout.connect(self.refresh_rows)
        self._soon = QTimer(self)
        self._soon.setSingleShot(True)
        self._soon.timeout.connect(self.refresh_top)
        self._groups_timer = QTimer(self)
        self._groups_timer.setInterval(int(GROUPS_EVERY_S * 1000))
        self._groups_timer.timeout.connect(self.refresh_groups)
        self._detail_soon = QTimer(self)  # the task shown in full changed: read it again
        self._detail_soon.setSingleShot(True)
        self._detail_soon.timeout.connect(
            lambda: self._detail_for is not None and self.open_task(self._detail_for)
        )
        self._groups_soon = QTimer(self)
        self._groups_soon.setSingleShot(True)
        self._groups_soon.timeout.connect(self.refresh_groups)
        model.pages_wanted.connect(self.load_pages)
        model.more_wanted.connect(self.load_more)

    def start(self) -> None:
        """Begin following the ledger (the page is shown for the first time)."""
        if self._started:
            return
        self._started = True
        self.set_query(self.query, force=True)
        self.refresh_groups()
        self.load_jobs()
        self._top.start()
        self._groups_timer.start()

    async def aclose(self) -> None:
        for timer in (self._top, self._soon, self._groups_timer, self._groups_soon,
                      self._detail_soon):  # fmt: skip
            timer.stop()
        await self._tasks.aclose()

    # -- the table ------------------------------------------------------------------

    def set_query(self, query: TaskQuery, force: bool = False) -> None:
        """Show the tasks of ``query`` from the newest."""
        if query == self.query and not force and self.model.pages.loaded_first_page:
            return
        groups_window_moved = query.range(0) != self.query.range(0)
        self.query = query
        self._top_at = None
        self._generation += 1
        self.model.reset()
        generation = self._generation
        self._tasks.run(
            self._load_page(0, generation, time.perf_counter()), key=("page", generation, 0)
        )
        if groups_window_moved and self._started:
            self.refresh_groups()

    def set_visible(self, first: int, last: int) -> None:
        self._visible = (first, last)
        self.model.want_rows(first, last)

    def load_pages(self, pages: list[int]) -> None:
        for page in pages:
            self._tasks.run(
                self._load_page(page, self._generation), key=("page", self._generation, page)
            )

    def load_more(self) -> None:
        nxt = self.model.pages.next_page()
        started = nxt is not None and self._tasks.run(
            self._load_page(nxt[0], self._generation), key=("page", self._generation, nxt[0])
        )
        if not started:
            # Nothing will arrive (the end, or asked from within the load of that very page,
            # as it fails): the bottom may ask again.
            self.model.loading_more = False

    async def _load_page(self, page: int, generation: int, started: float | None = None) -> None:
        if self.backend is None:
            self.model.loading_more = False
            return
        pages = self.model.pages
        cursor = pages.cursor_for(page)
        try:
            answer = await self.backend.tasks(
                self.query.params(self.clock()), limit=pages.page_size, cursor=cursor
            )
        except BackendError as exc:
            if generation == self._generation:
                if page == pages.next_page_number:  # the bottom may ask for it again
                    self.model.loading_more = False
                self._failed(exc)
            return
        if generation != self._generation:
            return  # the user chose another filter meanwhile
        self._answered()
        self.model.put_page(page, answer.items, answer.next_cursor)
        if started is not None:
            self.loaded.emit(self.model.rowCount(), time.perf_counter() - started)

    def _failed(self, exc: BackendError) -> None:
        self._failing = True
        self.failed.emit(problem_text(exc))

    def _answered(self) -> None:
        """The backend answers again: the message of its last failure goes."""
        if self._failing:
            self._failing = False
            self.failed.emit("")

    def refresh_rows(self) -> None:
        """The newest rows and the pages on screen, read again; what could not be read
        before (the backend was away) is asked for again."""
        pages = self.model.pages
        generation = self._generation
        if not pages.loaded_first_page:
            self._tasks.run(
                self._load_page(0, generation, time.perf_counter()), key=("page", generation, 0)
            )
            return
        if not self._jobs_loaded:
            self.load_jobs()
        self.refresh_top()
        first, last = self._visible
        if pages.row_count == 0:
            return
        low, high = (pages.page_of(min(max(r, 0), pages.row_count - 1)) for r in (first, last))
        for page in range(max(low, 1), high + 1):  # the first page is read with the top
            if pages.cached(page):
                self._tasks.run(
                    self._load_page(page, self._generation), key=("page", self._generation, page)
                )
        if last >= pages.row_count - 1 and self.model.canFetchMore():
            self.model.fetchMore()  # at the bottom, where a page could not be read before

    def refresh_top(self) -> None:
        self._tasks.run(self._refresh_top(self._generation), key=("top", self._generation))

    async def _refresh_top(self, generation: int) -> None:
        pages = self.model.pages
        if self.backend is None or not pages.loaded_first_page:
            return
        limit = min(1000, pages.page_size + pages.rows_in_head)
        now = self.clock()
        params = self.query.params(now)
        if self.query.time_field == "finished" and self._top_at is not None:
            # Ordered by when received, a task that ended just now may sit anywhere: the
            # tasks that ended since the last look are asked for, to be merged or counted.
            ended = self._top_at - TOP_OVERLAP_S
            params["finished_since"] = max(params.get("finished_since", ended), ended)
        try:
            answer = await self.backend.tasks(params, limit=limit)
        except BackendError as exc:
            self._failed(exc)
            return
        if generation != self._generation:
            return
        self._answered()
        self._top_at = now
        before = pages.newer_hidden + pages.missed
        self.model.merge_top(answer.items)
        if pages.newer_hidden + pages.missed != before:
            self.not_shown.emit(pages.newer_hidden + pages.missed)
        if self._detail_for is not None and any(
            i.task_id == self._detail_for for i in answer.items
        ):  # fmt: skip
            self.open_task(self._detail_for)  # what the pane shows follows the row

    def apply_events(self, batch: list[dict[str, Any]]) -> None:
        """Celery events (as the live view receives them), merged into the rows shown."""
        events = [e for e in batch if e.get("type") in TASK_EVENTS]
        if not events:
            return
        unknown = self.model.apply_events(events)
        if unknown and not self._soon.isActive():  # new tasks, or tasks that now match
            self._soon.start(int(SOON_S * 1000))
        if self._detail_for is not None and not self._detail_soon.isActive() and any(
            e.get("uuid") == self._detail_for for e in events
        ):  # fmt: skip
            self._detail_soon.start(int(SOON_S * 500))
        if any(e.get("type") == "task-failed" for e in events) and not self._groups_soon.isActive():
            self._groups_soon.start(int(SOON_S * 2000))

    # -- failure groups ----------------------------------------------------------------

    def groups_window(self) -> tuple[float, float]:
        now = self.clock()
        since, until = self.query.range(now)
        if self.query.window not in WINDOWS and since is None:
            since = now - GROUPS_DEFAULT_WINDOW_S
        return float(since if since is not None else now - GROUPS_DEFAULT_WINDOW_S), float(
            until if until is not None else now
        )

    def refresh_groups(self) -> None:
        self._tasks.run(self._refresh_groups(), key="groups")

    async def _refresh_groups(self) -> None:
        if self.backend is None:
            return
        since, until = self.groups_window()
        try:
            groups = await self.backend.failure_groups(since, until, GROUP_BUCKETS)
        except BackendError as exc:
            self.groups_failed.emit(problem_text(exc))
            return
        groups.sort(key=lambda g: g.last_seen or 0.0, reverse=True)
        self.groups = groups
        self.groups_changed.emit(groups)

    # -- one task ------------------------------------------------------------------------

    def open_task(self, task_id: str) -> None:
        """Read ``task_id`` in full; the last task asked for is the one shown."""
        self._detail_for = task_id
        self._tasks.run(self._open_task(task_id))

    async def _open_task(self, task_id: str) -> None:
        if self.backend is None:
            return
        try:
            detail = await self.backend.task(task_id)
            entries = await self.backend.audit({"task_id": task_id}, limit=50)
        except BackendError as exc:
            if self._detail_for == task_id:
                self.detail_failed.emit(problem_text(exc))
            return
        if self._detail_for == task_id:  # not another task asked for meanwhile
            self.detail_changed.emit(detail)
            self.detail_audit.emit(entries.items)

    # -- actions -----------------------------------------------------------------------

    async def dry_run(self, action: BulkAction, target: Target, priority: int | None) -> BulkDryRun:
        """What the action would do now (raises BackendError with the backend's words)."""
        assert self.backend is not None
        answer = await self.backend.bulk(
            action, list(target.task_ids) or None, "dry run", priority,
            dry_run=True, filter=target.filter,
        )  # fmt: skip
        assert isinstance(answer, BulkDryRun)
        return answer

    async def left_out(self, action: BulkAction, target: Target, plan: BulkDryRun) -> int:
        """Of a filter that leaves out tasks retried already, how many it leaves out."""
        if target.filter is None or target.filter.get("retried") is not False:
            return 0
        every = dict(target.filter)
        del every["retried"]
        whole = await self.dry_run(action, Target(target.label, filter=every), None)
        return max(whole.total - plan.total, 0)

    async def run(
        self, action: BulkAction, target: Target, reason: str, priority: int | None
    ) -> JobView:
        """Send the confirmed action once, as one bulk job; a request with no answer is sent
        again with the same key (so at most one job exists for it). Raises BackendError."""
        assert self.backend is not None
        key = str(uuid.uuid4())
        delay = 0.5
        for attempt in range(SEND_ATTEMPTS):
            try:
                answer = await self.backend.bulk(
                    action, list(target.task_ids) or None, reason, priority,
                    idempotency_key=key, filter=target.filter,
                )  # fmt: skip
                break
            except BackendError as exc:
                again = not exc.reached or exc.status in (502, 503, 504)
                if not again or attempt == SEND_ATTEMPTS - 1:
                    raise
                await asyncio.sleep(delay)
                delay *= 2
        assert isinstance(answer, BulkAccepted)
        # Followed from here on, whatever the backend answers next: the job exists.
        now = self.clock()
        job = BulkJob(
            job_id=answer.job_id, action=action, state="queued", total=answer.total, done=0,
            failed=0, outcomes={}, errors=[], created_at=now, updated_at=now, reason=reason,
            priority=priority,
        )  # fmt: skip
        view = JobView(job, label=target.label)
        self.jobs[job.job_id] = view
        self._publish_jobs()
        self._follow(job.job_id)
        return view

    def show_job(self, job_id: str) -> None:
        """A job (anyone's, e.g. from the audit log) in the jobs panel, followed if running."""
        self._tasks.run(self._show_job(job_id), key=("show-job", job_id))

    async def _show_job(self, job_id: str) -> None:
        if self.backend is None:
            return
        try:
            job = await self.backend.bulk_job(job_id)
        except BackendError as exc:
            self.failed.emit(problem_text(exc))
            return
        view = self.jobs.setdefault(job_id, JobView(job, label=job.reason or ""))
        view.job = job
        self._publish_jobs()
        self.job_shown.emit(job_id)
        if job.state not in ENDED:
            self._follow(job_id)

    async def find_tasks(self, text: str) -> list[TaskSummary]:
        """Tasks whose id starts with ``text`` (or that match it as a search), for Go to."""
        if self.backend is None:
            return []
        return (await self.backend.tasks({"q": text}, limit=10)).items

    def load_jobs(self) -> None:
        self._tasks.run(self._load_jobs(), key="jobs")

    async def _load_jobs(self) -> None:
        if self.backend is None:
            return
        try:
            jobs = await self.backend.bulk_jobs(limit=20, mine=True)
        except BackendError as exc:
            self.failed.emit(problem_text(exc))
            return
        self._jobs_loaded = True
        for job in jobs:
            view = self.jobs.get(job.job_id)
            if view is None:
                self.jobs[job.job_id] = JobView(job, label=job.reason or "", summary_seen=True)
            else:
                view.job = job
            if job.state not in ENDED:
                self._follow(job.job_id)
        self._publish_jobs()

    def _follow(self, job_id: str) -> None:
        self._tasks.run(self._poll_job(job_id), key=("job", job_id))

    async def _poll_job(self, job_id: str) -> None:
        """Follow a job to its end; while the backend does not answer, say so and keep
        asking (it resumes by itself when the backend returns)."""
        assert self.backend is not None
        delay = JOB_POLL_S
        while True:
            view = self.jobs[job_id]
            try:
                job = await self.backend.bulk_job(job_id)
            except BackendError as exc:
                view.problem = problem_text(exc)
                self._publish_jobs()
                delay = min(delay * 2, JOB_BACKOFF_MAX_S)
                await asyncio.sleep(delay)
                continue
            delay = JOB_POLL_S
            view.job, view.problem = job, None
            self._publish_jobs()
            if job.state in ENDED:
                self.job_ended.emit(view)
                self.refresh_rows()
                self.refresh_groups()
                if self._detail_for is not None:  # its retries and audit entries, now
                    self.open_task(self._detail_for)
                return
            await asyncio.sleep(delay)

    async def job_items(self, job_id: str, outcome: str) -> list[str]:
        """The task ids of a job that came to ``outcome`` (the first 1,000)."""
        assert self.backend is not None
        page = await self.backend.bulk_items(job_id, outcome, limit=1000)
        return [item.task_id for item in page.items]

    def _publish_jobs(self) -> None:
        views = sorted(self.jobs.values(), key=lambda v: v.job.created_at, reverse=True)
        self.jobs_changed.emit(views)
