"""Benchmark of the console's Tasks page over a ledger of 1,000,000 tasks.

A real backend process serves a SQLite ledger of 1,000,000 tasks (written as the
backend benchmark writes it: 29 days, 10% failures, the newest 10,000 failures of
one user). In a console process of its own (offscreen Qt, a qasync event loop, the
backend over HTTP), a ``TasksPage`` over a ``TasksTableModel`` and a
``TasksController`` is shown at 1366 x 768 and started, with its timers (the top
and the pages on screen read again every 5 s, failure groups every 15 s).

- Filter to first rows: the filter bar's widgets are set (free text: a number of an
  argument or words of an error; state "failed"; a user, with and without the
  state), then the filter is applied as the typing pause's timer does
  (``_apply_filter``): the 300 ms pause itself is not counted. Measured until the
  controller says the first page is in the model (``loaded``), the loop has turned
  once and the table's viewport is repainted.
- Scrolling: the table's scroll bar moved a page (the viewport's height) at a time,
  from the top down to row 100,000, then back up 20,000 rows. A frame is one step:
  the scroll bar moved and the viewport repainted, timed; the loop turns between
  frames and the work it does there (pages arriving, timers) is measured too. At the
  bottom the view asks for the next page (Qt's fetchMore); the wait for it is the
  user's wait, not a frame. Going back up, pages dropped from the bounded cache
  show placeholders until they are read again; that wait is measured too. Resident
  memory of the console process as the view passes rows 0, 25k, 50k, 75k, 100k.
- Live stream: for 20 s of the same scrolling (down, from where the previous part
  ended), a timer hands ``TasksController.apply_events`` 100 Celery events every
  50 ms (2,000 events/s): task-succeeded and task-failed for tasks in memory on and
  near the screen (new worker, time, runtime, error), late task-started for some,
  and events of tasks not in memory. Frames as above; the events' application is
  loop work between frames, timed per batch.

Every frame or turn of the loop over 33 ms is listed with the CPU time the GUI
thread had in it (far less than its wall time: the shared machine ran something
else) and the time Python's garbage collector took in it. Errors the page showed
(the controller's ``failed``) are counted; a page awaited 10 s in vain is reported
with the page's state, and the view scrolled up a step and down again.
"""

from __future__ import annotations

import asyncio
import collections
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.backend_bench import LEDGER_TASKS, TOKEN, fill_ledger, start_bench_backend
from bench.console_bench import rss_mb
from bench.stack import quantile
from taskdeck_dev.stack import running_redis

FILTERS = 36
SCROLL_ROWS = 100_000
BACK_ROWS = 20_000
LIVE_S = 20.0
BATCH_EVERY_MS = 50
BATCH_EVENTS = 100
FRAME_MS = 33.0
FILTER_TARGET_MS = 150.0
WAIT_LIMIT_S = 10.0  # one page not there after this: the measurement stops
SCROLL_LIMIT_S = 130.0  # bounds of each part, so the whole run stays under 6 minutes
BACK_LIMIT_S = 40.0
CONSOLE_LIMIT_S = 240.0
FLOWER_PAGE_MS = 176  # Flower, one page of its task list at 100,000 tasks (backend section)


def filter_plan(count: int) -> list[tuple[str, dict[str, str | None]]]:
    """Filters as a user builds them, each different from the one before it."""
    rng = random.Random(11)
    plan: list[tuple[str, dict[str, str | None]]] = []
    for i in range(count):
        kind = i % 5
        if kind == 0:
            plan.append(
                ("text: a number of an argument", {"text": str(rng.randrange(100, 999_999))})
            )
        elif kind == 1:
            words = f"reading f-{rng.randrange(10, 999)}" if i % 10 == 1 else "timed out after 30s"
            plan.append(("text: words of an error", {"text": words}))
        elif kind == 2:
            plan.append(("state failed", {"state": "FAILURE"}))
        elif kind == 3:
            plan.append(("user", {"user": f"user{rng.randrange(200):03d}"}))
        else:
            user = f"user{rng.randrange(200):03d}"
            plan.append(("user and state failed", {"user": user, "state": "FAILURE"}))
    return plan


def stats(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0, "median": float("nan"), "p95": float("nan"), "max": float("nan"),
                "over": 0}  # fmt: skip
    return {
        "n": len(values), "median": statistics.median(values), "p95": quantile(values, 0.95),
        "max": max(values), "over": sum(1 for v in values if v > FRAME_MS),
    }  # fmt: skip


class Stall(Exception):
    """A page awaited for WAIT_LIMIT_S in vain; what the page's state was."""

    def __init__(self, state: dict[str, Any]) -> None:
        super().__init__(json.dumps(state))
        self.state = state


class GcClock:
    """Time the process spends in Python's garbage collector, per generation."""

    def __init__(self) -> None:
        self.total = 0.0  # s
        self.pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}  # ms
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        spent = time.perf_counter() - self._started
        self.total += spent
        self.pauses[info["generation"]].append(spent * 1000)

    def close(self) -> None:
        gc.callbacks.remove(self._callback)


class PageUnderTest:
    """The Tasks page, its model and controller, on the running qasync loop."""

    def __init__(self, url: str) -> None:
        from console.controllers.tasks_controller import TasksController
        from console.models.tasks_table_model import TasksTableModel
        from console.services.backend_client import BackendClient
        from console.views.tasks_page import TasksPage

        self.backend = BackendClient(url, TOKEN)
        self.model = TasksTableModel()
        self.page = TasksPage(self.model)
        self.controller = TasksController(self.backend, self.model)
        self.loaded = asyncio.Event()
        self.loaded_rows = 0
        self.loaded_s = 0.0
        self.controller.loaded.connect(self._on_loaded)
        # What the page did lately, for the report of a wait that never ends.
        self.trace: collections.deque[tuple[float, str]] = collections.deque(maxlen=30)
        self.failures: list[str] = []
        self.controller.failed.connect(self._on_failed)
        self.model.more_wanted.connect(
            lambda: self._trace(f"more_wanted (next page {self.model.pages.next_page_number})")
        )
        self.model.pages_wanted.connect(lambda pages: self._trace(f"pages_wanted {pages}"))
        self.model.rowsInserted.connect(
            lambda _p, first, last: self._trace(f"rows inserted {first}-{last}")
        )
        self.page.attach(self.controller)
        self.page.resize(1366, 768)
        self.page.show()
        self.controller.start()
        gc.freeze()  # as the console does once its window is built (console/__main__.py)
        self.table = self.page.table
        self.bar = self.table.verticalScrollBar()
        self.frames: list[float] = []  # ms, this part's frames
        self.between: list[float] = []  # ms, loop work between this part's frames
        self.turns: list[float] = []  # ms, the longest turn of the loop in each wait
        self.overhead = 0.0  # s of the benchmark's own work inside the loop (event making)
        self.gc = GcClock()
        self.part = ""  # the part of the benchmark under way
        self.slow: list[dict[str, Any]] = []  # frames and turns over FRAME_MS, with their GC time

    def _trace(self, what: str) -> None:
        self.trace.append((time.perf_counter(), what))

    def _on_failed(self, text: str) -> None:
        self._trace(f"failed: {text}")
        if text:
            self.failures.append(text)

    def _on_loaded(self, rows: int, seconds: float) -> None:
        self.loaded_rows, self.loaded_s = rows, seconds
        self.loaded.set()

    def visible(self) -> tuple[int, int]:
        first = self.table.rowAt(0)
        last = self.table.rowAt(self.table.viewport().height() - 1)
        if last < 0:
            last = self.model.rowCount() - 1
        return first, last

    async def until(self, done: Callable[[], bool]) -> float:
        """Seconds until ``done()`` (the loop turning meanwhile); raises after WAIT_LIMIT_S."""
        started = time.perf_counter()
        longest = 0.0
        while not done():
            turn, collected, cpu = time.perf_counter(), self.gc.total, time.thread_time()
            await asyncio.sleep(0.001)
            spent = time.perf_counter() - turn - 0.001
            longest = max(longest, spent)
            self._note("turn while awaiting a page", spent, collected, cpu)
            if time.perf_counter() - started > WAIT_LIMIT_S:
                m, now = self.model, time.perf_counter()
                raise Stall({
                    "rows": m.rowCount(), "loading_more": m.loading_more,
                    "can_fetch_more": m.canFetchMore(), "next_page": m.pages.next_page_number,
                    "bar": f"{self.bar.value()}/{self.bar.maximum()}",
                    "visible": list(self.visible()), "requests_running": self.controller._tasks.pending,
                    "trace": [f"{(t - now) * 1000:.0f} ms: {w}" for t, w in self.trace],
                })  # fmt: skip
        self.turns.append(longest * 1000)
        return time.perf_counter() - started

    async def frame(self, delta: int) -> None:
        """One scroll step and its repaint (timed), then one turn of the loop (timed)."""
        started, collected, cpu = time.perf_counter(), self.gc.total, time.thread_time()
        self.bar.setValue(max(0, min(self.bar.value() + delta, self.bar.maximum())))
        self.table.viewport().repaint()
        spent = time.perf_counter() - started
        self.frames.append(spent * 1000)
        self._note("frame", spent, collected, cpu)
        self.overhead = 0.0
        started, collected, cpu = time.perf_counter(), self.gc.total, time.thread_time()
        await asyncio.sleep(0)
        spent = time.perf_counter() - started - self.overhead
        self.between.append(spent * 1000)
        self._note("between frames", spent, collected, cpu)

    def _note(self, what: str, spent: float, collected: float, cpu: float) -> None:
        """A frame or turn over budget: its wall time, the GC's share and the CPU time
        this thread had in it (much less than the wall time: the machine was busy)."""
        if spent * 1000 > FRAME_MS:
            self.slow.append({"part": self.part, "what": what, "ms": spent * 1000,
                              "gc_ms": (self.gc.total - collected) * 1000,
                              "cpu_ms": (time.thread_time() - cpu) * 1000,
                              "row": self.table.rowAt(0)})  # fmt: skip

    def take_frames(self) -> dict[str, list[float]]:
        taken = {"frames": self.frames, "between": self.between, "turns": self.turns}
        self.frames, self.between, self.turns = [], [], []
        return taken

    async def apply_filter(self, values: dict[str, str | None]) -> dict[str, float]:
        page = self.page
        widgets = (page.text, page.state, page.user)
        for widget in widgets:
            widget.blockSignals(True)
        page.text.setText(values.get("text") or "")
        page.user.setText(values.get("user") or "")
        page.state.setCurrentIndex(max(0, page.state.findData(values.get("state"))))
        for widget in widgets:
            widget.blockSignals(False)
        self.loaded.clear()
        started = time.perf_counter()
        page._apply_filter()  # what the typing pause's timer calls when it fires
        await asyncio.wait_for(self.loaded.wait(), WAIT_LIMIT_S)
        await asyncio.sleep(0)
        painted = time.perf_counter()
        self.table.viewport().repaint()
        ended = time.perf_counter()
        return {"ms": (ended - started) * 1000, "loaded_ms": self.loaded_s * 1000,
                "paint_ms": (ended - painted) * 1000, "rows": self.loaded_rows}  # fmt: skip

    async def aclose(self) -> None:
        self.gc.close()
        await self.controller.aclose()
        await self.backend.aclose()
        self.page.close()


class EventFeed:
    """Celery events for the rows on and near the screen, and for tasks not in memory,
    handed to the controller by a timer, as the live view hands them over."""

    def __init__(self, put: PageUnderTest) -> None:
        from PySide6.QtCore import QTimer

        self.put = put
        self.rng = random.Random(5)
        self.seq = 0
        self.events = 0
        self.in_memory = 0  # events of tasks in memory
        self.apply_ms: list[float] = []
        self.timer = QTimer()
        self.timer.setInterval(BATCH_EVERY_MS)
        self.timer.timeout.connect(self._tick)

    def batch(self) -> list[dict[str, Any]]:
        put, rng = self.put, self.rng
        first, last = put.visible()
        low, high = max(0, first - 300), max(first, last) + 300
        now = time.time()
        events: list[dict[str, Any]] = []
        for _ in range(80):
            task = put.model.pages.row(rng.randint(low, high))
            if task is None:
                continue
            host = f"worker{rng.randrange(20)}@erp"
            if rng.random() < 0.2:  # late: the row already knows more
                events.append({"type": "task-started", "uuid": task.task_id, "timestamp": now,
                               "hostname": host})  # fmt: skip
            elif task.state == "FAILURE":
                events.append({"type": "task-failed", "uuid": task.task_id, "timestamp": now,
                               "hostname": host, "runtime": rng.uniform(0.1, 30.0),
                               "exception": "FileStoreTimeout('timed out after 30s reading "
                                            f"\\'{task.task_id}.csv\\'')"})  # fmt: skip
            else:
                events.append({"type": "task-succeeded", "uuid": task.task_id,
                               "timestamp": now, "hostname": host,
                               "runtime": rng.uniform(0.1, 3.0)})  # fmt: skip
        self.in_memory += len(events)
        while len(events) < BATCH_EVENTS:
            self.seq += 1
            kind = rng.choice(("task-started", "task-succeeded", "task-failed"))
            events.append({"type": kind, "uuid": f"live-{self.seq:08d}", "timestamp": now,
                           "hostname": "worker1@erp", "runtime": 0.5,
                           "exception": "ValueError('bad file')"})  # fmt: skip
        return events

    def _tick(self) -> None:
        started = time.perf_counter()
        events = self.batch()
        made = time.perf_counter()
        self.put.controller.apply_events(events)
        ended = time.perf_counter()
        self.apply_ms.append((ended - made) * 1000)
        self.put.overhead += made - started
        self.events += len(events)


def memory_mark(put: PageUnderTest) -> dict[str, float]:
    pages = put.model.pages
    return {"rss_mb": rss_mb(), "rows_in_memory": pages.rows_in_memory(),
            "pages_cached": pages.pages_cached, "gc_objects": len(gc.get_objects())}  # fmt: skip


async def scroll_down(put: PageUnderTest, rows: int, limit_s: float,
                      marks: dict[int, dict[str, float]] | None = None,
                      mark_rows: tuple[int, ...] = ()) -> dict[str, Any]:  # fmt: skip
    """Page steps down until the first row on screen is ``rows`` further (or ``limit_s``);
    the process's memory noted in ``marks`` as the first row passes each of ``mark_rows``."""
    step = put.bar.pageStep()
    start_row = put.visible()[0]
    target = start_row + rows
    waits: list[float] = []
    stalls: list[dict[str, Any]] = []
    pending = sorted(mark_rows)
    started = time.perf_counter()
    while put.visible()[0] < target and time.perf_counter() - started < limit_s:
        if put.bar.value() >= put.bar.maximum():
            # The user waits until the next page is in and the scroll bar reaches further.
            try:
                waits.append(await put.until(lambda: put.bar.maximum() > put.bar.value()) * 1000)
            except Stall as stall:
                # No page comes: as a user would, scroll up a step and down to the end again.
                stalls.append(stall.state)
                if len(stalls) > 3:
                    break
                await put.frame(-step)
                await put.frame(step)
            continue
        await put.frame(step)
        first = put.visible()[0]
        while marks is not None and pending and first >= pending[0]:
            marks[pending.pop(0)] = memory_mark(put)
    return {"rows": put.visible()[0] - start_row, "s": time.perf_counter() - started,
            "waits_ms": waits, "step_px": step, "stalls": stalls}  # fmt: skip


async def scroll_up(put: PageUnderTest, rows: int, limit_s: float) -> dict[str, Any]:
    """Page steps up ``rows``; a placeholder on screen is waited for (the page read again)."""
    step = put.bar.pageStep()
    start_row = put.visible()[0]
    target = max(0, start_row - rows)
    waits: list[float] = []
    stalls: list[dict[str, Any]] = []
    pages = put.model.pages
    started = time.perf_counter()

    def shown() -> bool:
        first, last = put.visible()
        return all(pages.row(r) is not None for r in range(first, last + 1))

    while put.visible()[0] > target and time.perf_counter() - started < limit_s:
        await put.frame(-step)
        if not shown():
            try:
                waits.append(await put.until(shown) * 1000)
            except Stall as stall:
                stalls.append(stall.state)
                if len(stalls) > 3:
                    break
    return {"rows": start_row - put.visible()[0], "s": time.perf_counter() - started,
            "waits_ms": waits, "stalls": stalls}  # fmt: skip


async def measure(url: str) -> dict[str, Any]:
    from console.domain.task_query import TaskQuery

    put = PageUnderTest(url)
    out: dict[str, Any] = {}
    try:
        await asyncio.wait_for(put.loaded.wait(), WAIT_LIMIT_S)
        await asyncio.sleep(1.0)  # the role, the groups and the jobs read at start
        # 1. Filters.
        filters = []
        for kind, values in filter_plan(FILTERS):
            result = await put.apply_filter(values)
            filters.append({"kind": kind, **result})
        out["filters"] = filters
        # 2. Scrolling, unfiltered, from the top.
        put.loaded.clear()
        put.page.set_query(TaskQuery())
        await asyncio.wait_for(put.loaded.wait(), WAIT_LIMIT_S)
        await asyncio.sleep(0.2)
        put.bar.setValue(0)
        await asyncio.sleep(0)
        marks = {0: memory_mark(put)}
        put.part = "down"
        down = await scroll_down(put, SCROLL_ROWS, SCROLL_LIMIT_S, marks,
                                 tuple(range(25_000, SCROLL_ROWS + 1, 25_000)))  # fmt: skip
        down.update(put.take_frames())
        out["down"], out["marks"] = down, {str(k): v for k, v in marks.items()}
        put.part = "up"
        up = await scroll_up(put, BACK_ROWS, BACK_LIMIT_S)
        up.update(put.take_frames())
        out["up"] = up
        # 3. The live stream while scrolling down.
        feed = EventFeed(put)
        feed.timer.start()
        try:
            put.part = "live"
            live = await scroll_down(put, 10 * SCROLL_ROWS, LIVE_S)
        finally:
            feed.timer.stop()
        live.update(put.take_frames())
        live["events"], live["apply_ms"] = feed.events, feed.apply_ms
        live["events_in_memory"] = feed.in_memory
        pages = put.model.pages
        shown = [pages.row(r) for r in range(pages.row_count)]
        live["rows_changed_in_memory"] = sum(
            1 for t in shown if t is not None and t.hostname != "worker1@erp"
        )
        out["live"] = live
        out["rss_end_mb"] = rss_mb()
        out["gc_ms"] = put.gc.pauses
        out["slow"] = put.slow
        out["failures"] = put.failures
        out["message_at_end"] = put.page.message.text() if put.page.message.isVisible() else ""
        out["row_height_px"] = put.table.verticalHeader().defaultSectionSize()
        out["viewport_px"] = put.table.viewport().height()
    finally:
        await put.aclose()
    return out


def console_part(url: str) -> dict[str, Any]:
    """The console's side, on a qasync loop of this process (a process of its own)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        result: dict[str, Any] = loop.run_until_complete(measure(url))
    return result


def console_in_fresh_process(url: str) -> dict[str, Any]:
    code = (
        "import json, os, sys; os.environ['QT_QPA_PLATFORM'] = 'offscreen'; "
        "from bench.tasks_page_bench import console_part; "
        "print(json.dumps(console_part(sys.argv[1])))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, url], capture_output=True, text=True,
        timeout=CONSOLE_LIMIT_S, check=False,
    )  # fmt: skip
    if out.returncode != 0:
        raise RuntimeError(f"the console's part failed:\n{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def measure_all() -> dict[str, Any]:
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="taskdeck-bench-") as name:
        tmp = Path(name)
        with running_redis(tmp) as broker:
            (tmp / "full" / "data").mkdir(parents=True)
            started = time.perf_counter()
            fill_ledger(tmp / "full" / "data" / "ledger.sqlite3", LEDGER_TASKS, "bulk-user")
            fill_s = time.perf_counter() - started
            backend, url = start_bench_backend(tmp, "full", broker.url)
            try:
                result = console_in_fresh_process(url)
            finally:
                backend.stop()
    result["fill_s"] = fill_s
    result["load_start"], result["load_end"] = load_start, os.getloadavg()
    return result


def _ms(s: dict[str, float]) -> str:
    return f"median {s['median']:.1f} ms, p95 {s['p95']:.1f} ms, max {s['max']:.1f} ms"


def _frames_row(label: str, part: dict[str, Any]) -> list[str]:
    frames, between, turns = stats(part["frames"]), stats(part["between"]), stats(part["turns"])
    rows = [
        f"| {label}: frames (scroll step + repaint) | {frames['n']:,} frames; {_ms(frames)}; "
        f"{frames['over']} over {FRAME_MS:.0f} ms | none over {FRAME_MS:.0f} ms |",
        f"| — loop work between frames (timers{', event batches' if 'apply_ms' in part else ''}) | "
        f"{_ms(between)}; {between['over']} over {FRAME_MS:.0f} ms | none over {FRAME_MS:.0f} ms |",
    ]
    if turns["n"]:
        rows.append(
            f"| — longest turn of the loop while a page is awaited (its answer parsed and put in "
            f"the model), {turns['n']} waits | {_ms(turns)}; {turns['over']} over {FRAME_MS:.0f} ms "
            f"| none over {FRAME_MS:.0f} ms |"
        )
    return rows


def run() -> list[str]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    r = measure_all()
    filters = r["filters"]
    times = [f["ms"] for f in filters]
    rows = [
        "| measure | result | target |",
        "| --- | --- | --- |",
        f"| machine | {os.cpu_count()} cores; load average (1 min) {r['load_start'][0]:.2f} at start, "
        f"{r['load_end'][0]:.2f} at end | |",
        f"| filter applied → first rows painted, all {len(times)} filters (300 ms typing pause not counted) | "
        f"median {statistics.median(times):.1f} ms, p95 {quantile(times, 0.95):.1f} ms, "
        f"max {max(times):.1f} ms; {sum(1 for t in times if t > FILTER_TARGET_MS)} over "
        f"{FILTER_TARGET_MS:.0f} ms | p95 ≤ {FILTER_TARGET_MS:.0f} ms |",
    ]
    for kind in dict.fromkeys(f["kind"] for f in filters):
        mine = [f for f in filters if f["kind"] == kind]
        ms = [f["ms"] for f in mine]
        counts = sorted(int(f["rows"]) for f in mine)
        rows.append(
            f"| — {kind} ({len(mine)}; first page of {counts[0]:,}–{counts[-1]:,} rows) | "
            f"median {statistics.median(ms):.1f} ms, p95 {quantile(ms, 0.95):.1f} ms "
            f"(backend answer in the model: median {statistics.median(f['loaded_ms'] for f in mine):.1f} ms; "
            f"repaint median {statistics.median(f['paint_ms'] for f in mine):.1f} ms) | |"
        )
    down, up, live = r["down"], r["up"], r["live"]
    per_step = down["step_px"] // r["row_height_px"]
    rows += _frames_row(
        f"scroll down {down['rows']:,} rows, a page ({down['step_px']} px, {per_step} rows) a step",
        down,
    )  # fmt: skip
    rows.append(
        f"| — waiting at the bottom for the next page (fetchMore), {len(down['waits_ms'])} pages | "
        f"median {statistics.median(down['waits_ms']):.1f} ms, p95 {quantile(down['waits_ms'], 0.95):.1f} ms | |"
    )
    marks = r["marks"]
    rows.append(
        "| console memory (RSS) with the view at row "
        + " / ".join(f"{int(k):,}" for k in marks)
        + " | "
        + " / ".join(f"{m['rss_mb']:.0f}" for m in marks.values())
        + f" MB (rows in memory: {' / '.join(str(m['rows_in_memory']) for m in marks.values())}; "
        + "objects the GC tracks: "
        + " / ".join(f"{m['gc_objects']:,}" for m in marks.values())
        + ") | flat |"
    )
    rows += _frames_row(f"scroll back up {up['rows']:,} rows", up)
    if up["waits_ms"]:
        rows.append(
            f"| — placeholders on screen until the page is read again, {len(up['waits_ms'])} times | "
            f"median {statistics.median(up['waits_ms']):.1f} ms, p95 {quantile(up['waits_ms'], 0.95):.1f} ms | |"
        )
    applied = stats(live["apply_ms"])
    rows += _frames_row(
        f"live: {live['s']:.0f} s of scrolling ({live['rows']:,} rows) with "
        f"{live['events'] / live['s']:,.0f} events/s", live,
    )  # fmt: skip
    rows.append(
        f"| — `apply_events`, {applied['n']} batches of {BATCH_EVENTS} events "
        f"({live['events_in_memory'] / max(live['events'], 1):.0%} of tasks in memory; "
        f"{live['rows_changed_in_memory']:,} rows in memory changed by them at the end) | "
        f"{_ms(applied)} | |"
    )
    if live["waits_ms"]:
        rows.append(
            f"| — waiting at the bottom for the next page during the stream, {len(live['waits_ms'])} pages | "
            f"median {statistics.median(live['waits_ms']):.1f} ms | |"
        )
    gen2 = r["gc_ms"]["2"]
    slow = r["slow"]
    rows.append(
        f"| Python's full (generation 2) garbage collections during the run | {len(gen2)}"
        + (f"; median {statistics.median(gen2):.1f} ms, max {max(gen2):.1f} ms" if gen2 else "")
        + " | |"
    )
    rows.append(
        f"| frames, loop work and loop turns over {FRAME_MS:.0f} ms, all parts | {len(slow)}"
        + (
            ": "
            + ", ".join(
                f"{x['part']}: {x['what']} {x['ms']:.0f} ms (CPU {x['cpu_ms']:.0f} ms, GC {x['gc_ms']:.0f} ms)"
                for x in slow[:12]
            )
            if slow
            else ""
        )  # fmt: skip
        + " | |"
    )
    for label, part in (("scrolling down", down), ("scrolling up", up), ("live stream", live)):
        for stall in part["stalls"]:
            rows.append(
                f"| {label}: a page awaited {WAIT_LIMIT_S:.0f} s in vain at row {stall['rows']:,} "
                f"(scroll bar {stall['bar']}, loading_more {stall['loading_more']}, "
                f"requests running {stall['requests_running']}); the view was scrolled up a step "
                "and down again | | every page arrives |"
            )
    if r["failures"]:
        rows.append(
            f"| errors the page showed | {len(r['failures'])}: "
            + "; ".join(sorted({f[:160] for f in r["failures"]}))
            + (
                f"; still shown at the end, after every later request succeeded: “{r['message_at_end'][:100]}”"
                if r["message_at_end"]
                else ""
            )
            + " | none |"
        )
    rows.append(
        f"| Flower, one page of its task list at 100,000 tasks (backend section) | {FLOWER_PAGE_MS} ms | |"
    )
    rows.append(f"| (setup) writing {LEDGER_TASKS:,} tasks into SQLite | {r['fill_s']:.0f} s | |")
    return rows
