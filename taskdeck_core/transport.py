"""How kombu's Redis transport stores a queue, with its separator and steps as parameters.

A queue ``q`` is kept as one list per priority step: ``q`` for step 0 (served
first) and ``q<sep><step>`` for the others. kombu puts a message of Celery
priority ``n`` (0-9, 0 first) in the list of the highest step not above ``n``,
and workers read only the lists of their own steps. The steps and the
separator belong to the Celery system being watched: kombu's defaults are
``[0, 3, 6, 9]`` and ``"\\x06\\x16"``; the sandbox's data-sync system runs
with ten steps and kombu's separator. ``taskdeck_core.discovery`` learns them.

Reading is generous, writing is strict: depths and waiting messages are read
from the lists of every priority 0-9 as well as the system's steps, so a
message is counted wherever it waits; a message is written only into a list
of the system's own steps.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

# kombu's defaults, used by most Celery systems on Redis.
KOMBU_DEFAULT_SEP = "\x06\x16"
KOMBU_DEFAULT_STEPS = (0, 3, 6, 9)
# Celery priorities kombu's Redis transport knows (it clamps others into this range).
CELERY_PRIORITIES = tuple(range(10))

# The sandbox's data-sync system.
QUEUES = ("data_sync", "scheduled", "default")
DEFAULT_QUEUE = "default"
SANDBOX_STEPS = CELERY_PRIORITIES


@dataclass(frozen=True)
class Transport:
    """The naming of one Celery system's priority lists."""

    sep: str = KOMBU_DEFAULT_SEP
    steps: tuple[int, ...] = KOMBU_DEFAULT_STEPS

    def __post_init__(self) -> None:
        if not self.sep:
            raise ValueError("the separator of a transport cannot be empty")
        if not self.steps or list(self.steps) != sorted(set(self.steps)) or self.steps[0] != 0:
            raise ValueError(
                f"priority steps must rise from 0 without repeats, got {list(self.steps)}"
            )

    @property
    def read_steps(self) -> tuple[int, ...]:
        """The steps whose lists are read: the system's, and every priority kombu knows."""
        return tuple(sorted(set(self.steps) | set(CELERY_PRIORITIES)))

    def list_name(self, queue: str, step: int) -> str:
        return queue if step == 0 else f"{queue}{self.sep}{step}"

    def list_names(self, queue: str) -> list[str]:
        """The Redis list keys read for ``queue``'s waiting messages, in serving order."""
        return [self.list_name(queue, step) for step in self.read_steps]

    def all_list_names(self, queues: Sequence[str]) -> list[str]:
        """Every list of every queue, queue by queue: the keys to LLEN for ``depths``."""
        return [key for queue in queues for key in self.list_names(queue)]

    def depths(self, queues: Sequence[str], lengths: Sequence[int]) -> dict[str, dict[int, int]]:
        """Waiting messages per queue and step, from the LLEN of ``all_list_names(queues)``."""
        steps = self.read_steps
        n = len(steps)
        if len(lengths) != n * len(queues):
            raise ValueError(f"expected {n * len(queues)} list lengths, got {len(lengths)}")
        return {
            queue: {step: int(lengths[i * n + j]) for j, step in enumerate(steps)}
            for i, queue in enumerate(queues)
        }

    def step_for(self, celery_priority: int) -> int:
        """The step whose list kombu puts a message of ``celery_priority`` in."""
        clamped = min(max(int(celery_priority), 0), CELERY_PRIORITIES[-1])
        return self.steps[bisect_right(self.steps, clamped) - 1]

    def list_for(self, queue: str, celery_priority: int) -> str:
        """The list a message of ``celery_priority`` is written to: one the workers read."""
        return self.list_name(queue, self.step_for(celery_priority))

    def serves(self, step: int) -> tuple[int, int]:
        """The Celery priorities (lowest, highest) whose messages go to ``step``'s list."""
        i = self.steps.index(step)
        last = self.steps[i + 1] - 1 if i + 1 < len(self.steps) else CELERY_PRIORITIES[-1]
        return step, last

    def options(self) -> dict[str, Any]:
        """kombu ``broker_transport_options`` that name lists and bindings this way."""
        return {"sep": self.sep, "priority_steps": list(self.steps)}


SANDBOX_TRANSPORT = Transport(KOMBU_DEFAULT_SEP, SANDBOX_STEPS)


def parse_steps(text: str | Iterable[int]) -> tuple[int, ...]:
    """Priority steps from "0,3,6,9" (or a sequence of ints); raises ValueError saying why."""
    if isinstance(text, str):
        parts = [p.strip() for p in text.replace(" ", ",").split(",") if p.strip()]
        try:
            steps = tuple(int(p) for p in parts)
        except ValueError:
            raise ValueError(
                f"priority steps must be whole numbers separated by commas, e.g. 0,3,6,9; "
                f"got {text!r}"
            ) from None
    else:
        steps = tuple(int(s) for s in text)
    if not steps or steps[0] != 0 or list(steps) != sorted(set(steps)) or steps[-1] > 9:
        raise ValueError(
            "priority steps must rise from 0 to at most 9 without repeats, e.g. 0,3,6,9; "
            f"got {list(steps)}"
        )
    return steps


def parse_sep(value: str) -> str:
    """A separator as typed in a setting, with Python escapes ("\\x06\\x16"); "" stays ""."""
    if not value:
        return ""
    try:
        sep = value.encode("latin-1", "backslashreplace").decode("unicode_escape")
    except UnicodeDecodeError as exc:
        raise ValueError(f"cannot read the separator {value!r}: {exc.reason}") from None
    if len(sep) > 8:
        raise ValueError(f"a separator of {len(sep)} characters is not kombu's; use at most 8")
    return sep


def show_sep(sep: str) -> str:
    """A separator as it is typed in a setting: kombu's default reads "\\x06\\x16"."""
    return sep.encode("unicode_escape").decode("ascii")


def priority_list_names(queue: str, transport: Transport = SANDBOX_TRANSPORT) -> list[str]:
    """The Redis list keys read for ``queue``'s waiting messages, in serving order."""
    return transport.list_names(queue)
