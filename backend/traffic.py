"""Traffic generator: submits the data-sync workload as several users.

Bounded in count and time: it stops by itself after ``--max-tasks`` tasks or
``--duration`` seconds, whichever comes first, or on SIGTERM.
"""

from __future__ import annotations

import argparse
import random
import signal
import sys
import time
import uuid
from dataclasses import dataclass
from types import FrameType

from backend.domain.priority import to_celery_priority


@dataclass(frozen=True)
class SimUser:
    name: str
    tier: str
    weight: float  # share of the submissions
    priorities: tuple[int, ...]  # the priorities this user tends to use


USERS = (
    SimUser("alice", "premium", 3.0, (5, 6, 7, 8)),
    SimUser("bob", "normal", 2.0, (3, 4, 5)),
    SimUser("chen.wei", "normal", 2.0, (5,)),
    SimUser("dmitri", "normal", 1.0, (1, 2, 5)),
    SimUser("erp-nightly", "premium", 1.5, (2, 3)),
    SimUser("ops-admin", "admin", 0.5, (9, 10)),
)


def submit_one(app: object, rng: random.Random, user: SimUser) -> str:
    """Publish one task of ``user``; returns its task id."""
    from celery import Celery

    assert isinstance(app, Celery)
    priority = to_celery_priority(rng.choice(user.priorities))
    headers = {"taskdeck_user": user.name, "taskdeck_tier": user.tier}
    roll = rng.random()
    if roll < 0.75:
        file_id = f"f-{uuid.uuid4().hex[:10]}"
        result = app.send_task(
            "backend.tasks.data_sync.sync_single_file",
            args=[file_id, user.name],
            queue="data_sync",
            priority=priority,
            headers=headers,
        )
    elif roll < 0.9:
        files = [f"f-{uuid.uuid4().hex[:10]}" for _ in range(rng.randint(2, 5))]
        result = app.send_task(
            "backend.tasks.data_sync.sync_batch",
            args=[files, user.name],
            queue="scheduled",
            priority=priority,
            headers=headers,
        )
    else:
        file_id = f"f-{uuid.uuid4().hex[:10]}"
        result = app.send_task(
            "backend.tasks.data_sync.sync_single_file",
            args=[file_id, user.name],
            queue="default",
            priority=priority,
            headers=headers,
        )
    return str(result.id)


def run(rate_per_s: float, duration_s: float, max_tasks: int, seed: int | None) -> int:
    from backend.celery_app import create_celery
    from backend.config import load_settings

    app = create_celery(load_settings(), results=False)

    stopping = False

    def stop(_sig: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    rng = random.Random(seed)
    weights = [u.weight for u in USERS]
    deadline = time.monotonic() + duration_s
    sent = 0
    while not stopping and sent < max_tasks and time.monotonic() < deadline:
        user = rng.choices(USERS, weights)[0]
        try:
            submit_one(app, rng, user)
            sent += 1
        except Exception as exc:  # noqa: BLE001 - a broker hiccup: report, back off, go on
            print(f"traffic: could not submit ({type(exc).__name__}: {exc}); retrying", flush=True)
            time.sleep(2.0)
            continue
        if sent % 50 == 0:
            print(f"traffic: {sent} tasks submitted", flush=True)
        # Bursty arrivals: exponential gaps around the mean rate.
        time.sleep(min(rng.expovariate(rate_per_s), 5.0))
    print(f"traffic: stopped after {sent} tasks", flush=True)
    return sent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Submit the data-sync workload as several users.")
    parser.add_argument("--rate", type=float, default=2.0, help="mean tasks per second (default 2)")
    parser.add_argument(
        "--duration", type=float, default=4 * 3600, help="seconds to run (default 4 h)"
    )
    parser.add_argument("--max-tasks", type=int, default=50_000, help="stop after this many tasks")
    parser.add_argument("--seed", type=int, default=None, help="seed for a repeatable run")
    args = parser.parse_args(argv)
    if args.rate <= 0 or args.duration <= 0 or args.max_tasks <= 0:
        parser.error("--rate, --duration and --max-tasks must be positive")
    run(args.rate, args.duration, args.max_tasks, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
