"""The sandbox stack starts, reports and stops cleanly, leaving no process behind."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from taskdeck_dev import sandbox
from taskdeck_dev.procs import ManagedProcess, free_port, process_start_time
from tests.helpers import wait_for
from tests.process_watch import still_running, watching

pytestmark = pytest.mark.integration

SANDBOX = [sys.executable, "-m", "taskdeck_dev.sandbox"]


def recorded(run_dir: Path) -> list[ManagedProcess]:
    data = json.loads((run_dir / "state.json").read_text())
    return [ManagedProcess.from_dict(p) for p in data["processes"]]


def all_gone(procs: list[ManagedProcess]) -> bool:
    return all(process_start_time(p.pid) != p.start_time for p in procs)


def test_up_status_down_leaves_no_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, listening_port: int
) -> None:
    preferred = {name: free_port() for name in sandbox.PREFERRED_PORTS}
    preferred["backend"] = listening_port
    monkeypatch.setattr(sandbox, "PREFERRED_PORTS", preferred)
    run_dir = tmp_path / "sb"
    procs: list[ManagedProcess] = []
    try:
        state, started = sandbox.up(run_dir, rate=5, log=lambda _m: None)
        procs = recorded(run_dir)
        assert started
        assert [p.name for p in procs] == [
            "redis", "worker1", "worker2", "backend", "alertmanager", "prometheus", "traffic",
        ]  # fmt: skip
        assert all(p.alive() for p in procs)
        # The tokens are readable by this user only.
        for private in (run_dir / "state.json", run_dir / "backend" / "tokens.json",
                        run_dir / "prometheus" / "metrics.token"):  # fmt: skip
            assert stat.S_IMODE(private.stat().st_mode) == 0o600, private
        assert stat.S_IMODE(run_dir.stat().st_mode) == 0o700
        # The busy preferred port was avoided, and every other port is what was asked.
        assert state.ports["backend"] != listening_port
        assert state.ports["redis"] == preferred["redis"]
        health = httpx.get(f"{state.urls['backend']}/health", timeout=5).json()
        assert health["dependencies"]["broker"]["up"] is True
        # Prometheus reads /metrics with the backend's scrape token; a caller without it cannot.
        assert httpx.get(f"{state.urls['backend']}/metrics", timeout=5).status_code == 401

        def scraped() -> bool:
            reply = httpx.get(f"{state.urls['prometheus']}/api/v1/targets", timeout=5)
            return [t["health"] for t in reply.json()["data"]["activeTargets"]] == ["up"]

        wait_for(scraped, 30, "Prometheus to scrape the backend with its token")
        # The backend is told the workers' ten priority steps.
        backend = next(p for p in procs if p.name == "backend")
        environ = Path(f"/proc/{backend.pid}/environ").read_bytes().split(b"\0")
        assert b"TASKDECK_PRIORITY_STEPS=0,1,2,3,4,5,6,7,8,9" in environ
        # An admin silences alerts through the backend, in the sandbox's Alertmanager.
        reply = httpx.post(
            f"{state.urls['backend']}/api/v1/silences",
            headers={"Authorization": f"Bearer {state.tokens['admin']}"},
            json={"matchers": [{"name": "alertname", "value": "QueueBacklog"}],
                  "ends_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
                  "comment": "sandbox check"},
            timeout=10,
        )  # fmt: skip
        assert reply.status_code == 200, reply.text
        silence_url = f"{state.urls['alertmanager']}/api/v2/silence/{reply.json()['silence_id']}"
        assert httpx.get(silence_url, timeout=5).json()["createdBy"] == "sandbox-admin"

        # A second 'up' starts nothing new.
        again, started_again = sandbox.up(run_dir, rate=5, log=lambda _m: None)
        assert not started_again
        assert [p.pid for p in recorded(run_dir)] == [p.pid for p in procs]

        lines, code = sandbox.status_lines(run_dir)
        assert code == 0
        assert any(state.urls["prometheus"] in line for line in lines)
    finally:
        stopped = sandbox.down(run_dir)
    assert set(stopped) == {p.name for p in procs}
    assert all_gone(procs)
    assert sandbox.status_lines(run_dir)[1] == 3
    assert not (run_dir / "state.json").exists()


def test_missing_binary_is_one_clear_line_and_starts_nothing(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "redis-server").symlink_to("/usr/bin/redis-server")
    env = dict(os.environ, PATH=str(bin_dir))
    run_dir = tmp_path / "sb"
    out = subprocess.run(
        [*SANDBOX, "--run-dir", str(run_dir), "up"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert "'prometheus' was not found" in lines[0] and "apt-get install prometheus" in lines[0]
    assert "Traceback" not in out.stderr + out.stdout
    assert not (run_dir / "state.json").exists() or not recorded(run_dir)


def test_demo_interrupted_with_ctrl_c_leaves_no_process(tmp_path: Path) -> None:
    run_dir = tmp_path / "sb"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    demo = subprocess.Popen(
        [*SANDBOX, "--run-dir", str(run_dir), "demo", "--screenshots", str(tmp_path / "shots"),
         "--run-for", "120"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        procs: list[ManagedProcess] = []
        with watching(demo.pid) as seen:  # every process the demo starts, by pid
            while time.monotonic() < deadline:
                if (run_dir / "state.json").exists():
                    procs = recorded(run_dir)
                    # Interrupted while its virtual screen starts: the least forgiving moment.
                    if len(procs) == 7 and (run_dir / "logs" / "xvfb.log").exists():
                        break
                assert demo.poll() is None, "demo ended early"
                time.sleep(0.2)
            assert len(procs) == 7, "the sandbox did not come up"
            demo.send_signal(signal.SIGINT)
            output, _ = demo.communicate(timeout=60)
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait()
            sandbox.down(run_dir)
    assert demo.returncode == 130, output
    assert "Traceback" not in output
    assert all_gone(procs)
    assert not still_running(seen), "the demo left processes behind"
