"""Twenty consoles on one broker and one backend: what each more console costs.

A sandbox stack (one redis-server, one backend, two prefork workers, Prometheus,
Alertmanager, the traffic generator submitting ~3 tasks/s through the backend) runs
throughout. Consoles are whole console processes (``console.app.Console``, offscreen,
one process each, connected as ``taskdeck --sandbox`` connects: every controller and
service the live console runs, its event receiver, broker reader and probes included).
Measured over windows of equal length, with 0, 1 and 20 consoles, then 20 and 1 again
after 1,000,000 result keys (``celery-task-meta-*``, what a day of results can leave)
were written into the broker, since the consoles' binding scans walk the whole keyspace:

- Redis: CPU (``INFO cpu`` used_cpu_sys + used_cpu_user, delta over the window, as a
  share of one core), commands/s (``total_commands_processed`` delta), and the
  commands that took most of Redis' time (``INFO commandstats`` usec deltas).
- Backend: CPU (its process' utime + stime over the window) and HTTP requests/s (its
  access log), with the endpoints asked most.
- Freshness, in each console: the age of every task-succeeded / task-failed event when
  the console's models have applied it (its slot runs after the Tasks page's and the
  live view's, on the same signal), against the event's own timestamp (the worker's
  clock, on this machine); the queue depth the console shows against LLEN of the same
  lists read by the benchmark at the same moment (every 0.2 s), and the gaps between
  depth refreshes (the shown depth's age is at most that).
- The consoles' own CPU (all twenty share this machine's two cores with the stack: a
  real console runs on its user's machine).

The load average (1 min) is read at the end of each window. Commandstats' usec is wall
time inside each command, which CPU contention on this machine inflates; INFO cpu is the
figure of Redis' cost. The verdict row applies the rule set for this question: the
consoles' broker reads would be served from one shared snapshot written by the backend
once Redis CPU passes half a core (``SNAPSHOT_AT``).

Found and fixed by this benchmark before the figures below: the backend's anomaly
detector scanned the whole keyspace ten times a run (10 % of a core at 100,000 keys,
every 2.5 s in the sandbox); and at 1,000,000 keys every look at the bindings made while
a scan was under way started one more (about 100 full scans a minute with one console
and one backend), and a console's queue depths waited for its own scan (up to 12 s).
"""

from __future__ import annotations

import json
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import redis

from bench.stack import quantile

RATE = 3.0  # tasks/s the traffic generator submits
WINDOW_S = 75.0  # each measured window: more than one 60 s binding scan of every console
BASELINE_S = 30.0
CONSOLES = 20
RESULT_KEYS = 1_000_000
SAMPLE_S = 0.2  # LLEN sampling by the benchmark
CLK = os.sysconf("SC_CLK_TCK")
# Redis CPU (share of one core) from which the consoles' broker reads would be served from
# one shared snapshot written by the backend, rather than read by each console.
SNAPSHOT_AT = 0.5
ACCESS = re.compile(r'"(GET|POST|PUT|PATCH|DELETE) ([^ ?"]+)[^"]*" (\d{3})')


# -- one console (a child process) ------------------------------------------------------


def console_main(run_dir: Path, out: Path) -> None:
    """A whole console connected to the sandbox in ``run_dir``, writing what it shows and
    when to ``out`` (one line per fact) until it is stopped."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    import asyncio

    import qasync
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from console.app import Console
    from console.domain.endpoints import Endpoints

    app = QApplication([])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    sink = out.open("a", buffering=1)
    settings = QSettings(str(out.with_suffix(".ini")), QSettings.Format.IniFormat)
    console = Console(settings)
    console.window.resize(1366, 768)
    console.window.show()
    link = console.connect_to(Endpoints.from_sandbox(run_dir), "sandbox")

    def on_events(batch: list[dict[str, Any]]) -> None:
        # Connected after the console's own slots: the models have the batch already.
        now = time.time()
        for event in batch:
            if event.get("type") in ("task-succeeded", "task-failed") and event.get("timestamp"):
                sink.write(f"E {now:.4f} {now - float(event['timestamp']):.4f}\n")

    def on_queues(queues: list[Any]) -> None:
        sink.write(f"Q {time.time():.4f} {sum(q.depth for q in queues)}\n")

    link.live.events_received.connect(on_events)
    link.live.queues_changed.connect(on_queues)
    with loop:
        loop.run_forever()


# -- the benchmark --------------------------------------------------------------------


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK  # utime, stime


def redis_figures(client: redis.Redis) -> dict[str, Any]:
    info: dict[str, Any] = client.info("all")
    calls = {k.removeprefix("cmdstat_"): v for k, v in info.items() if k.startswith("cmdstat_")}
    return {
        "cpu": float(info["used_cpu_sys"]) + float(info["used_cpu_user"]),
        "commands": int(info["total_commands_processed"]),
        "stats": {k: (int(v["calls"]), int(v["usec"])) for k, v in calls.items()},
        "keys": int(client.dbsize()),
    }


class DepthSampler(threading.Thread):
    """LLEN of every list the consoles read, summed, every ``SAMPLE_S``."""

    def __init__(self, client: redis.Redis, lists: list[str]) -> None:
        super().__init__(daemon=True)
        self.client, self.lists = client, lists
        self.samples: list[tuple[float, int]] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(SAMPLE_S):
            pipe = self.client.pipeline(transaction=False)
            for name in self.lists:
                pipe.llen(name)
            self.samples.append((time.time(), sum(pipe.execute())))


def nearest(samples: list[tuple[float, int]], t: float) -> int | None:
    best = min(samples, key=lambda s: abs(s[0] - t), default=None)
    return best[1] if best is not None and abs(best[0] - t) < SAMPLE_S else None


def console_facts(
    files: list[Path], t0: float, t1: float, depths: list[tuple[float, int]]
) -> dict[str, Any]:
    """Freshness over [t0, t1] from the consoles' files: every console's event ages and depth
    refreshes, pooled, and the worst console's median event age."""
    ages: list[float] = []
    gaps: list[float] = []
    off: list[float] = []
    per_console: list[float] = []
    for path in files:
        mine: list[float] = []
        refreshes: list[float] = []
        for line in path.read_text().splitlines():
            kind, at, value = line.split()
            t = float(at)
            if not t0 <= t <= t1:
                continue
            if kind == "E":
                mine.append(float(value))
            elif kind == "Q":
                refreshes.append(t)
                truth = nearest(depths, t)
                if truth is not None:
                    off.append(abs(int(value) - truth))
        gaps += [b - a for a, b in zip(refreshes, refreshes[1:], strict=False)]
        ages += mine
        if mine:
            per_console.append(statistics.median(mine))
    return {
        "events": len(ages),
        "age_p50": statistics.median(ages) if ages else float("nan"),
        "age_p95": quantile(ages, 0.95) if ages else float("nan"),
        "age_max": max(ages, default=float("nan")),
        "worst_console_p50": max(per_console, default=float("nan")),
        "gap_p50": statistics.median(gaps) if gaps else float("nan"),
        "gap_p95": quantile(gaps, 0.95) if gaps else float("nan"),
        "gap_max": max(gaps, default=float("nan")),
        "depth_off_p50": statistics.median(off) if off else float("nan"),
        "depth_off_p95": quantile(off, 0.95) if off else float("nan"),
        "depth_mean": statistics.mean(v for _, v in depths) if depths else float("nan"),
    }


def access_counts(log: Path, start: int) -> Counter[str]:
    """Requests in the backend's log after byte ``start``, by method and path (ids as {id})."""
    counts: Counter[str] = Counter()
    with log.open("rb") as f:
        f.seek(start)
        for line in f.read().decode(errors="replace").splitlines():
            m = ACCESS.search(line)
            if m:
                path = re.sub(r"/[0-9a-f-]{16,}|/[^/]+(@|%40)[^/]+", "/{id}", m.group(2))
                counts[f"{m.group(1)} {path}"] += 1
    return counts


def measure(
    label: str, seconds: float, client: redis.Redis, lists: list[str], backend_pid: int,
    backend_log: Path, consoles: list[tuple[int, Path]],
) -> dict[str, Any]:  # fmt: skip
    sampler = DepthSampler(redis.Redis(connection_pool=client.connection_pool), lists)
    before = redis_figures(client)
    backend_before = cpu_s(backend_pid)
    consoles_before = sum(cpu_s(pid) for pid, _ in consoles)
    log_at = backend_log.stat().st_size
    t0 = time.time()
    sampler.start()
    time.sleep(seconds)
    sampler.done.set()
    sampler.join()
    t1 = time.time()
    after = redis_figures(client)
    elapsed = t1 - t0
    usec = {
        name: (calls - before["stats"].get(name, (0, 0))[0], spent - before["stats"].get(name, (0, 0))[1])
        for name, (calls, spent) in after["stats"].items()
    }  # fmt: skip
    requests = access_counts(backend_log, log_at)
    return {
        "label": label,
        "consoles": len(consoles),
        "s": elapsed,
        "redis_cpu": (after["cpu"] - before["cpu"]) / elapsed,
        "redis_ops": (after["commands"] - before["commands"]) / elapsed,
        "redis_top": sorted(usec.items(), key=lambda kv: -kv[1][1])[:5],
        "keys": after["keys"],
        "backend_cpu": (cpu_s(backend_pid) - backend_before) / elapsed,
        "backend_rps": sum(requests.values()) / elapsed,
        "backend_top": requests.most_common(5),
        "consoles_cpu": (sum(cpu_s(pid) for pid, _ in consoles) - consoles_before) / elapsed,
        "fresh": console_facts([p for _, p in consoles], t0, t1, sampler.samples),
        "load": os.getloadavg()[0],
    }


def write_result_keys(client: redis.Redis, n: int) -> None:
    """``n`` result-backend entries as Celery writes them (no expiry here: the run is short)."""
    value = json.dumps({"status": "SUCCESS", "result": {"rows": 120}, "traceback": None,
                        "children": [], "date_done": "2026-01-01T00:00:00", "task_id": ""})  # fmt: skip
    pipe = client.pipeline(transaction=False)
    for i in range(n):
        pipe.set(f"celery-task-meta-bench-{i:08d}", value)
        if i % 10_000 == 9_999:
            pipe.execute()
    pipe.execute()


def start_consoles(run_dir: Path, out_dir: Path, first: int, count: int) -> list[tuple[Any, Path]]:
    from taskdeck_dev.procs import start_process

    started = []
    for k in range(first, first + count):
        out = out_dir / f"console-{k:02d}.txt"
        out.touch()
        proc = start_process(
            f"console-{k:02d}",
            [sys.executable, "-m", "bench.consoles_bench", "console", str(run_dir), str(out)],
            out_dir / f"console-{k:02d}.log",
            {"QT_QPA_PLATFORM": "offscreen"},
            die_with_parent=True,
        )
        started.append((proc, out))
    deadline = time.monotonic() + 120
    for proc, out in started:  # ready: its first queue depths shown
        while "Q " not in out.read_text():
            if not proc.alive() or time.monotonic() > deadline:
                raise RuntimeError(f"{proc.name} did not show queue depths:\n{proc.log_tail()}")
            time.sleep(0.2)
    return started


def run(
    count: int = CONSOLES, window_s: float = WINDOW_S, result_keys: int = RESULT_KEYS
) -> list[str]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from taskdeck_core.transport import QUEUES, SANDBOX_TRANSPORT
    from taskdeck_dev import sandbox
    from taskdeck_dev.procs import free_port

    windows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="taskdeck-bench-consoles-") as name:
        run_dir, out_dir = Path(name) / "sb", Path(name) / "consoles"
        out_dir.mkdir()
        sandbox.PREFERRED_PORTS.update({k: free_port() for k in sandbox.PREFERRED_PORTS})
        state, _ = sandbox.up(run_dir, rate=RATE, log=lambda _m: None)
        consoles: list[tuple[Any, Path]] = []
        try:
            client = redis.Redis.from_url(state.urls["broker"])
            backend = next(p for p in state.processes if p.name == "backend")
            lists = SANDBOX_TRANSPORT.all_list_names(QUEUES)
            args = (client, lists, backend.pid, Path(backend.log))

            def window(label: str, seconds: float = window_s) -> None:
                pids = [(proc.pid, out) for proc, out in consoles]
                windows.append(measure(label, seconds, *args, pids))
                print(f"consoles bench: {windows[-1]}", flush=True)

            time.sleep(10)  # traffic under way, Prometheus scraping
            window("no console", min(BASELINE_S, window_s))
            consoles += start_consoles(run_dir, out_dir, 0, 1)
            time.sleep(5)
            window("1 console")
            consoles += start_consoles(run_dir, out_dir, 1, count - 1)
            time.sleep(10)  # the starts' own work done
            window(f"{count} consoles")
            write_result_keys(client, result_keys)
            time.sleep(5)
            window(f"{count} consoles, +{result_keys:,} result keys")
            for proc, _ in consoles[1:]:
                proc.stop()
            del consoles[1:]
            time.sleep(5)
            window(f"1 console, +{result_keys:,} result keys")
        finally:
            for proc, _ in consoles:
                proc.stop()
            sandbox.down(run_dir)
    return rows(windows, count)


def rows(windows: list[dict[str, Any]], count: int) -> list[str]:
    out = [
        "| window | Redis CPU (share of a core) | Redis commands/s | Redis time by command (top 3, ms/s) | backend CPU | backend requests/s (top 3 /s) | finished task in the console's models: age p50 / p95 / max (worst console's p50) | depth refresh gap p50 / p95 / max | depth shown − LLEN (p50 / p95; mean depth) | consoles' CPU (cores) | load (1 min) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]  # fmt: skip
    for w in windows:
        f = w["fresh"]
        top = ", ".join(
            f"{name} {spent / 1000 / w['s']:.1f}" for name, (_c, spent) in w["redis_top"][:3]
        )
        reqs = ", ".join(f"{path} {n / w['s']:.1f}" for path, n in w["backend_top"][:3])
        fresh = (
            f"{f['age_p50'] * 1000:.0f} / {f['age_p95'] * 1000:.0f} / {f['age_max'] * 1000:.0f} ms "
            f"({f['worst_console_p50'] * 1000:.0f} ms; {f['events']:,} events)"
            if f["events"] else "–"
        )  # fmt: skip
        gaps = (f"{f['gap_p50']:.2f} / {f['gap_p95']:.2f} / {f['gap_max']:.2f} s"
                if f["gap_p50"] == f["gap_p50"] else "–")  # fmt: skip
        depth = (f"{f['depth_off_p50']:.0f} / {f['depth_off_p95']:.0f}; {f['depth_mean']:.0f}"
                 if f["depth_off_p50"] == f["depth_off_p50"] else "–")  # fmt: skip
        out.append(
            f"| {w['label']} ({w['keys']:,} keys, {w['s']:.0f} s) | {w['redis_cpu'] * 100:.1f} % | "
            f"{w['redis_ops']:,.0f} | {top} | {w['backend_cpu'] * 100:.1f} % | {w['backend_rps']:.1f} ({reqs}) | "
            f"{fresh} | {gaps} | {depth} | {w['consoles_cpu']:.2f} | {w['load']:.2f} |"
        )  # fmt: skip
    by = {w["consoles"]: w for w in windows if "result keys" not in w["label"]}
    if 1 in by and count in by:
        one, many = by[1], by[count]

        def compare(key: str, unit: str, scale: float = 1.0, digits: int = 1) -> str:
            step = (many[key] - one[key]) / (count - 1) * scale
            ratio = many[key] / one[key] if one[key] else float("nan")
            return f"×{ratio:.1f}, +{step:.{digits}f}{unit} per console"

        out.append(
            f"| {count} consoles against 1 | {compare('redis_cpu', ' %', 100, 2)} | "
            f"{compare('redis_ops', '', 1, 0)} | | {compare('backend_cpu', ' %', 100)} | "
            f"{compare('backend_rps', '')} | | | | {compare('consoles_cpu', '', 1, 2)} | |"
        )  # fmt: skip
    keyed = [w for w in windows if "result keys" in w["label"]]
    if count in by:
        worst = max([by[count]] + keyed, key=lambda w: w["redis_cpu"])
        verdict = "no" if worst["redis_cpu"] < SNAPSHOT_AT else "yes"
        out.append(
            f"| a shared snapshot of the broker reads needed? | {verdict}: Redis CPU at most "
            f"{worst['redis_cpu'] * 100:.0f} % of a core ({worst['label']}), against "
            f"{SNAPSHOT_AT * 100:.0f} % that would call for one | | | | | | | | | |"
        )  # fmt: skip
    return out


if __name__ == "__main__":
    if sys.argv[1:2] == ["console"] and len(sys.argv) == 4:
        console_main(Path(sys.argv[2]), Path(sys.argv[3]))
    elif sys.argv[1:2] == ["quick"]:  # a short trial: 3 consoles, 20 s windows, 100,000 keys
        print("\n".join(run(3, 20.0, 100_000)))
    else:
        raise SystemExit("usage: python -m bench.consoles_bench quick | console RUN_DIR OUT_FILE")
