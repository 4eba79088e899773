"""Run and control charts (statistical process control) with the rules of the R package qicharts2."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from klynge.stats._common import (
    ArrayLike,
    FloatArray,
    as_float_array,
    check_choice,
    check_non_negative,
    check_same_length,
)
from klynge.stats._runs import RunsAnalysis, anhoej_rules

CHARTS = ("run", "i", "mr", "p", "u", "c")
# Shewhart constants for moving ranges of two points: d2 (mean range / sigma) and D4 (range limit).
D2 = 1.128
D4 = 3.267
SUMMARY_COLUMNS = [
    "part",
    "n_obs",
    "n_useful",
    "longest_run",
    "longest_run_max",
    "n_crossings",
    "n_crossings_min",
    "runs_signal",
    "cl",
    "lcl",
    "ucl",
    "n_sigma_signals",
]


@dataclass(frozen=True)
class QicChart:
    """A run or control chart: one row per point and one summary row per part.

    Attributes
    ----------
    chart
        The chart type (``"run"``, ``"i"``, ``"mr"``, ``"p"``, ``"u"`` or ``"c"``).
    points
        One row per point: ``x``, ``y``, ``n``, ``part``, ``baseline`` (used for the centre line),
        ``include`` (not excluded), ``y_plot`` (the plotted value, e.g. ``y / n * multiply``),
        ``cl``, ``lcl``, ``ucl``, ``sigma_signal`` (outside the 3-sigma limits) and
        ``runs_signal`` (the part breaks an Anhøj rule).
    summary
        One row per part with qicharts2's summary fields (``n_obs``, ``n_useful``,
        ``longest_run``, ``longest_run_max``, ``n_crossings``, ``n_crossings_min``,
        ``runs_signal``, ``cl``, average ``lcl`` and ``ucl``, ``n_sigma_signals``).
    multiply
        The factor applied to plotted values and lines.
    """

    chart: str
    points: pd.DataFrame
    summary: pd.DataFrame
    multiply: float

    @property
    def has_signal(self) -> bool:
        """Whether any part breaks an Anhøj rule or any point falls outside the limits."""
        return bool(self.points["runs_signal"].any() or self.points["sigma_signal"].any())


def _mean(values: FloatArray) -> float:
    """Mean of the non-missing values; NaN (without a warning) when there are none."""
    finite = values[~np.isnan(values)]
    return float(finite.mean()) if finite.size else np.nan


def _median(values: FloatArray) -> float:
    """Median of the non-missing values; NaN (without a warning) when there are none."""
    finite = values[~np.isnan(values)]
    return float(np.median(finite)) if finite.size else np.nan


def _positions(values: int | Sequence[int] | None, size: int, name: str, low: int) -> list[int]:
    """Check 1-based point numbers given as ``part`` or ``exclude``."""
    if values is None:
        return []
    try:
        items = np.atleast_1d(np.asarray(values, dtype=float))
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be point numbers, got {values!r}") from error
    checked: list[int] = []
    for item in items:
        if item != round(item) or not low <= item <= size:
            raise ValueError(f"{name} must hold point numbers from {low} to {size}, got {item:g}")
        checked.append(int(item))
    return sorted(set(checked))


def _part_numbers(part: int | Sequence[int] | None, size: int) -> npt.NDArray[np.int64]:
    """Part of each point: a break point k ends a part after the k-th point (1-based)."""
    breaks = _positions(part, size - 1, "part", 1) if size > 1 else []
    return np.searchsorted(np.asarray(breaks), np.arange(size), side="right").astype(np.int64) + 1


def _prepare(y: ArrayLike, n: ArrayLike | None, chart: str) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Validate the data and return ``(y, n, value)`` with missing points set to NaN.

    A point is missing when y or n is missing, or n is zero; its value is y / n when a
    denominator is given (and the chart is not a C chart), otherwise y.
    """
    y_arr = as_float_array(y, "y", allow_nan=True)
    if y_arr.size == 0:
        raise ValueError("y must have at least one point")
    if n is None:
        if chart in ("p", "u"):
            raise ValueError(f"a {chart.upper()} chart needs denominators n")
        n_arr = np.full(y_arr.size, np.nan)
        missing = np.isnan(y_arr)
    else:
        if chart == "c":
            raise ValueError("a C chart plots counts; use a U chart for counts with denominators n")
        n_arr = as_float_array(n, "n", allow_nan=True)
        check_same_length(y=y_arr, n=n_arr)
        check_non_negative(n_arr, "n")
        missing = np.isnan(y_arr) | np.isnan(n_arr) | (n_arr == 0)
    if chart in ("p", "u", "c"):
        check_non_negative(y_arr, "y (counts)")
    if chart == "p" and (y_arr[~missing] > n_arr[~missing]).any():
        raise ValueError("a P chart needs y <= n (events cannot outnumber the subgroup)")
    y_arr, n_arr = y_arr.copy(), n_arr.copy()
    y_arr[missing] = np.nan
    if n is not None:
        n_arr[missing] = np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        value = y_arr / n_arr if n is not None else y_arr.copy()
    return y_arr, n_arr, value


def _i_sigma(base_values: FloatArray, screened_mr: bool) -> float:
    """Process sigma of an I chart from the average moving range of consecutive baseline points."""
    moving_ranges = np.abs(np.diff(base_values))
    average = _mean(moving_ranges)
    if screened_mr:
        # Nelson (1982): leave out moving ranges above the upper range limit D4 * mean, then re-average.
        kept = moving_ranges[~np.isnan(moving_ranges) & (moving_ranges <= D4 * average)]
        average = _mean(kept)
    return average / D2


def _limits(
    chart: str, value: FloatArray, y: FloatArray, n: FloatArray, base: np.ndarray, screened_mr: bool
) -> tuple[FloatArray, float, FloatArray, FloatArray]:
    """Compute plotted values, centre line and 3-sigma limits for the points of one part."""
    size = value.size
    no_limit = np.full(size, np.nan)
    if chart == "run":
        return value, _median(value[base]), no_limit, no_limit
    if chart == "mr":
        moving_range = np.concatenate([[np.nan], np.abs(np.diff(value))])
        centre = _mean(moving_range[base])
        return moving_range, centre, np.zeros(size), np.full(size, D4 * centre)
    if chart == "i":
        centre = _mean(value[base])
        sigma = np.full(size, _i_sigma(value[base], screened_mr))
    elif chart == "c":
        centre = _mean(y[base])
        sigma = np.full(size, np.sqrt(centre))
    else:
        used = base & ~np.isnan(y)
        total = n[used].sum()
        centre = y[used].sum() / total if total > 0 else np.nan
        # Binomial (P) or Poisson (U) standard error at each point's own denominator.
        spread = centre * (1 - centre) if chart == "p" else centre
        with np.errstate(divide="ignore", invalid="ignore"):
            sigma = np.sqrt(spread / n)
    lower, upper = centre - 3 * sigma, centre + 3 * sigma
    if chart in ("p", "u", "c"):
        # Counts and proportions cannot be negative, and proportions cannot exceed 1.
        lower = np.maximum(lower, 0)
    if chart == "p":
        upper = np.minimum(upper, 1)
    return value, centre, lower, upper


def _summary_row(part: int, frame: pd.DataFrame, runs: RunsAnalysis) -> dict[str, object]:
    """qicharts2's summary of one part; limits are averaged over the part's points."""
    return {
        "part": part,
        "n_obs": int(frame["include"].sum()),
        "n_useful": runs.n_useful,
        "longest_run": runs.longest_run,
        "longest_run_max": runs.longest_run_max,
        "n_crossings": runs.n_crossings,
        "n_crossings_min": runs.n_crossings_min,
        "runs_signal": bool(frame["runs_signal"].any()),
        "cl": _mean(frame["cl"].to_numpy(dtype=float)),
        "lcl": _mean(frame["lcl"].to_numpy(dtype=float)),
        "ucl": _mean(frame["ucl"].to_numpy(dtype=float)),
        "n_sigma_signals": int(frame["sigma_signal"].sum()),
    }


def qic(
    y: ArrayLike,
    n: ArrayLike | None = None,
    x: Sequence[object] | pd.Series | None = None,
    chart: str = "run",
    part: int | Sequence[int] | None = None,
    freeze: int | None = None,
    exclude: int | Sequence[int] | None = None,
    multiply: float = 1,
    screened_mr: bool = True,
) -> QicChart:
    """Run chart or Shewhart control chart with the Anhøj rules, as the R package qicharts2.

    Parameters
    ----------
    y
        One value per point: a measurement (run, I, MR) or a count (P, U, C). NaN marks a missing
        point.
    n
        Denominators (subgroup sizes for P, person-time or exposure for U); required for P and U.
        With a run, I or MR chart, ``y / n`` is plotted. A point with ``n`` 0 or NaN is missing.
    x
        Labels of the points (e.g. months); default 1, 2, ... Must be unique: aggregate first.
    chart
        ``"run"`` (median centre line, no limits), ``"i"`` (individuals), ``"mr"`` (moving
        ranges), ``"p"`` (proportions), ``"u"`` (rates) or ``"c"`` (counts).
    part
        Break points: ``part=24`` makes points 1-24 the first part, and a list such as
        ``[12, 24]`` makes three parts. Each part gets its own centre line, limits and runs analysis.
    freeze
        The centre line and limits are computed from points 1..``freeze`` and extended to the
        later points, which still take part in the runs analysis. Cannot be combined with
        ``part`` (qicharts2 ignores ``freeze`` when parts are given).
    exclude
        Point numbers (1-based) left out of the centre line, the limits and the runs analysis;
        they are still plotted.
    multiply
        Factor for the plotted values and lines, e.g. 100 for percentages.
    screened_mr
        I chart only: leave out moving ranges above 3.267 times their mean before estimating
        sigma (qicharts2's default). ``False`` gives classic limits, sigma = mean(MR) / 1.128.

    Returns
    -------
    QicChart
        ``.points`` (one row per point) and ``.summary`` (one row per part).

    Notes
    -----
    Centre lines: the median (run chart); the mean (I, MR and C charts); ``sum(y) / sum(n)``
    over the baseline points (P and U charts). Limits are the centre line plus or minus three
    sigma per point: I chart sigma from moving ranges (screened by default), MR upper limit
    3.267 times the mean moving range, P ``sqrt(p(1-p)/n)``, U ``sqrt(u/n)``, C ``sqrt(c)``;
    lower limits of P, U and C charts stop at 0 and P upper limits at 1.

    The Anhøj rules signal non-random variation when the longest run of points on one side of
    the centre line exceeds ``round(log2(n_useful)) + 3`` or the number of crossings is below
    the 5 % quantile of Binomial(n_useful - 1, 0.5). Points on the centre line, missing points
    and excluded points are left out of the count (``n_useful``). Moving range charts are not
    tested for runs (``runs_signal`` is False), as in qicharts2.

    As in qicharts2, an I chart's moving ranges skip excluded points (the neighbours of an
    excluded point form one moving range) but not missing points (a missing point breaks two
    moving ranges), ``n_obs`` counts the included points of a part, missing ones too, and a
    missing point has no limits and never signals. One difference: screening keeps moving
    ranges equal to the screening limit (qicharts2 keeps only those below it), so a series of
    equal values gets limits equal to its centre line instead of none.

    Examples
    --------
    >>> chart = qic([12, 10, 14, 11, 13, 12, 30, 12, 11, 13], chart="i")
    >>> round(float(chart.summary.loc[0, "cl"]), 1), int(chart.points["sigma_signal"].sum())
    (13.8, 1)
    """
    check_choice(chart, "chart", CHARTS)
    if not np.isfinite(multiply) or multiply <= 0:
        raise ValueError(f"multiply must be a positive number, got {multiply!r}")
    y_arr, n_arr, value = _prepare(y, n, chart)
    size = y_arr.size
    labels = np.arange(1, size + 1) if x is None else np.asarray(x, dtype=object)
    if len(labels) != size:
        raise ValueError(f"x has {len(labels)} labels for {size} points")
    if pd.Series(labels).duplicated().any():
        raise ValueError("x labels must be unique: aggregate the data to one value per point first")
    if freeze is not None and part is not None:
        raise ValueError("use either part or freeze, not both")
    if freeze is not None and (int(freeze) != freeze or not 1 <= freeze <= size):
        raise ValueError(f"freeze must be a point number from 1 to {size}, got {freeze!r}")
    position = np.arange(1, size + 1)
    parts = _part_numbers(part, size)
    baseline = position <= (freeze if freeze is not None else size)
    include = ~np.isin(position, _positions(exclude, size, "exclude", 1))
    frames, summaries = [], []
    for number in np.unique(parts):
        rows = parts == number
        plotted, centre, lower, upper = _limits(
            chart, value[rows], y_arr[rows], n_arr[rows], (baseline & include)[rows], screened_mr
        )
        missing = np.isnan(plotted)
        lower, upper = np.where(missing, np.nan, lower), np.where(missing, np.nan, upper)
        centre_line = np.full(plotted.size, centre)
        runs = anhoej_rules(plotted[include[rows]], centre_line[include[rows]])
        frame = pd.DataFrame(
            {
                "x": labels[rows],
                "y": y_arr[rows],
                "n": n_arr[rows],
                "part": int(number),
                "baseline": baseline[rows],
                "include": include[rows],
                "y_plot": plotted * multiply,
                "cl": centre_line * multiply,
                "lcl": lower * multiply,
                "ucl": upper * multiply,
            }
        )
        with np.errstate(invalid="ignore"):
            frame["sigma_signal"] = (frame["y_plot"] > frame["ucl"]) | (frame["y_plot"] < frame["lcl"])
        frame["runs_signal"] = runs.runs_signal and chart != "mr"
        frames.append(frame)
        summaries.append(_summary_row(int(number), frame, runs))
    points = pd.concat(frames, ignore_index=True)
    summary = pd.DataFrame(summaries, columns=SUMMARY_COLUMNS)
    return QicChart(chart=chart, points=points, summary=summary, multiply=float(multiply))
