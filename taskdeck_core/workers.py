"""Worker liveness from Celery heartbeats: one rule for the backend and the console.

Celery workers send a heartbeat every 2 s by default. A worker not heard from
for ``stale_after_s`` is shown as stale (late, perhaps busy or partitioned);
for ``offline_after_s``, or one that announced its own shutdown, as offline.
The backend's ``TASKDECK_WORKER_TIMEOUT_S`` sets ``offline_after_s``; both
sides take their defaults from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

WorkerStatus = Literal["online", "stale", "offline"]

STALE_AFTER_S = 10.0
OFFLINE_AFTER_S = 30.0


@dataclass(frozen=True)
class Liveness:
    stale_after_s: float = STALE_AFTER_S
    offline_after_s: float = OFFLINE_AFTER_S

    def __post_init__(self) -> None:
        if not 0 < self.stale_after_s <= self.offline_after_s:
            raise ValueError(
                f"stale after {self.stale_after_s} s must be positive and no later than "
                f"offline after {self.offline_after_s} s"
            )

    def status(self, heartbeat_age_s: float, announced_offline: bool = False) -> WorkerStatus:
        if announced_offline or heartbeat_age_s > self.offline_after_s:
            return "offline"
        if heartbeat_age_s > self.stale_after_s:
            return "stale"
        return "online"


DEFAULT_LIVENESS = Liveness()
