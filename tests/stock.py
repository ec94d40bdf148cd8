"""Run the stock Celery system of ``tests.stock_system`` for a test, on real servers.

Its broker is a database other than 0 behind an ACL user with a password, as
real systems have it; its workers are stock ``celery worker`` processes.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import redis
from celery import Celery

from taskdeck_dev.procs import LOOPBACK, ManagedProcess, start_process, wait_until
from tests.stock_system import make_app

REPO = Path(__file__).resolve().parent.parent
DB = 3
USER, PASSWORD = "erp", "erp-secret-7"
QUEUES = ("erp_sync", "celery")


@dataclass(frozen=True)
class StockConfig:
    """The system's transport options (None: kombu's defaults) and result settings."""

    sep: str | None = None
    steps: tuple[int, ...] | None = None
    result_extended: bool = True

    @property
    def real_sep(self) -> str:
        return self.sep or "\x06\x16"

    @property
    def real_steps(self) -> tuple[int, ...]:
        return self.steps or (0, 3, 6, 9)

    def lists(self, queue: str) -> list[str]:
        """The lists the system's workers read for ``queue``, in serving order: written out
        here from kombu's rule, not from TaskDeck's code."""
        return [queue if s == 0 else f"{queue}{self.real_sep}{s}" for s in self.real_steps]

    def list_for(self, queue: str, celery_priority: int) -> str:
        step = max(s for s in self.real_steps if s <= celery_priority)
        return queue if step == 0 else f"{queue}{self.real_sep}{step}"

    def env(self, url: str) -> dict[str, str]:
        env = {"STOCK_BROKER_URL": url, "PYTHONPATH": str(REPO),
               "STOCK_RESULT_EXTENDED": "1" if self.result_extended else "0"}  # fmt: skip
        if self.sep:
            env["STOCK_SEP"] = self.sep
        if self.steps:
            env["STOCK_STEPS"] = ",".join(map(str, self.steps))
        return env


def add_acl_user(port: int) -> str:
    """Give the Redis on ``port`` the system's user; returns the system's broker URL."""
    admin = redis.Redis(host=LOOPBACK, port=port)
    try:
        admin.execute_command("ACL", "SETUSER", USER, "on", f">{PASSWORD}", "~*", "&*", "+@all")
    finally:
        admin.close()
    return f"redis://{USER}:{PASSWORD}@{LOOPBACK}:{port}/{DB}"


def stock_app(url: str, config: StockConfig) -> Celery:
    """The owners' own client of the system (a producer, and ``celery inspect``)."""
    return make_app(config.env(url))


def start_stock_worker(
    run_dir: Path, url: str, config: StockConfig, name: str = "stock"
) -> ManagedProcess:
    """A stock prefork worker (one process, Celery's default prefetch) on both queues."""
    nodename = f"{name}@erp"
    argv = [sys.executable, "-m", "celery", "-A", "tests.stock_system", "worker",
            "--hostname", nodename, "--pool", "prefork", "--concurrency", "1",
            "--queues", ",".join(QUEUES), "--task-events", "--loglevel", "INFO",
            "--without-mingle", "--without-gossip"]  # fmt: skip
    log = run_dir / "logs" / f"{name}.log"
    proc = start_process(name, argv, log, config.env(url), cwd=REPO)
    app = stock_app(url, config)
    try:
        wait_until(
            lambda: bool(app.control.ping(destination=[nodename], timeout=0.5)),
            60, f"stock worker {nodename}", proc,
        )  # fmt: skip
    except BaseException:
        proc.stop()
        raise
    finally:
        app.close()
    return proc
