"""The queues of the data-sync system and how the Redis transport stores them."""

from __future__ import annotations

QUEUES = ("data_sync", "scheduled", "default")
DEFAULT_QUEUE = "default"

# A queue ``q`` is stored as the lists ``q`` (step 0, served first),
# ``q:1`` ... ``q:9`` (served last); its depth is the sum of all of them.
PRIORITY_SEP = ":"
PRIORITY_STEPS = list(range(10))


def priority_list_names(queue: str) -> list[str]:
    """The Redis list keys that hold ``queue``'s waiting messages, in serving order."""
    return [queue if step == 0 else f"{queue}{PRIORITY_SEP}{step}" for step in PRIORITY_STEPS]
