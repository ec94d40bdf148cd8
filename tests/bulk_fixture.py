"""What the bulk-retry fault tests share: failed tasks to select, and counting the retries
waiting in the broker (no worker runs in those tests)."""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any

import redis

from taskdeck_core import lifecycle as lc
from taskdeck_core.transport import SANDBOX_TRANSPORT
from taskdeck_worker.integration import RETRY_OF_HEADER


def failed_tasks(n: int, prefix: str, user: str) -> list[lc.LifecycleRecord]:
    """What workers with the plug-in record for ``n`` tasks that failed."""
    t0 = time.time() - 600
    records = []
    for i in range(n):
        task_id = f"{prefix}-{i:05d}"
        records.append(lc.LifecycleRecord(lc.PUBLISHED, task_id, t0 + i * 0.01, {
            "name": "data_sync.sync_single_file", "args": [f"f-{i}", user], "kwargs": {},
            "queue": "data_sync", "priority": 5, "user": user}))  # fmt: skip
        records.append(lc.LifecycleRecord(lc.FAILED, task_id, t0 + i * 0.01 + 0.005,
                                          {"exc_type": "IOError", "exc_message": "store down"}))  # fmt: skip
    return records


def retries_waiting(db: redis.Redis) -> Counter[str]:
    """How many retry messages wait in the broker for each original task."""
    counts: Counter[str] = Counter()
    for key in SANDBOX_TRANSPORT.list_names("data_sync"):
        payloads: Any = db.lrange(key, 0, -1)
        for raw in payloads:
            counts[json.loads(raw)["headers"].get(RETRY_OF_HEADER)] += 1
    return counts
