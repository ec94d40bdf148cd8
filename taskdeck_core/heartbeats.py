"""What one worker's latest heartbeat said, and the WorkerInfo both sides show from it.

The backend's worker monitor and the console's live state each keep one
``Heartbeats`` per worker and apply Celery's ``worker-*`` events to it; the
public answer is built the same way on both sides, with one ``Liveness`` rule.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from taskdeck_core.api_types import WorkerFacts, WorkerInfo
from taskdeck_core.workers import Liveness


@dataclass
class Heartbeats:
    """Mutable: owned by one monitor, updated as ``worker-*`` events arrive."""

    hostname: str
    last_heartbeat: float  # epoch seconds when the last event arrived
    facts: WorkerFacts = field(default_factory=WorkerFacts)
    offline_reported: bool = False

    def apply(self, kind: str, event: Mapping[str, Any], now: float) -> None:
        """A ``worker-heartbeat``, ``worker-online`` or ``worker-offline`` event at ``now``."""
        self.last_heartbeat = now
        self.offline_reported = kind == "worker-offline"
        facts = self.facts
        update: dict[str, Any] = {
            "active": int(event.get("active") or 0),
            # worker-online/offline events carry no count: keep the last one seen.
            "processed": int(event.get("processed") or facts.processed),
            "loadavg": tuple(float(v) for v in event.get("loadavg") or ()),
            "sw_ver": event.get("sw_ver") or facts.sw_ver,
        }
        pid = event.get("pid")
        if isinstance(pid, int) and not isinstance(pid, bool) and pid != facts.pid:
            # Another main process under this name: the worker was started again (or this
            # is the first event heard of it). From when, on the worker's own clock.
            stamp = event.get("timestamp")
            started = now
            if isinstance(stamp, int | float) and math.isfinite(stamp) and stamp > 0:
                started = float(stamp)
            update.update(pid=pid, started_at=started)
            if facts.pid is not None:
                update["processed"] = int(event.get("processed") or 0)  # counts from zero
        self.facts = facts.model_copy(update=update)

    def set_pool(
        self, pool: str | None, concurrency: int | None, visibility_timeout_s: float | None = None
    ) -> None:
        update: dict[str, Any] = {"pool": pool, "concurrency": concurrency}
        if visibility_timeout_s is not None:
            update["visibility_timeout_s"] = visibility_timeout_s
        self.facts = self.facts.model_copy(update=update)

    def info(self, now: float, liveness: Liveness) -> WorkerInfo:
        age = max(0.0, now - self.last_heartbeat)
        status = liveness.status(age, self.offline_reported)
        facts = self.facts.model_dump()
        if status == "offline":
            facts["active"] = 0  # an offline worker runs nothing, whatever it last said
        return WorkerInfo(
            hostname=self.hostname,
            status=status,
            online=status != "offline",
            last_heartbeat=self.last_heartbeat,
            last_heartbeat_age_s=round(age, 1),
            **facts,
        )
