"""Time series for the trend plots: time windows, query steps, series and a ring buffer.

No Qt and no I/O. Times are epoch seconds as float64; values are float64 and
may be NaN (a gap, e.g. a ratio over an idle period).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from console.domain.translation import QT_TRANSLATE_NOOP


@dataclass(frozen=True)
class Window:
    """A time window the user can pick for a trend plot.

    ``label`` is English; show ``QCoreApplication.translate("Window", label)``.
    """

    key: str
    label: str
    seconds: int


WINDOWS: tuple[Window, ...] = (
    Window("15m", QT_TRANSLATE_NOOP("Window", "15 min"), 15 * 60),
    Window("1h", QT_TRANSLATE_NOOP("Window", "1 h"), 60 * 60),
    Window("6h", QT_TRANSLATE_NOOP("Window", "6 h"), 6 * 60 * 60),
    Window("24h", QT_TRANSLATE_NOOP("Window", "24 h"), 24 * 60 * 60),
    Window("7d", QT_TRANSLATE_NOOP("Window", "7 days"), 7 * 24 * 60 * 60),
)
DEFAULT_WINDOW = "15m"


def window_by_key(key: str) -> Window:
    """The window with ``key`` ("15m" ... "7d"); ValueError for an unknown key."""
    for window in WINDOWS:
        if window.key == key:
            return window
    raise ValueError(
        f"unknown time window {key!r}; choose from {', '.join(w.key for w in WINDOWS)}"
    )


def step_for(window_s: float, max_points: int = 1000, min_step_s: float = 15.0) -> float:
    """The range-query step for a window of ``window_s`` seconds, in whole seconds.

    A range query evaluates at ``start, start + step, ...`` up to ``end``, so a
    window gives ``floor(window_s / step) + 1`` samples; the step keeps that at
    most ``max_points``, and is never below ``min_step_s`` (a step shorter than
    the scrape interval only repeats samples).
    """
    if not math.isfinite(window_s) or window_s <= 0:
        raise ValueError(f"window_s must be a positive number of seconds, not {window_s!r}")
    if max_points < 2:
        raise ValueError(f"max_points must be at least 2, not {max_points!r}")
    if not math.isfinite(min_step_s) or min_step_s <= 0:
        raise ValueError(f"min_step_s must be a positive number of seconds, not {min_step_s!r}")
    step = float(math.ceil(max(window_s / max_points, min_step_s)))
    if math.floor(window_s / step) + 1 > max_points:
        # window_s / max_points was a whole number: one more second drops the extra sample.
        step += 1.0
    return step


@dataclass(eq=False)
class Series:
    """One labelled curve: ``x`` in epoch seconds, ``y`` its values (NaN for a gap)."""

    key: str
    labels: dict[str, str]
    x: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)

    def __post_init__(self) -> None:
        self.x = np.asarray(self.x, dtype=np.float64)
        self.y = np.asarray(self.y, dtype=np.float64)
        if self.x.ndim != 1 or self.x.shape != self.y.shape:
            raise ValueError(
                f"series {self.key!r}: x and y must be 1-D arrays of one length, "
                f"not shapes {self.x.shape} and {self.y.shape}"
            )

    def __len__(self) -> int:
        return len(self.x)


class RingSeries:
    """The newest ``capacity`` points of a series, in time order, without reallocation.

    The buffer is preallocated twice over and every point is written at ``i``
    and ``i + capacity``, so the points in time order are always one contiguous
    slice: :meth:`view` copies nothing, wrapped or not. The arrays it returns
    are views of the buffer, valid until the next change.

    Points arrive in time order: a point older than the newest is dropped, and a
    point at the newest time replaces its value.
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, not {capacity!r}")
        self.capacity = capacity
        self._t = np.empty(2 * capacity, dtype=np.float64)
        self._v = np.empty(2 * capacity, dtype=np.float64)
        self._next = 0  # where the next point goes, in [0, capacity)
        self._len = 0

    def __len__(self) -> int:
        return self._len

    def _start(self) -> int:
        return (self._next - self._len) % self.capacity

    def last(self) -> tuple[float, float] | None:
        """The newest point, or None when empty."""
        if self._len == 0:
            return None
        i = (self._next - 1) % self.capacity
        return float(self._t[i]), float(self._v[i])

    def append(self, t: float, v: float) -> bool:
        """Add one point; False if it was dropped for being older than the newest."""
        if not math.isfinite(t):
            raise ValueError(f"a point's time must be finite, not {t!r}")
        newest = self.last()
        if newest is not None and t <= newest[0]:
            if t < newest[0]:
                return False
            i = (self._next - 1) % self.capacity
            self._v[i] = self._v[i + self.capacity] = v
            return True
        i = self._next
        self._t[i] = self._t[i + self.capacity] = t
        self._v[i] = self._v[i + self.capacity] = v
        self._next = (i + 1) % self.capacity
        self._len = min(self._len + 1, self.capacity)
        return True

    def extend(self, xs: np.ndarray, ys: np.ndarray) -> int:
        """Add points with strictly increasing times; returns how many were appended.

        Points older than the newest already held are dropped, and one at the
        newest time updates its value (neither is counted); of more than
        ``capacity`` points only the newest ``capacity`` stay.
        """
        xs = np.asarray(xs, dtype=np.float64)
        ys = np.asarray(ys, dtype=np.float64)
        if xs.ndim != 1 or xs.shape != ys.shape:
            raise ValueError(
                f"xs and ys must be 1-D arrays of one length, not shapes {xs.shape} and {ys.shape}"
            )
        if len(xs) == 0:
            return 0
        if not np.all(np.isfinite(xs)):
            raise ValueError("every point's time must be finite")
        if len(xs) > 1 and np.any(np.diff(xs) <= 0):
            raise ValueError("xs must be strictly increasing")
        newest = self.last()
        if newest is not None:
            if xs[0] <= newest[0]:
                # The first point may update the newest value; older ones are dropped.
                first = int(np.searchsorted(xs, newest[0], side="left"))
                if first < len(xs) and xs[first] == newest[0]:
                    self.append(float(xs[first]), float(ys[first]))
                    first += 1
                xs, ys = xs[first:], ys[first:]
        appended = len(xs)
        if appended > self.capacity:
            xs, ys = xs[-self.capacity :], ys[-self.capacity :]
        n = len(xs)
        cap = self.capacity
        # At most two runs: up to the end of the buffer, then from its start.
        first = min(n, cap - self._next)
        for src, dst in ((slice(0, first), self._next), (slice(first, n), 0)):
            m = src.stop - src.start
            if m:
                for buf, data in ((self._t, xs), (self._v, ys)):
                    buf[dst : dst + m] = data[src]
                    buf[dst + cap : dst + cap + m] = data[src]
        self._next = (self._next + n) % cap
        self._len = min(self._len + n, cap)
        return appended

    def view(self) -> tuple[np.ndarray, np.ndarray]:
        """Times and values in time order, as contiguous float64 views of the buffer."""
        start = self._start()
        end = start + self._len
        return self._t[start:end], self._v[start:end]

    def clear(self) -> None:
        self._next = 0
        self._len = 0
