"""Traffic generator: submits the data-sync workload through the backend as several users.

Users submit single files and batches with their own mix of priorities; one
user ("mallory") now and then hammers the API far past its rate limit, as a
misbehaving integration would. Bounded in count and time: it stops by itself
after ``--max-tasks`` submissions or ``--duration`` seconds, or on SIGTERM.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import time
import uuid
from dataclasses import dataclass
from types import FrameType
from typing import Any

import httpx


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
    SimUser("ops.admin", "premium", 0.5, (9, 10)),
)
HAMMER = SimUser("mallory", "normal", 0.0, (5,))
USER_TIERS = ",".join(f"{u.name}:{u.tier}" for u in (*USERS, HAMMER))
HAMMER_EVERY_S = 120.0
HAMMER_REQUESTS = 80


def task_body(rng: random.Random, user: SimUser) -> dict[str, Any]:
    priority = rng.choice(user.priorities)
    roll = rng.random()
    if roll < 0.75:
        return {"name": "data_sync.sync_single_file", "queue": "data_sync",
                "args": [f"f-{uuid.uuid4().hex[:10]}", user.name], "priority": priority, "user": user.name}  # fmt: skip
    if roll < 0.9:
        files = [f"f-{uuid.uuid4().hex[:10]}" for _ in range(rng.randint(2, 5))]
        return {"name": "data_sync.sync_batch", "queue": "scheduled",
                "args": [files, user.name], "priority": priority, "user": user.name}  # fmt: skip
    return {"name": "data_sync.sync_single_file", "queue": "default",
            "args": [f"f-{uuid.uuid4().hex[:10]}", user.name], "priority": priority, "user": user.name}  # fmt: skip


class Traffic:
    def __init__(self, client: httpx.Client, rng: random.Random) -> None:
        self.client = client
        self.rng = rng
        self.sent = 0
        self.refused = 0

    def submit(self, user: SimUser) -> int:
        reply = self.client.post("/api/v1/tasks", json=task_body(self.rng, user))
        self.sent += 1
        if reply.status_code == 429:
            self.refused += 1
        elif reply.status_code != 202:
            print(f"traffic: {user.name}: {reply.status_code} {reply.text[:200]}", flush=True)
        return reply.status_code

    def hammer(self) -> None:
        """A burst far past the rate limit, ignoring every Retry-After."""
        codes = [self.submit(HAMMER) for _ in range(HAMMER_REQUESTS)]
        print(f"traffic: mallory hammered: {codes.count(429)} of {len(codes)} refused", flush=True)


def run(
    url: str, token: str, rate_per_s: float, duration_s: float, max_tasks: int, seed: int | None
) -> int:
    stopping = False

    def stop(_sig: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    rng = random.Random(seed)
    weights = [u.weight for u in USERS]
    deadline = time.monotonic() + duration_s
    next_hammer = time.monotonic() + 20.0
    with httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=10
    ) as client:
        traffic = Traffic(client, rng)
        while not stopping and traffic.sent < max_tasks and time.monotonic() < deadline:
            try:
                if time.monotonic() >= next_hammer:
                    traffic.hammer()
                    next_hammer = time.monotonic() + HAMMER_EVERY_S
                traffic.submit(rng.choices(USERS, weights)[0])
            except httpx.HTTPError as exc:  # the backend restarting: report, back off, go on
                print(
                    f"traffic: could not submit ({type(exc).__name__}: {exc}); retrying", flush=True
                )
                time.sleep(2.0)
                continue
            if traffic.sent % 100 == 0:
                print(
                    f"traffic: {traffic.sent} submitted, {traffic.refused} refused (429)",
                    flush=True,
                )
            time.sleep(min(rng.expovariate(rate_per_s), 5.0))  # bursty arrivals around the mean
    print(f"traffic: stopped after {traffic.sent} submissions", flush=True)
    return traffic.sent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--backend-url", required=True, help="e.g. http://127.0.0.1:8400")
    parser.add_argument("--rate", type=float, default=2.0, help="mean tasks per second (default 2)")
    parser.add_argument(
        "--duration", type=float, default=4 * 3600, help="seconds to run (default 4 h)"
    )
    parser.add_argument(
        "--max-tasks", type=int, default=50_000, help="stop after this many submissions"
    )
    parser.add_argument("--seed", type=int, default=None, help="seed for a repeatable run")
    args = parser.parse_args(argv)
    if args.rate <= 0 or args.duration <= 0 or args.max_tasks <= 0:
        parser.error("--rate, --duration and --max-tasks must be positive")
    token = os.environ.get("TASKDECK_TRAFFIC_TOKEN", "")
    if not token:
        parser.error("set TASKDECK_TRAFFIC_TOKEN to a support token of the backend")
    run(args.backend_url, token, args.rate, args.duration, args.max_tasks, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
