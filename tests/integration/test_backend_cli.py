"""taskdeck-backend meets bad input with one clear line, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest

from taskdeck_dev.procs import LOOPBACK, free_port, start_process, wait_until

pytestmark = pytest.mark.integration

BACKEND = [sys.executable, "-m", "backend.main"]


def run_backend(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*BACKEND, *args],
        env=dict(os.environ, **env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_port_already_in_use(listening_port: int) -> None:
    out = run_backend(["--port", str(listening_port)])
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert (
        f"port {listening_port}" in lines[0]
        and "already in use" in lines[0]
        and "--port" in lines[0]
    )


def test_bad_broker_url_in_environment() -> None:
    out = run_backend(["--port", str(free_port())], TASKDECK_BROKER_URL="http://cache:6379")
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("taskdeck-backend: error: TASKDECK_BROKER_URL")
    assert "redis://" in lines[0]


def test_unreachable_broker_warns_once_and_health_reports_it(tmp_path: os.PathLike[str]) -> None:
    port = free_port()
    dead_broker = f"redis://{LOOPBACK}:{free_port()}/0"
    log = tmp_path / "backend.log"  # type: ignore[operator]
    proc = start_process(
        "backend",
        [*BACKEND, "--port", str(port)],
        log,
        {"TASKDECK_BROKER_URL": dead_broker, "TASKDECK_DATA_DIR": str(tmp_path)},
    )
    try:
        url = f"http://{LOOPBACK}:{port}/health"
        wait_until(lambda: httpx.get(url, timeout=1).status_code == 200, 30, "backend", proc)
        health = httpx.get(url, timeout=5).json()
        assert health["status"] == "degraded"
        assert health["dependencies"]["broker"]["up"] is False
        assert "Connect" in health["dependencies"]["broker"]["error"]
    finally:
        proc.stop()
    text = log.read_text()
    warnings = [line for line in text.splitlines() if "warning: the broker" in line]
    assert len(warnings) == 1
    assert dead_broker in warnings[0] and "TASKDECK_BROKER_URL" in warnings[0]
    assert "Traceback" not in text
