"""The Anhøj rules for non-random variation in run and control charts."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from klynge.stats._common import FloatArray


@dataclass(frozen=True)
class RunsAnalysis:
    """Runs analysis of one chart part (see :func:`anhoej_rules`)."""

    n_useful: int
    longest_run: float
    longest_run_max: float
    n_crossings: float
    n_crossings_min: float
    runs_signal: bool


def runs_limits(n_useful: int) -> tuple[int, int]:
    """Return the Anhøj limits for ``n_useful`` data points not on the centre line.

    Returns
    -------
    tuple of int
        ``(longest_run_max, n_crossings_min)``: a longest run above the first, or fewer crossings
        than the second, signals non-random variation.
    """
    # Schilling (2012): the upper prediction limit for the longest run is log2(n) + 3, rounded.
    longest_run_max = round(math.log2(n_useful)) + 3
    # Chen (2010): crossings are binomial(n - 1, 0.5); the limit is its lower 5 % quantile.
    n_crossings_min = int(stats.binom.ppf(0.05, max(n_useful - 1, 0), 0.5))
    return longest_run_max, n_crossings_min


def anhoej_rules(values: FloatArray, centre: FloatArray) -> RunsAnalysis:
    """Apply the Anhøj rules (Anhøj & Olesen 2014) to values compared with their centre line.

    Parameters
    ----------
    values
        The plotted values of the points taking part (excluded points already removed).
    centre
        The centre line at each of those points.

    Returns
    -------
    RunsAnalysis
        Useful points, longest run, crossings, their limits and whether either rule signals.
    """
    side = np.sign(values - centre)
    # Points on the centre line (and missing points) neither make nor break a run.
    side = side[~np.isnan(side) & (side != 0)]
    n_useful = int(side.size)
    if n_useful == 0:
        return RunsAnalysis(0, math.nan, math.nan, math.nan, math.nan, False)
    # A run ends wherever the side changes; each change is a crossing of the centre line.
    changes = np.flatnonzero(side[1:] != side[:-1])
    n_crossings = int(changes.size)
    run_ends = np.concatenate([changes, [n_useful - 1]])
    run_lengths = np.diff(np.concatenate([[-1], run_ends]))
    longest_run = int(run_lengths.max())
    longest_run_max, n_crossings_min = runs_limits(n_useful)
    signal = longest_run > longest_run_max or n_crossings < n_crossings_min
    return RunsAnalysis(
        n_useful=n_useful,
        longest_run=float(longest_run),
        longest_run_max=float(longest_run_max),
        n_crossings=float(n_crossings),
        n_crossings_min=float(n_crossings_min),
        runs_signal=bool(signal),
    )
