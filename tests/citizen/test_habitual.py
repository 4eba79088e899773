"""The habitual value, checked against an independent computation written out here."""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta

import numpy as np
import pytest

from klynge.citizen import HabitualRule, annotate_series, habitual_value


def _independent(history, outlier=3.0, floor=0.05):
    """Median/MAD by the statistics module, outliers dropped, spread floored."""
    med = statistics.median(history)
    mad = statistics.median([abs(x - med) for x in history])
    kept = [x for x in history if mad == 0 or abs(x - med) <= outlier * 1.4826 * mad]
    value = statistics.median(kept)
    spread = 1.4826 * statistics.median([abs(x - value) for x in kept])
    return value, max(spread, floor * abs(value)), len(kept)


@pytest.mark.parametrize("seed", range(20))
def test_habitual_value_matches_independent(seed):
    rng = np.random.default_rng(seed)
    history = list(rng.normal(50, 4, size=int(rng.integers(3, 30))))
    if seed % 3 == 0:
        history.append(150.0)     # an outlier that must not move the baseline
    h = habitual_value(history)
    value, spread, n = _independent(history)
    assert h.value == pytest.approx(value) and h.spread == pytest.approx(spread) and h.n == n
    if seed % 3 == 0:
        assert n <= len(history) - 1 and h.value < 60   # the outlier is dropped


def test_too_short_history():
    assert habitual_value([1.0, 2.0]) is None
    assert habitual_value([]) is None


def test_constant_history_uses_floor():
    h = habitual_value([40.0, 40.0, 40.0, 40.0])
    assert h.value == 40.0 and h.spread == pytest.approx(2.0)


def test_annotate_flags_personal_deviation_inside_reference_range():
    t0 = datetime(2024, 1, 1)
    times = [t0 + timedelta(days=60 * i) for i in range(6)]
    # a stable creatinine of about 60 that jumps to 95: still inside 45-105, but far off the habitual value
    values = [60.0, 61.0, 59.0, 60.0, 62.0, 95.0]
    notes = annotate_series(times, values, [45.0] * 6, [105.0] * 6)
    assert [n["habitual_n"] for n in notes] == [0, 0, 0, 3, 4, 5]
    assert notes[5]["habitual"] == pytest.approx(60.0)
    assert notes[5]["flags"] == ["above_habitual"]
    z = (95.0 - 60.0) / max(1.4826 * statistics.median([0, 1, 1, 0, 2]), 0.05 * 60)
    assert notes[5]["z"] == pytest.approx(z, abs=1e-3)
    assert notes[4]["flags"] == []


def test_annotate_chronically_high_is_habitual_but_outside_reference():
    t0 = datetime(2024, 1, 1)
    times = [t0 + timedelta(days=90 * i) for i in range(5)]
    values = [62.0, 64.0, 63.0, 61.0, 63.0]     # HbA1c above 42 every time
    notes = annotate_series(times, values, [20.0] * 5, [42.0] * 5)
    assert notes[4]["flags"] == ["above_reference"]       # not a deviation from the habitual value


def test_lookback_window_excludes_old_results():
    rule = HabitualRule(lookback_days=100)
    t0 = datetime(2020, 1, 1)
    times = [t0, t0 + timedelta(days=10), t0 + timedelta(days=20), t0 + timedelta(days=400)]
    notes = annotate_series(times, [1.0, 1.0, 1.0, 1.0], [None] * 4, [None] * 4, rule)
    assert notes[3]["habitual"] is None
    # order independence: shuffled input gives the same notes per result
    order = [3, 1, 0, 2]
    shuffled = annotate_series([times[i] for i in order], [1.0] * 4, [None] * 4, [None] * 4, rule)
    assert [shuffled[order.index(i)] for i in range(4)] == notes
