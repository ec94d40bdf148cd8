"""Queues: depth, depth per priority, oldest message age, rates, consumers."""

from __future__ import annotations

from typing import Any

from console.domain.live import QueueInfo
from console.models.format import duration, number
from console.models.keyed_table_model import Column, KeyedTableModel, Value


def _by_priority(q: QueueInfo) -> str:
    parts = [f"p{p}: {n}" for p, n in sorted(q.depth_by_priority.items(), reverse=True) if n]
    return "  ".join(parts) or "—"


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{number(value, 2)}/s"


def _waiting_at(priority: int) -> Value[QueueInfo]:
    return Value("Priority {n}", lambda q: q.depth_by_priority.get(priority, 0), n=priority)


COL_DEPTH = 1


class QueuesTableModel(KeyedTableModel[QueueInfo]):
    CONTEXT = "QueuesTableModel"
    COLUMNS: tuple[Column[QueueInfo], ...] = (
        Column("Queue", lambda q: q.name),
        Column("Depth", lambda q: number(q.depth), lambda q: q.depth, align_right=True),
        Column(
            "By priority (10 first)",
            _by_priority,
            lambda q: tuple(q.depth_by_priority.get(p, 0) for p in range(10, 0, -1)),
            values=tuple(_waiting_at(p) for p in range(10, 0, -1)),
        ),
        Column(
            "Oldest waiting",
            lambda q: duration(q.oldest_age_s),
            lambda q: q.oldest_age_s or 0.0,
            align_right=True,
            values=(Value("Oldest waiting (s)", lambda q: q.oldest_age_s),),
        ),
        Column(
            "In",
            lambda q: _rate(q.rate_in),
            lambda q: q.rate_in or 0.0,
            align_right=True,
            values=(Value("In (/s)", lambda q: q.rate_in),),
        ),
        Column(
            "Out",
            lambda q: _rate(q.rate_out),
            lambda q: q.rate_out or 0.0,
            align_right=True,
            values=(Value("Out (/s)", lambda q: q.rate_out),),
        ),
        Column(
            "Consumers",
            lambda q: number(q.consumers),
            lambda q: q.consumers or 0,
            align_right=True,
            values=(Value("Consumers", lambda q: q.consumers),),
        ),
    )

    def __init__(self, parent: Any = None) -> None:
        super().__init__(lambda q: q.name, parent)
