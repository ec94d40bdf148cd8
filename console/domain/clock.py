"""The console's "now": the wall clock, or a snapshot's moment while one is open.

Everything the pages show relative to now (ages, "last 24 h" filters, a trend's right
edge, "expires in") reads :func:`now`, so a snapshot opened days later shows the state as
it was when it was taken rather than as if everything had aged since. Timers and
timeouts keep the real clock (``time.monotonic``); only the moment shown is frozen.
"""

from __future__ import annotations

import time

_frozen: float | None = None


def now() -> float:
    """Epoch seconds: the wall clock, or the snapshot's moment while one is open."""
    return time.time() if _frozen is None else _frozen


def freeze(at: float) -> None:
    """From now on :func:`now` answers ``at`` (a snapshot was opened)."""
    global _frozen
    _frozen = float(at)


def thaw() -> None:
    """Back to the wall clock (a live environment was opened)."""
    global _frozen
    _frozen = None


def frozen() -> float | None:
    """The snapshot's moment, or None when the clock runs."""
    return _frozen
