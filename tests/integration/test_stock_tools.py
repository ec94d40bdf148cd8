"""Stock Celery tools read the sandbox's broker with no app and no transport options.

The data-sync system keeps kombu's default separator, so the command line
``celery -b URL ...`` (and Flower, which reads the broker the same way) finds
its workers: their replies are routed through bindings both sides name alike.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from taskdeck_dev.procs import ManagedProcess
from tests.conftest import Server

pytestmark = pytest.mark.integration

NODE = "testworker@taskdeck"  # the session worker of tests/conftest.py


def stock_celery(broker_url: str, args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """``celery -b URL <args>`` as a user would run it: no app, no config module, none of
    the project's or Celery's settings in the environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TASKDECK_", "CELERY_"))}
    return subprocess.run(
        [sys.executable, "-m", "celery", "-b", broker_url, *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_stock_inspect_ping_reaches_the_worker(
    redis_server: Server, celery_worker: ManagedProcess, tmp_path: Path
) -> None:
    out = stock_celery(redis_server.url, ["inspect", "ping", "--timeout", "5"], tmp_path)
    said = out.stdout + out.stderr
    assert "No nodes replied" not in said
    assert f"{NODE}: OK" in out.stdout, said
    assert out.returncode == 0, said


def test_stock_inspect_active_queues_lists_data_sync(
    redis_server: Server, celery_worker: ManagedProcess, tmp_path: Path
) -> None:
    out = stock_celery(
        redis_server.url,
        ["inspect", "active_queues", "--timeout", "5", "--destination", NODE, "--json"],
        tmp_path,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    queues = {queue["name"] for queue in json.loads(out.stdout)[NODE]}
    assert queues == {"data_sync", "scheduled", "default"}
