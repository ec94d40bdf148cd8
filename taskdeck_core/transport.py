"""How kombu's Redis transport stores a queue, with its separator and steps as parameters.

A queue ``q`` is kept as one list per priority step: ``q`` for step 0 (served
first) and ``q<sep><step>`` for the others. Its depth is the sum of all of
them. The steps and the separator belong to the Celery system being watched
(kombu's own defaults are ``[0, 3, 6, 9]`` and ``"\\x06\\x16"``); the sandbox's
data-sync system runs with ten steps and ``":"``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# The sandbox's data-sync system.
QUEUES = ("data_sync", "scheduled", "default")
DEFAULT_QUEUE = "default"
PRIORITY_SEP = ":"
PRIORITY_STEPS = list(range(10))

# kombu's defaults, used by most Celery systems on Redis.
KOMBU_DEFAULT_SEP = "\x06\x16"
KOMBU_DEFAULT_STEPS = (0, 3, 6, 9)


@dataclass(frozen=True)
class Transport:
    """The naming of one Celery system's priority lists."""

    sep: str = PRIORITY_SEP
    steps: tuple[int, ...] = tuple(PRIORITY_STEPS)

    def list_names(self, queue: str) -> list[str]:
        """The Redis list keys that hold ``queue``'s waiting messages, in serving order."""
        return [queue if step == 0 else f"{queue}{self.sep}{step}" for step in self.steps]

    def all_list_names(self, queues: Sequence[str]) -> list[str]:
        """Every list of every queue, queue by queue: the keys to LLEN for ``depths``."""
        return [key for queue in queues for key in self.list_names(queue)]

    def depths(self, queues: Sequence[str], lengths: Sequence[int]) -> dict[str, dict[int, int]]:
        """Waiting messages per queue and step, from the LLEN of ``all_list_names(queues)``."""
        n = len(self.steps)
        if len(lengths) != n * len(queues):
            raise ValueError(f"expected {n * len(queues)} list lengths, got {len(lengths)}")
        return {
            queue: {step: int(lengths[i * n + j]) for j, step in enumerate(self.steps)}
            for i, queue in enumerate(queues)
        }


SANDBOX_TRANSPORT = Transport()


def priority_list_names(queue: str, transport: Transport = SANDBOX_TRANSPORT) -> list[str]:
    """The Redis list keys that hold ``queue``'s waiting messages, in serving order."""
    return transport.list_names(queue)
