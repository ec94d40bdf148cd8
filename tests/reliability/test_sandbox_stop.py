"""Stopping the sandbox: 'down' lets the tasks the workers run finish (within a grace
period), and the demo stops every process it started, however it ends. Every process a
test starts is found by pid (and start time) and must be gone when it is over."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from taskdeck_core.transport import QUEUES
from taskdeck_dev import sandbox
from taskdeck_dev.stack import running_redis, start_worker
from taskdeck_worker.celery_app import create_celery
from taskdeck_worker.config import WorkerSettings
from tests.helpers import wait_for
from tests.process_watch import Seen, descendants, still_running, watching

pytestmark = [pytest.mark.integration, pytest.mark.reliability]

SANDBOX = [sys.executable, "-m", "taskdeck_dev.sandbox"]
SLOW_FILE = "f3"  # its simulated copy takes about 1.0 s at speed 1 (never slowed further)
SPEED = 0.25  # so it takes about 4 s


# --- 'down' lets running tasks finish ------------------------------------------------------


def _task_seconds(file_id: str) -> float:
    from taskdeck_worker.tasks import data_sync

    return (
        data_sync._sleep_for(data_sync._attempt_rng(file_id, 0)) * data_sync.settings.workload_speed
    )


def _start_one_task(broker_url: str, nodename: str) -> str:
    control = create_celery(WorkerSettings(broker_url=broker_url), results=False)
    try:
        result = control.send_task(
            "data_sync.sync_single_file", args=[SLOW_FILE, "alice"], queue="data_sync"
        )

        def running() -> bool:
            active = control.control.inspect(destination=[nodename], timeout=0.5).active() or {}
            return any(t["id"] == result.id for t in active.get(nodename, []))

        wait_for(running, 30, "the task to run")
        return str(result.id)
    finally:
        control.close()


def _waiting_messages(client: redis.Redis) -> int:
    lists = [key for key in client.scan_iter() if key.decode().startswith(QUEUES)]
    return sum(int(client.llen(key)) for key in lists if client.type(key) == b"list") + int(
        client.hlen("unacked")
    )


@pytest.mark.parametrize("grace", [30.0, 1.0])
def test_down_lets_a_running_task_finish_within_its_grace(tmp_path: Path, grace: float) -> None:
    """With grace: the task finishes and is not delivered again. Past it: 'down' ends on
    time, the task is handed back to the broker (it runs again), and no process is left."""
    seconds = _task_seconds(SLOW_FILE) / SPEED
    assert 3 < seconds < 6
    env = {"TASKDECK_WORKLOAD_SPEED": str(SPEED), "TASKDECK_WORKLOAD_FAILURE_RATE": "0"}
    run_dir = tmp_path / "sb"
    with running_redis(tmp_path / "redis") as broker:
        worker = start_worker(run_dir, broker.url, "worker1", concurrency=1, env=env)
        state = sandbox.SandboxState(run_dir=run_dir, processes=[worker])
        state.save()
        client = redis.Redis.from_url(broker.url)
        try:
            task_id = _start_one_task(broker.url, "worker1@taskdeck")
            pool = descendants(worker.pid)
            assert pool, "the prefork worker has pool processes"
            began = time.monotonic()
            stopped = sandbox.down(run_dir, grace=grace)
            took = time.monotonic() - began
            assert stopped == ["worker1"]
            assert not still_running({worker.pid: worker.start_time, **pool})
            meta = client.get(f"celery-task-meta-{task_id}")
            if grace > seconds:
                assert took < seconds + 5
                assert meta is not None and json.loads(meta)["status"] == "SUCCESS"
                assert _waiting_messages(client) == 0, "the finished task would run again"
            else:
                assert took < grace + 12  # the grace, then at most SIGTERM's and SIGKILL's waits
                assert meta is None or json.loads(meta)["status"] != "SUCCESS"
                assert _waiting_messages(client) == 1, "the cut task must be delivered again"
        finally:
            client.close()
            worker.stop()


# --- the demo stops everything it started ---------------------------------------------------


def _demo(run_dir: Path, shots: Path, run_for: float) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    return subprocess.Popen(
        [*SANDBOX, "--run-dir", str(run_dir), "demo", "--screenshots", str(shots),
         "--run-for", str(run_for), "--grace", "5"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )  # fmt: skip


def _console_on_xvfb(seen: Seen) -> bool:
    return bool(seen.matching("Xvfb :") and seen.matching(" -m console "))


def _ended(demo: subprocess.Popen[str], timeout: float) -> str:
    try:
        return demo.communicate(timeout=timeout)[0]
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait()


@pytest.mark.parametrize("how", ["runs out", "hung up, then terminated while cleaning up"])
def test_the_demo_stops_every_process_it_started(tmp_path: Path, how: str) -> None:
    run_dir = tmp_path / "sb"
    demo = _demo(run_dir, tmp_path / "shots", 4 if how == "runs out" else 120)
    try:
        with watching(demo.pid) as seen:
            wait_for(lambda: _console_on_xvfb(seen) or demo.poll() is not None, 90, "the console")
            assert demo.poll() is None, "the demo ended before its console started"
            if how != "runs out":
                console = seen.matching(" -m console ")
                demo.send_signal(signal.SIGHUP)
                # Its clean-up has begun once the console is gone; a second signal then.
                wait_for(
                    lambda: not still_running(console) or demo.poll() is not None,
                    20,
                    "the console to be stopped",
                )
                demo.send_signal(signal.SIGTERM)
            output = _ended(demo, 90)
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
        sandbox.down(run_dir, grace=0)
    assert demo.returncode == (0 if how == "runs out" else 129), output
    assert "Traceback" not in output
    assert len(seen) >= 10  # the stack, its pool processes, Xvfb and the console
    assert not still_running(seen), output


def test_a_killed_demo_takes_its_screen_and_console_with_it(tmp_path: Path) -> None:
    """SIGKILL leaves the demo no time to clean up: its Xvfb and console end with it, and the
    sandbox stack stays recorded for 'down'."""
    run_dir = tmp_path / "sb"
    demo = _demo(run_dir, tmp_path / "shots", 120)
    try:
        with watching(demo.pid) as seen:
            wait_for(lambda: _console_on_xvfb(seen) or demo.poll() is not None, 90, "the console")
            assert demo.poll() is None, "the demo ended before its console started"
        # Running now under their own command lines: a short-lived child the console forked
        # (a library asking ldconfig, say) was seen with the console's command line
        # between its fork and its exec, and is gone.
        running = still_running({**seen.matching("Xvfb :"), **seen.matching(" -m console ")})
        own = {pid: seen[pid] for pid, command in running.items()
               if "Xvfb :" in command or " -m console " in command}  # fmt: skip
        assert len(own) == 2, running
        os.killpg(demo.pid, signal.SIGKILL)
        demo.wait()
        wait_for(lambda: not still_running(own), 10, "the demo's Xvfb and console to end")
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait()
        sandbox.down(run_dir, grace=0)
    assert not still_running(seen)
