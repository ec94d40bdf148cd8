"""What the Tasks page shows: a filter over the ledger's tasks, as the user built it.

Pure data: the filter bar builds a :class:`TaskQuery`, the controller turns it into
the backend's query parameters, the page shows it as removable chips, and the
settings keep the last one (as JSON). Times are epoch seconds; a quick pick ("last
24 h") is kept as its key and turned into a start time when asked, so a remembered
or long-open filter means "the last 24 h" now, not then.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from console.domain.translation import QT_TRANSLATE_NOOP

# Quick picks of the time range: key -> (seconds, label).
WINDOWS: dict[str, tuple[float, str]] = {
    "5m": (300.0, QT_TRANSLATE_NOOP("TaskQuery", "last 5 min")),
    "1h": (3600.0, QT_TRANSLATE_NOOP("TaskQuery", "last 1 h")),
    "24h": (86400.0, QT_TRANSLATE_NOOP("TaskQuery", "last 24 h")),
    "7d": (7 * 86400.0, QT_TRANSLATE_NOOP("TaskQuery", "last 7 days")),
    "30d": (30 * 86400.0, QT_TRANSLATE_NOOP("TaskQuery", "last 30 days")),
}
STATES = ("PENDING", "RECEIVED", "STARTED", "SUCCESS", "FAILURE", "RETRY", "REVOKED", "REJECTED")
# Which time the range applies to: when the ledger first saw the task, or when it ended.
TIME_FIELDS = ("created", "finished")
MAX_TEXT = 200  # the backend's limit for free text, names and users


@dataclass(frozen=True)
class TaskQuery:
    state: str | None = None
    name: str | None = None
    user: str | None = None
    queue: str | None = None
    group: str | None = None  # a failure group's signature
    group_label: str | None = None  # how the inbox names that group (for the chip)
    text: str | None = None  # free text: id, name, error words, argument values
    window: str | None = None  # a key of WINDOWS, or None
    since: float | None = None  # a chosen range (used when window is None)
    until: float | None = None
    time_field: str = "created"
    # When a quick pick's window ends: the moment the filter was applied. The table then
    # says what it holds ("last 5 min, to 14:05:00") however long it stays open; applying
    # the filter again (F5, a tile) moves it to now. None: it ends now, at each request.
    anchor: float | None = None

    def params(self, now: float) -> dict[str, Any]:
        """GET /api/v1/tasks's query parameters for this filter at ``now``."""
        since, until = self.range(now)
        out: dict[str, Any] = {
            "state": self.state, "name": self.name, "user": self.user, "queue": self.queue,
            "group": self.group, "q": self.text,
        }  # fmt: skip
        if since is not None or until is not None:
            prefix = "finished_" if self.time_field == "finished" else ""
            out[f"{prefix}since"] = since
            out[f"{prefix}until"] = until
        return {k: v for k, v in out.items() if v is not None and v != ""}

    def range(self, now: float) -> tuple[float | None, float | None]:
        if self.window in WINDOWS:
            end = self.anchor if self.anchor is not None else now
            return end - WINDOWS[self.window][0], None
        return self.since, self.until

    def anchored(self, now: float) -> TaskQuery:
        """This filter with its quick pick's window ending ``now``."""
        return replace(self, anchor=now if self.window in WINDOWS else None)

    @property
    def empty(self) -> bool:
        return self == TaskQuery(time_field=self.time_field)

    def without(self, key: str) -> TaskQuery:
        """This filter without the part a chip names (``time`` clears the range)."""
        if key == "time":
            return replace(self, window=None, since=None, until=None, time_field="created")
        if key == "group":
            return replace(self, group=None, group_label=None)
        cleared: dict[str, Any] = {key: None}
        return replace(self, **cleared)

    def to_json(self) -> str:
        """The filter to remember (a quick pick without its anchor: it ends now, next time)."""
        return json.dumps(asdict(replace(self, anchor=None)), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> TaskQuery:
        """A remembered filter; an unreadable or foreign one reads as no filter."""
        try:
            raw = json.loads(text)
        except (TypeError, ValueError):
            return cls()
        if not isinstance(raw, dict):
            return cls()
        known = {f.name: f.type for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in raw.items():
            if key not in known or value is None:
                continue
            if key == "anchor":
                continue
            if key in ("since", "until"):
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    values[key] = float(value)
            elif isinstance(value, str) and len(value) <= MAX_TEXT:
                values[key] = value
        query = cls(**values)
        if query.window is not None and query.window not in WINDOWS:
            query = replace(query, window=None)
        if query.state is not None and query.state not in STATES:
            query = replace(query, state=None)
        if query.time_field not in TIME_FIELDS:
            query = replace(query, time_field="created")
        return query


CHIP_LABELS = {
    "group": QT_TRANSLATE_NOOP("TaskQuery", "failure group"),
    "state": QT_TRANSLATE_NOOP("TaskQuery", "state"),
    "name": QT_TRANSLATE_NOOP("TaskQuery", "task"),
    "user": QT_TRANSLATE_NOOP("TaskQuery", "user"),
    "queue": QT_TRANSLATE_NOOP("TaskQuery", "queue"),
    "text": QT_TRANSLATE_NOOP("TaskQuery", "text"),
    "created": QT_TRANSLATE_NOOP("TaskQuery", "received"),
    "finished": QT_TRANSLATE_NOOP("TaskQuery", "finished"),
    "to": QT_TRANSLATE_NOOP("TaskQuery", "to"),
}


def chips(
    query: TaskQuery, tr: Callable[[str], str], when: Callable[[float], str],
    state_label: Callable[[str], str] | None = None,
) -> list[tuple[str, str]]:  # fmt: skip
    """(key for ``without``, label) for each part of ``query``, in the bar's order.
    ``tr`` translates a label (context "TaskQuery"), ``when`` formats an epoch time,
    ``state_label`` names a state as the table does."""
    out: list[tuple[str, str]] = []
    if query.group:
        label = query.group_label or query.group[:12]
        out.append(("group", f"{tr(CHIP_LABELS['group'])}: {label}"))
    for key in ("state", "name", "user", "queue"):
        value = getattr(query, key)
        if value:
            shown = state_label(value) if key == "state" and state_label else value
            out.append((key, f"{tr(CHIP_LABELS[key])}: {shown}"))
    if query.text:
        out.append(("text", f"{tr(CHIP_LABELS['text'])}: “{query.text}”"))
    which = tr(CHIP_LABELS[query.time_field])
    if query.window in WINDOWS:
        label = f"{which}: {tr(WINDOWS[query.window][1])}"
        if query.anchor is not None:
            label += f" ({tr(CHIP_LABELS['to'])} {when(query.anchor)})"
        out.append(("time", label))
    elif query.since is not None or query.until is not None:
        start = when(query.since) if query.since is not None else "…"
        end = when(query.until) if query.until is not None else "…"
        out.append(("time", f"{which}: {start} – {end}"))
    return out
