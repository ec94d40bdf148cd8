"""Time windows, range-query steps and the ring buffer of the trend plots."""

from __future__ import annotations

import math
import subprocess
import sys
from collections import deque

import numpy as np
import pytest

from console.domain.series import (
    DEFAULT_WINDOW,
    WINDOWS,
    RingSeries,
    Series,
    step_for,
    window_by_key,
)


def samples(window_s: float, step: float) -> int:
    """How many points a range query of ``window_s`` at ``step`` evaluates."""
    return math.floor(window_s / step) + 1


def test_windows_are_the_five_choices_and_the_default_is_one_of_them() -> None:
    assert [w.key for w in WINDOWS] == ["15m", "1h", "6h", "24h", "7d"]
    assert [w.seconds for w in WINDOWS] == [900, 3600, 21600, 86400, 604800]
    assert DEFAULT_WINDOW in {w.key for w in WINDOWS}
    assert window_by_key("7d").seconds == 604800
    with pytest.raises(ValueError, match="unknown time window '2d'"):
        window_by_key("2d")


def test_step_for_short_windows_is_the_minimum_step() -> None:
    assert step_for(15 * 60) == 15.0
    assert step_for(60 * 60) == 15.0
    assert step_for(1) == 15.0
    assert step_for(3600, min_step_s=30) == 30.0


def test_step_for_seven_days_keeps_a_thousand_points() -> None:
    step = step_for(7 * 86400)
    assert step == 605.0
    assert samples(7 * 86400, step) <= 1000
    assert samples(7 * 86400, step - 1) > 1000  # and it is the smallest such whole step


def test_step_for_rounds_up_to_whole_seconds() -> None:
    assert step_for(6 * 3600) == 22.0  # 21.6 s rounded up
    assert step_for(100, max_points=10, min_step_s=0.5) == 11.0
    assert float(step_for(86400)).is_integer()


def test_step_for_an_exact_multiple_does_not_give_one_point_too_many() -> None:
    # 15,000 s / 1,000 = 15 s would evaluate 1,001 points.
    step = step_for(15_000)
    assert samples(15_000, step) <= 1000
    assert step == 16.0


@pytest.mark.parametrize("window_s", [61.0, 900, 3599.5, 21600, 86400, 100_000, 604800, 2e6])
@pytest.mark.parametrize("max_points", [2, 11, 500, 1000])
def test_step_for_bounds_the_points_and_the_minimum(window_s: float, max_points: int) -> None:
    step = step_for(window_s, max_points)
    assert step >= 15.0
    assert step.is_integer()
    assert samples(window_s, step) <= max_points


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0,), "window_s"),
        ((-60,), "window_s"),
        ((math.nan,), "window_s"),
        ((3600, 1), "max_points"),
        ((3600, 0), "max_points"),
        ((3600, 1000, 0), "min_step_s"),
    ],
)
def test_step_for_rejects_bad_input(args: tuple[float, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        step_for(*args)  # type: ignore[arg-type]


def test_series_holds_float64_arrays_of_one_length() -> None:
    s = Series("a", {"queue_name": "a"}, np.array([1, 2, 3]), np.array([1, 2, 3]))
    assert s.x.dtype == np.float64 and s.y.dtype == np.float64
    assert len(s) == 3
    with pytest.raises(ValueError, match="one length"):
        Series("b", {}, np.arange(3.0), np.arange(2.0))


def test_ring_keeps_time_order_before_wrapping() -> None:
    ring = RingSeries(5)
    assert len(ring) == 0 and ring.last() is None
    for t in range(3):
        assert ring.append(float(t), t * 10.0)
    xs, ys = ring.view()
    assert xs.tolist() == [0.0, 1.0, 2.0]
    assert ys.tolist() == [0.0, 10.0, 20.0]
    assert xs.dtype == np.float64 and xs.flags.c_contiguous and ys.flags.c_contiguous
    assert ring.last() == (2.0, 20.0)


def test_ring_keeps_the_newest_points_in_time_order_after_wrapping() -> None:
    ring = RingSeries(4)
    for t in range(11):
        ring.append(float(t), -float(t))
    xs, ys = ring.view()
    assert len(ring) == 4
    assert xs.tolist() == [7.0, 8.0, 9.0, 10.0]
    assert ys.tolist() == [-7.0, -8.0, -9.0, -10.0]
    assert xs.flags.c_contiguous
    assert ring.last() == (10.0, -10.0)


def test_ring_view_copies_nothing() -> None:
    ring = RingSeries(4)
    ring.extend(np.arange(6.0), np.arange(6.0))
    xs, ys = ring.view()
    assert xs.base is not None and ys.base is not None  # views of the preallocated buffer


def test_ring_drops_older_points_and_updates_the_newest() -> None:
    ring = RingSeries(4)
    ring.append(10.0, 1.0)
    assert not ring.append(9.0, 2.0)
    assert ring.append(10.0, 3.0)
    assert len(ring) == 1 and ring.last() == (10.0, 3.0)
    with pytest.raises(ValueError, match="finite"):
        ring.append(math.nan, 1.0)


def test_ring_extend_matches_appending_one_by_one() -> None:
    rng = np.random.default_rng(7)
    capacity = 37
    ring = RingSeries(capacity)
    reference: deque[tuple[float, float]] = deque(maxlen=capacity)
    t = 0.0
    for chunk in [0, 1, 5, 36, 37, 38, 3, 100, 2, 0, 20]:
        xs = t + np.arange(1, chunk + 1, dtype=np.float64)
        ys = rng.normal(size=chunk)
        assert ring.extend(xs, ys) == chunk
        reference.extend(zip(xs.tolist(), ys.tolist(), strict=True))
        t = xs[-1] if chunk else t
        got_x, got_y = ring.view()
        assert got_x.tolist() == [p[0] for p in reference]
        assert got_y.tolist() == [p[1] for p in reference]
        assert len(ring) == len(reference)


def test_ring_extend_skips_what_it_already_has() -> None:
    ring = RingSeries(10)
    ring.extend(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0]))
    # 2 is older than the newest (3): dropped; 3 updates the newest; 4 and 5 are new.
    assert ring.extend(np.array([2.0, 3.0, 4.0, 5.0]), np.array([0.0, 30.0, 40.0, 50.0])) == 2
    xs, ys = ring.view()
    assert xs.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert ys.tolist() == [1.0, 2.0, 30.0, 40.0, 50.0]


def test_ring_extend_rejects_unsorted_or_mismatched_input() -> None:
    ring = RingSeries(10)
    with pytest.raises(ValueError, match="increasing"):
        ring.extend(np.array([1.0, 3.0, 2.0]), np.zeros(3))
    with pytest.raises(ValueError, match="one length"):
        ring.extend(np.arange(3.0), np.zeros(2))
    assert len(ring) == 0


def test_ring_extend_keeps_nan_values() -> None:
    ring = RingSeries(3)
    ring.extend(np.arange(3.0), np.array([1.0, math.nan, 2.0]))
    assert np.isnan(ring.view()[1][1])


def test_ring_clear_empties_it_and_it_fills_again() -> None:
    ring = RingSeries(3)
    ring.extend(np.arange(5.0), np.arange(5.0))
    ring.clear()
    assert len(ring) == 0 and ring.last() is None
    assert ring.view()[0].size == 0
    ring.append(1.0, 2.0)  # older than before the clear: accepted, the ring is empty
    assert ring.view()[0].tolist() == [1.0]


def test_ring_needs_a_capacity() -> None:
    with pytest.raises(ValueError, match="capacity"):
        RingSeries(0)


def test_series_and_the_prometheus_reader_import_without_qt() -> None:
    # In a fresh interpreter: pytest-qt has already imported Qt into this one.
    code = (
        "import sys, console.domain.series, console.services.prometheus_reader; "
        "print(sorted(m for m in sys.modules if m.startswith('PySide6')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_missing_samples_become_a_gap_not_a_line() -> None:
    import numpy as np

    from console.domain.series import Series
    from console.services.prometheus_reader import _with_gaps

    s = Series("q", {}, np.array([0.0, 15.0, 30.0, 300.0, 315.0]), np.array([1.0, 2, 3, 4, 5]))
    gapped = _with_gaps(s, 15.0)
    assert list(gapped.x[:5]) == [0.0, 15.0, 30.0, 45.0, 300.0]
    assert np.isnan(gapped.y[3]) and list(gapped.y[[0, 1, 2, 4, 5]]) == [1, 2, 3, 4, 5]
    assert (
        _with_gaps(Series("q", {}, np.array([0.0, 15.0]), np.array([1.0, 2.0])), 15.0).x.size == 2
    )
