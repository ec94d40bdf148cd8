"""A desktop gets only the console's extra: no server libraries, and the console starts.

A fresh virtual environment installs the project as a user would (``pip install
'taskdeck[console]'``, not editable, with the versions in constraints.txt), then starts the
console offscreen on a sandbox whose every address is a closed loopback port. pip's cache
holds the wheels after ``make setup``, so this takes about 25 s.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from taskdeck_core.net import LOOPBACK, free_port
from taskdeck_core.sandbox_paths import STATE_FILE
from tests.packaging.conftest import clean_console_env

pytestmark = pytest.mark.packaging

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("taskdeck_core", "taskdeck_worker", "taskdeck_dev", "console", "backend")
SERVER_ONLY = ("fastapi", "uvicorn", "starlette", "sqlalchemy")


def run(
    argv: list[str], timeout: float, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    out = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env)
    assert out.returncode == 0, f"{argv[:4]} exited {out.returncode}\n{out.stdout}\n{out.stderr}"
    return out


def source_tree(dest: Path) -> Path:
    """What the distribution is built from, without .venv, caches or local output."""
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, dest / name)
    for package in PACKAGES:
        shutil.copytree(REPO / package, dest / package,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))  # fmt: skip
    return dest


def closed_sandbox(run_dir: Path) -> Path:
    """A sandbox state file whose four services are free (so closed) loopback ports."""
    run_dir.mkdir()
    urls = {"broker": f"redis://{LOOPBACK}:{free_port()}/0"} | {
        name: f"http://{LOOPBACK}:{free_port()}"
        for name in ("backend", "prometheus", "alertmanager")
    }
    (run_dir / STATE_FILE).write_text(json.dumps({"urls": urls, "tokens": {"admin": "t"}}))
    return run_dir


@pytest.fixture
def venv(tmp_path: Path) -> Iterator[Path]:
    """A place for the fresh environment, removed afterwards (it holds ~400 MB of Qt)."""
    path = tmp_path / "venv"
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.timeout(300)  # with an empty pip cache the download dominates
def test_a_console_only_install_has_no_server_libraries_and_starts(
    tmp_path: Path, venv: Path
) -> None:
    started = time.monotonic()
    (tmp_path / "src").mkdir()
    src = source_tree(tmp_path / "src")
    python = venv / ("Scripts" if sys.platform == "win32" else "bin") / "python"
    run([sys.executable, "-m", "venv", str(venv)], timeout=120)
    run([str(python), "-m", "pip", "install", "-q", "-c", str(REPO / "constraints.txt"),
         f"{src}[console]"], timeout=300)  # fmt: skip
    work = tmp_path / "work"  # not the repository: `python -m console` must find the installed one
    work.mkdir()
    env = clean_console_env(dict(os.environ), tmp_path)
    env.pop("PYTHONPATH", None)
    probe = run([str(python), "-c", "import importlib.util as u, console; print(console.__file__); "
                 f"print([m for m in {SERVER_ONLY!r} if u.find_spec(m)])"],
                timeout=60, cwd=work, env=env).stdout.splitlines()  # fmt: skip
    assert probe[0].startswith(str(venv)), probe[0]
    assert probe[1] == "[]", f"server libraries in a console-only install: {probe[1]}"
    shots = tmp_path / "shots"
    out = run([str(python), "-m", "console", "--sandbox-dir", str(closed_sandbox(tmp_path / "sb")),
               "--screenshots", str(shots), "--run-for", "4"],
              timeout=90, cwd=work, env=env)  # fmt: skip
    assert len(list(shots.glob("*.png"))) >= 8, out.stdout + out.stderr  # four pages, two sizes
    print(f"console-only install and start: {time.monotonic() - started:.0f} s")
