"""Task priority as users speak it, and as the Redis transport orders it.

Users (the API, the console, the workload's producers) speak priorities 1-10,
10 being the most urgent and 5 the default; Celery priorities are 0-9, 0 served
first. This module is the only place where one is turned into the other. Which
list a Celery priority waits in depends on the watched system's priority steps
(``taskdeck_core.transport.Transport.step_for``).
"""

from __future__ import annotations

USER_PRIORITY_MIN = 1
USER_PRIORITY_MAX = 10
USER_PRIORITY_DEFAULT = 5

CELERY_PRIORITY_MIN = 0  # served first
CELERY_PRIORITY_MAX = 9  # served last


class PriorityError(ValueError):
    """A priority value that is not an integer in the accepted range."""


def _check_int(value: object, low: int, high: int, what: str) -> int:
    # bool is an int subclass; True as a priority is a mistake, not a 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise PriorityError(f"{what} must be a whole number from {low} to {high}, got {value!r}")
    if not low <= value <= high:
        raise PriorityError(f"{what} must be from {low} to {high}, got {value}")
    return value


def to_celery_priority(user_priority: object = USER_PRIORITY_DEFAULT) -> int:
    """Map a user priority 1-10 (10 highest) to the transport's 0-9 (0 first)."""
    value = _check_int(
        user_priority,
        USER_PRIORITY_MIN,
        USER_PRIORITY_MAX,
        "priority (1 = lowest, 10 = highest)",
    )
    return USER_PRIORITY_MAX - value


def from_celery_priority(celery_priority: object) -> int:
    """Map a transport priority 0-9 back to the user's 1-10.

    A message published without a priority is served as step 0 by the Redis
    transport, so ``None`` maps to the highest user priority, which is how it
    will actually run.
    """
    if celery_priority is None:
        return USER_PRIORITY_MAX
    value = _check_int(celery_priority, CELERY_PRIORITY_MIN, CELERY_PRIORITY_MAX, "Celery priority")
    return USER_PRIORITY_MAX - value
