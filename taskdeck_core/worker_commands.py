"""The worker control commands the backend sends and the console offers, with the
arguments each takes, and the shape of their rate and name arguments. No Qt, no server
libraries: both sides read them from here."""

from __future__ import annotations

# The arguments each command takes; any other argument given is refused.
WORKER_COMMAND_ARGS: dict[str, tuple[str, ...]] = {
    "pool_grow": ("n",),
    "pool_shrink": ("n",),
    "autoscale": ("max", "min"),
    "rate_limit": ("task_name", "rate"),
    "time_limit": ("task_name", "soft", "hard"),
    "add_consumer": ("queue",),
    "cancel_consumer": ("queue",),
    "shutdown": (),
}
# Celery's rate: "0" (no limit) or a whole number of tasks per second, minute or hour.
RATE_PATTERN = r"^(0|[1-9][0-9]{0,6}/[smh])$"
# A worker's hostname, a task type or a queue, as a control command carries it.
NAME_PATTERN = r"^[A-Za-z0-9_.:@-]+$"
# Commands after which a worker's pool size is asked again.
POOL_COMMANDS = frozenset({"pool_grow", "pool_shrink", "autoscale"})
