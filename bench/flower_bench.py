"""TaskDeck next to Flower 2.x: the same burst on the same Redis, in the same run.

Flower is installed by this benchmark into a virtual environment of its own
(``build/flower-venv``, made once and reused; never a project dependency), with
hiredis, the same C reply parser the backend uses.

How both are fed the same burst, fairly:
- Recorded once per run from real work: a real redis-server, a real prefork
  Celery worker with the TaskDeck plug-in (``--task-events``) and a producer
  with ``task_send_sent_event``, running ``FLOWER_BENCH_RECORD`` data-sync
  tasks (simulated work made negligible). While they run, every Celery event
  message is captured off the broker's pub/sub channels as sent (kombu's raw
  message), and afterwards the lifecycle stream's entries and the result
  backend's ``celery-task-meta-*`` values are read back.
- Scaled to the burst size (``FLOWER_BENCH_TASKS``, 100,000 by default) by
  replaying that recording as many times as needed with new task ids (each
  copy's ids, ``root_id`` included, renamed) and times moved back by the
  recording's span per copy, so copies do not overlap. Task events only:
  worker heartbeats are not replayed.
- Each consumer runs alone (2 shared cores: running them together would
  measure who wins the CPU), on a flushed Redis with the results preloaded
  (a real burst leaves them there), is ready and subscribed (``PUBSUB NUMPAT``)
  before the clock starts, and is then fed the whole burst at once with
  ``redis-cli --pipe``: PUBLISH of the recorded event messages for Flower and
  for TaskDeck's events fallback (``TASKDECK_LEDGER_SOURCE=events``, its
  buffer as large as the burst: Redis's pub/sub output buffer, made
  unlimited, holds what Flower has not read yet, so neither drops events),
  XADD of the recorded lifecycle records for TaskDeck's stream mode. Redis
  runs without AOF or snapshots here, for both alike.
- Drain rate: tasks of the burst / time from the first byte fed to the moment
  every task's success is counted (Flower's ``flower_events_total`` of
  ``task-succeeded``, TaskDeck's ``celery_task_succeeded_total``, which the
  backend counts after the ledger committed the batch), polled every 0.1 s.
  Three rounds, the order of the three consumers alternating (forwards, then
  backwards); medians of 3, and the ratios of the medians.
- Then, with the whole burst held: the task list (Flower's ``/api/tasks?limit=100``
  and its tasks page's data ``/tasks/datatable`` newest first, 100 rows; TaskDeck's
  ``GET /api/v1/tasks?limit=100``), median of 20 requests each, and the resident
  memory (VmRSS) of the Flower process and of the backend process.
- The CPU time (user and system) the consumer's process used during the drain, per task:
  on a shared machine, the figure others' load moves least.
- The backend runs as shipped: with the ingest helper process it starts on a machine of
  two cores or more (``TASKDECK_INGEST_HELPERS``); its memory and CPU time here are the
  backend's and its helper's together.
- The load average (1 min) is read before and after each run.

``FLOWER_BENCH_TASKS=20000 .venv/bin/python -m bench flower`` runs a smaller burst.
"""

from __future__ import annotations

import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import redis

from bench.backend_bench import family, rss_mb, start_bench_backend
from taskdeck_core import lifecycle as lc
from taskdeck_dev.procs import LOOPBACK, ManagedProcess, free_port, start_process, wait_until
from taskdeck_dev.stack import running_redis, start_worker
from taskdeck_worker.celery_app import create_celery
from taskdeck_worker.config import WorkerSettings

ROOT = Path(__file__).resolve().parent.parent
FLOWER_VENV = ROOT / "build" / "flower-venv"
# kombu's Redis transport needs redis and packaging; hiredis gives Flower the same C reply
# parser as the backend.
FLOWER_REQUIREMENTS = ["flower>=2.2,<3", "celery[redis]", "packaging", "hiredis"]
TASKS = int(os.environ.get("FLOWER_BENCH_TASKS", "100000"))
RECORD = int(os.environ.get("FLOWER_BENCH_RECORD", "2000"))
ROUNDS = 3
LIST_REPEAT = 20
DRAIN_TIMEOUT_S = 600.0
TOKEN = "bench-admin-token-0123456789"
METRICS_TOKEN = "bench-metrics-token-0123456789"
SYNC = "data_sync.sync_single_file"
EVENT_CHANNELS = "/0.celeryev/*"
CONSUMERS = ("flower", "stream", "events")
LABELS = {
    "flower": "Flower 2.x (Celery events)",
    "stream": "TaskDeck, stream mode (lifecycle stream)",
    "events": "TaskDeck, events fallback (Celery events)",
}


# -- Flower's own environment --------------------------------------------------------


def flower_celery() -> Path:
    """The ``celery`` command of the bench-only environment holding Flower (made if missing)."""
    celery = FLOWER_VENV / "bin" / "celery"
    python = FLOWER_VENV / "bin" / "python"
    if (
        celery.exists()
        and subprocess.run(
            [str(python), "-c", "import flower, packaging, hiredis"], capture_output=True
        ).returncode
        == 0
    ):
        return celery
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(FLOWER_VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", *FLOWER_REQUIREMENTS], check=True)
    return celery


def flower_version() -> str:
    python = FLOWER_VENV / "bin" / "python"
    out = subprocess.run(
        [str(python), "-c", "import flower, celery; print(flower.__version__, celery.__version__)"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    flower_v, celery_v = out.stdout.split()
    return f"Flower {flower_v} (Celery {celery_v})"


# -- recording a real burst ------------------------------------------------------------


@dataclass
class Recording:
    events: list[tuple[bytes, bytes]] = field(default_factory=list)  # channel, kombu message
    stream: list[dict[bytes, bytes]] = field(default_factory=list)
    results: dict[str, bytes] = field(default_factory=dict)  # task id -> result value
    task_ids: list[str] = field(default_factory=list)
    # kombu's queue bindings as the workers left them (the backend learns the transport's
    # separator from them before it binds its event receiver, as on a real system)
    bindings: dict[bytes, list[bytes]] = field(default_factory=dict)
    span_s: float = 0.0


def _capture(client: redis.Redis, into: list[tuple[bytes, bytes]], stop: threading.Event,
             ready: threading.Event) -> None:  # fmt: skip
    pubsub = client.pubsub()
    pubsub.psubscribe(EVENT_CHANNELS)
    ready.set()
    while not stop.is_set():
        message = pubsub.get_message(timeout=0.2)
        if message and message["type"] == "pmessage":
            into.append((message["channel"], message["data"]))
    pubsub.close()


def _events_of(data: bytes) -> list[dict[str, Any]]:
    """The events a kombu message holds: one, or a list (a worker's ``task.multi``)."""
    body = json.loads(base64.b64decode(json.loads(data)["body"]))
    return body if isinstance(body, list) else [body]


def record_burst(tmp: Path, url: str, n: int) -> Recording:
    """``n`` data-sync tasks through a real worker, with what they sent recorded."""
    client = redis.Redis.from_url(url)
    rec = Recording()
    stop, ready = threading.Event(), threading.Event()
    capture = threading.Thread(target=_capture, args=(client, rec.events, stop, ready))
    capture.start()
    ready.wait(10)
    fast = {"TASKDECK_WORKLOAD_SPEED": "1000", "TASKDECK_WORKLOAD_FAILURE_RATE": "0"}
    worker = start_worker(tmp, url, "flowerbench", concurrency=2, env=fast)
    app = create_celery(WorkerSettings(broker_url=url))
    try:
        sent = [
            app.send_task(SYNC, args=[f"f-{i}", f"user{i % 50:03d}"], queue="data_sync")
            for i in range(n)
        ]
        for result in sent:
            result.get(timeout=300)
        rec.task_ids = [r.id for r in sent]

        def all_events() -> bool:
            kinds = [e.get("type") for _, data in list(rec.events) for e in _events_of(data)]
            return kinds.count("task-succeeded") >= n

        wait_until(all_events, 60, "every task-succeeded event recorded")
    finally:
        stop.set()
        capture.join()
        app.close()
        worker.stop()
    wanted = set(rec.task_ids)
    rec.events = [(ch, data) for ch, data in rec.events if b"/0.celeryev/task." in ch]
    entries: Any = client.xrange(lc.STREAM_KEY)
    rec.stream = [fields for _eid, fields in entries if fields[b"task_id"].decode() in wanted]
    values: Any = client.mget([f"celery-task-meta-{t}" for t in rec.task_ids])
    rec.results = {t: v for t, v in zip(rec.task_ids, values, strict=True) if v}
    for key in client.scan_iter(b"_kombu.binding.*"):
        members: Any = client.smembers(key)
        rec.bindings[key] = list(members)
    stamps = [float(f[b"ts"]) for f in rec.stream]
    rec.span_s = max(stamps) - min(stamps) + 1.0
    client.close()
    return rec


# -- scaling the recording into a burst, as redis-cli --pipe input ------------------------


def _resp(*args: bytes) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        out.append(b"$%d\r\n%s\r\n" % (len(arg), arg))
    return b"".join(out)


def _copies(rec: Recording, n: int) -> Iterator[tuple[int, dict[str, str], float]]:
    """(copy number, old id -> new id, time shift) for as many copies as ``n`` tasks need;
    the last copy may be partial (its mapping then holds only the tasks kept)."""
    per = len(rec.task_ids)
    copies = -(-n // per)
    for j in range(copies):
        keep = rec.task_ids[: min(per, n - j * per)]
        names = {
            t: (t if j == 0 else str(uuid.uuid5(uuid.NAMESPACE_OID, f"{t}/{j}"))) for t in keep
        }
        yield j, names, -(copies - 1 - j) * rec.span_s


def _renamed(text: str, old: str, new: str) -> str:
    return text if old == new else text.replace(old, new)


def _renamed_event(event: dict[str, Any], names: dict[str, str], shift: float) -> dict[str, Any]:
    old = event["uuid"]
    new = names[old]
    out = dict(event, uuid=new, timestamp=event["timestamp"] + shift)
    for key in ("root_id", "parent_id"):
        if out.get(key) == old:
            out[key] = new
    return out


@dataclass
class Feed:
    events: Path  # PUBLISH commands
    stream: Path  # XADD commands
    results: Path  # SET commands, and SADD of kombu's bindings
    tasks: int
    event_count: int  # task events
    message_count: int  # pub/sub messages holding them
    record_count: int


def build_feed(rec: Recording, n: int, out: Path) -> Feed:
    order: list[tuple[bytes, dict[str, Any], list[dict[str, Any]], bool]] = []
    for channel, data in rec.events:
        message = json.loads(data)
        body = json.loads(base64.b64decode(message["body"]))
        many = isinstance(body, list)
        order.append((channel, message, body if many else [body], many))
    event_count = record_count = message_count = 0
    with (
        open(out / "events.resp", "wb") as ev,
        open(out / "stream.resp", "wb") as st,
        open(out / "results.resp", "wb") as rs,
    ):
        for _j, names, shift in _copies(rec, n):
            for channel, message, body, many in order:
                renamed = [_renamed_event(e, names, shift) for e in body if e["uuid"] in names]
                if not renamed:
                    continue
                payload = json.dumps(renamed if many else renamed[0]).encode()
                m = dict(message, body=base64.b64encode(payload).decode())
                m["properties"] = dict(message["properties"], delivery_tag=str(uuid.uuid4()))
                ev.write(_resp(b"PUBLISH", channel, json.dumps(m).encode()))
                event_count += len(renamed)
                message_count += 1
            for fields in rec.stream:
                old = fields[b"task_id"].decode()
                new = names.get(old)
                if new is None:
                    continue
                ts = repr(float(fields[b"ts"]) + shift).encode()
                data = _renamed(fields[b"data"].decode(), old, new).encode()
                st.write(_resp(b"XADD", lc.STREAM_KEY.encode(), b"*", b"type", fields[b"type"],
                               b"task_id", new.encode(), b"ts", ts, b"data", data))  # fmt: skip
                record_count += 1
            for old, new in names.items():
                value = rec.results.get(old)
                if value is not None:
                    text = _renamed(value.decode(), old, new).encode()
                    rs.write(_resp(b"SET", f"celery-task-meta-{new}".encode(), text))
        for key, members in rec.bindings.items():
            rs.write(_resp(b"SADD", key, *members))
    return Feed(out / "events.resp", out / "stream.resp", out / "results.resp", n,
                event_count, message_count, record_count)  # fmt: skip


def pipe(port: int, path: Path) -> None:
    with open(path, "rb") as source:
        subprocess.run(
            ["redis-cli", "-h", LOOPBACK, "-p", str(port), "--pipe"],
            stdin=source, stdout=subprocess.DEVNULL, check=True,
        )  # fmt: skip


# -- one consumer, one run ---------------------------------------------------------------


def _counter_sum(text: str, name: str, must: str = "") -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") and must in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def _median_ms(client: httpx.Client, path: str, params: dict[str, Any]) -> float:
    client.get(path, params=params)  # warm-up
    samples = []
    for _ in range(LIST_REPEAT):
        started = time.perf_counter()
        reply = client.get(path, params=params)
        samples.append((time.perf_counter() - started) * 1000)
        assert reply.status_code == 200, reply.text[:300]
    return statistics.median(samples)


def start_flower(tmp: Path, url: str, max_tasks: int) -> tuple[ManagedProcess, str]:
    port = free_port()
    argv = [str(flower_celery()), "--broker", url, "flower", f"--address={LOOPBACK}",
            f"--port={port}", f"--max_tasks={max_tasks}", "--persistent=False"]  # fmt: skip
    proc = start_process("flower", argv, tmp / "logs" / f"flower-{port}.log",
                         {"FLOWER_UNAUTHENTICATED_API": "true"})  # fmt: skip
    base = f"http://{LOOPBACK}:{port}"

    def ready() -> bool:
        try:
            return httpx.get(f"{base}/healthcheck", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(ready, 60, "Flower", proc)
    except BaseException:
        proc.stop()
        raise
    return proc, base


def cpu_s(proc: ManagedProcess) -> float:
    """CPU time (user and system, all threads) ``proc`` and the processes it started (a
    backend's ingest helpers) have used so far."""
    total = 0
    for pid in family(proc.pid):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


@dataclass
class Run:
    consumer: str
    tasks_per_s: float
    seconds: float
    list_ms: dict[str, float]
    rss_mb: float
    load: tuple[float, float]
    cpu_ms_per_task: float  # the consumer process's CPU time during the drain, per task


def run_once(tmp: Path, port: int, url: str, feed: Feed, consumer: str, k: int) -> Run:
    client = redis.Redis.from_url(url)
    client.flushall()
    pipe(port, feed.results)
    name = f"{consumer}-{k}"
    if consumer == "flower":
        proc, base = start_flower(tmp, url, max(feed.tasks, 100_000))
        headers: dict[str, str] = {}
        metrics_path, counter, must = "/metrics", "flower_events_total", 'type="task-succeeded"'
    else:
        (tmp / name / "data").mkdir(parents=True, exist_ok=True)
        proc, base = start_bench_backend(tmp, name, url, env={
            "TASKDECK_LEDGER_SOURCE": consumer, "TASKDECK_METRICS_TOKEN": METRICS_TOKEN,
            "TASKDECK_EVENTS_BUFFER": str(max(feed.event_count + 1000, 200_000)),
        })  # fmt: skip
        headers = {"Authorization": f"Bearer {METRICS_TOKEN}"}
        metrics_path, counter, must = "/metrics", "celery_task_succeeded_total", ""
    try:
        with httpx.Client(base_url=base, headers=headers, timeout=120) as http:
            wait_until(lambda: bool(client.execute_command("PUBSUB", "NUMPAT")), 30,
                       f"{consumer} subscribed to Celery events", proc)  # fmt: skip
            if consumer == "stream":
                wait_until(lambda: bool(client.exists(lc.STREAM_KEY)), 30,
                           "the ledger's consumer group", proc)  # fmt: skip
            load0 = os.getloadavg()[0]
            cpu0 = cpu_s(proc)
            started = time.perf_counter()
            feeder = threading.Thread(
                target=pipe, args=(port, feed.stream if consumer == "stream" else feed.events)
            )
            feeder.start()
            done = 0.0
            while done < feed.tasks:
                if time.perf_counter() - started > DRAIN_TIMEOUT_S:
                    raise RuntimeError(f"{consumer}: {done:.0f} of {feed.tasks} tasks after "
                                       f"{DRAIN_TIMEOUT_S:.0f} s")  # fmt: skip
                time.sleep(0.1)
                done = _counter_sum(http.get(metrics_path).text, counter, must)
            seconds = time.perf_counter() - started
            cpu = cpu_s(proc) - cpu0
            feeder.join()
            load1 = os.getloadavg()[0]
            if consumer == "flower":
                list_ms = {
                    "api": _median_ms(http, "/api/tasks", {"limit": 100}),
                    "page": _median_ms(
                        http,
                        "/tasks/datatable",
                        {
                            "draw": 1,
                            "start": 0,
                            "length": 100,
                            "search[value]": "",
                            "order[0][column]": 0,
                            "order[0][dir]": "desc",
                            "columns[0][data]": "received",
                        },
                    ),  # fmt: skip
                }
            else:
                http.headers["Authorization"] = f"Bearer {TOKEN}"
                list_ms = {"api": _median_ms(http, "/api/v1/tasks", {"limit": 100})}
            rss = rss_mb(proc)
    finally:
        proc.stop()
        client.close()
    return Run(
        consumer, feed.tasks / seconds, seconds, list_ms, rss, (load0, load1),
        cpu * 1000 / feed.tasks,
    )  # fmt: skip


def bench(tmp: Path) -> tuple[Feed, list[Run], str]:
    flower_celery()
    version = flower_version()
    with running_redis(tmp) as server:
        client = redis.Redis.from_url(server.url)
        client.config_set("appendonly", "no")
        client.config_set("save", "")
        client.config_set("client-output-buffer-limit", "pubsub 0 0 0")
        rec = record_burst(tmp, server.url, RECORD)
        client.close()
        feed = build_feed(rec, TASKS, tmp)
        runs = []
        for k in range(ROUNDS):
            order = CONSUMERS if k % 2 == 0 else CONSUMERS[::-1]
            for consumer in order:
                run = run_once(tmp, server.port, server.url, feed, consumer, k)
                print(f"bench flower: round {k} {consumer}: {run.tasks_per_s:,.0f} tasks/s "
                      f"({run.seconds:.1f} s, {run.cpu_ms_per_task:.3f} CPU ms/task), list {run.list_ms}, {run.rss_mb:.0f} MB, "
                      f"load {run.load[0]:.1f}-{run.load[1]:.1f}", flush=True)  # fmt: skip
                runs.append(run)
    return feed, runs, version


def rows(feed: Feed, runs: list[Run], version: str) -> list[str]:
    def of(consumer: str) -> list[Run]:
        return [r for r in runs if r.consumer == consumer]

    rate = {c: statistics.median(r.tasks_per_s for r in of(c)) for c in CONSUMERS}
    api = {c: statistics.median(r.list_ms["api"] for r in of(c)) for c in CONSUMERS}
    page = statistics.median(r.list_ms["page"] for r in of("flower"))
    rss = {c: statistics.median(r.rss_mb for r in of(c)) for c in CONSUMERS}
    cpu = {c: statistics.median(r.cpu_ms_per_task for r in of(c)) for c in CONSUMERS}
    loads = [x for r in runs for x in r.load]
    n = f"{feed.tasks:,}"
    out = [
        f"{version}; burst of {n} tasks: {feed.event_count:,} Celery task events "
        f"({feed.event_count / feed.tasks:.1f} per task) in {feed.message_count:,} messages, "
        f"{feed.record_count:,} lifecycle "
        f"records ({feed.record_count / feed.tasks:.1f} per task), replayed from a recording "
        f"of {RECORD:,} real tasks; {ROUNDS} rounds, load average (1 min) "
        f"{min(loads):.1f}-{max(loads):.1f} over the runs.",
        "",
        "| measure | " + " | ".join(LABELS[c] for c in CONSUMERS) + " | TaskDeck vs Flower |",
        "| --- | --- | --- | --- | --- |",
        f"| drain of the burst, tasks/s (median of {ROUNDS}; each run) | "
        + " | ".join(
            f"{rate[c]:,.0f} ({', '.join(f'{r.tasks_per_s:,.0f}' for r in of(c))})"
            for c in CONSUMERS
        )
        + f" | stream {rate['stream'] / rate['flower']:.2f}×, events "
        f"{rate['events'] / rate['flower']:.2f}× (targets ≥ 5×, ≥ 2.5×) |",
        "| CPU time of the consumer process during the drain, ms per task (median; "
        "the figure least moved by others' load) | "
        + " | ".join(f"{cpu[c]:.3f}" for c in CONSUMERS)
        + f" | Flower ÷ TaskDeck: stream {cpu['flower'] / cpu['stream']:.2f}×, events "
        f"{cpu['flower'] / cpu['events']:.2f}× |",
        f"| task list at {n} tasks, 100 rows, median ms (Flower: /api/tasks; its tasks "
        f"page's data {page:.0f} ms) | "
        + " | ".join(f"{api[c]:.1f}" for c in CONSUMERS)
        + f" | Flower ÷ TaskDeck (stream): /api/tasks {api['flower'] / api['stream']:.1f}×, "
        f"tasks page {page / api['stream']:.1f}× |",
        f"| memory (VmRSS) holding {n} tasks, MB (median) | "
        + " | ".join(f"{rss[c]:.0f}" for c in CONSUMERS)
        + f" | Flower ÷ TaskDeck: {rss['flower'] / rss['stream']:.1f}× (stream), "
        f"{rss['flower'] / rss['events']:.1f}× (events) |",
    ]
    return out


def run() -> list[str]:
    with tempfile.TemporaryDirectory(prefix="taskdeck-bench-") as name:
        feed, runs, version = bench(Path(name))
    return rows(feed, runs, version)


if __name__ == "__main__":
    print("\n".join(run()))
