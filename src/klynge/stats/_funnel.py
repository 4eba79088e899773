"""Funnel plot limits for comparing units (municipalities, practices) with a target."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from klynge.stats._common import (
    ArrayLike,
    FloatArray,
    as_float_array,
    check_choice,
    check_non_negative,
    check_positive,
    check_same_length,
    check_whole,
)

KINDS = ("binomial", "poisson")
METHODS = ("exact", "normal")
# Two-sided coverage of the inner (about 2 SD) and outer (about 3 SD) funnels.
LEVELS = {"95": 0.95, "998": 0.998}


def _exact_limit(probability: float, size: FloatArray, target: float, kind: str) -> FloatArray:
    """Spiegelhalter (2005, appendix A.1.1) interpolated exact limit at one tail probability.

    With r the ``probability`` quantile of the count (the smallest r with F(r) >= p), the
    discrete step is smoothed by ``alpha = (F(r) - p) / (F(r) - F(r - 1))`` and the limit is
    ``(r - alpha) / size`` on the scale of the observed proportion or rate.
    """
    if kind == "binomial":
        distribution = stats.binom(np.round(size).astype(int), target)
    else:
        distribution = stats.poisson(size * target)
    r = distribution.ppf(probability)
    at_r, below_r = distribution.cdf(r), distribution.cdf(r - 1)
    alpha = (at_r - probability) / (at_r - below_r)
    return np.asarray((r - alpha) / size, dtype=np.float64)


def _normal_limit(probability: float, size: FloatArray, target: float, kind: str) -> FloatArray:
    """Approximate the limit by the target plus z times the binomial or Poisson standard error."""
    variance = target * (1 - target) if kind == "binomial" else target
    return np.asarray(target + stats.norm.ppf(probability) * np.sqrt(variance / size), dtype=np.float64)


def funnel(
    events: ArrayLike,
    denominators: ArrayLike,
    target: float | None,
    kind: str = "binomial",
    method: str = "exact",
    units: Sequence[object] | pd.Index | None = None,
) -> pd.DataFrame:
    """Funnel plot control limits at 95 % and 99.8 % for each unit's proportion or rate.

    Parameters
    ----------
    events
        Numerator of each unit (events, cases).
    denominators
        Denominator of each unit: persons (``kind="binomial"``) or person-time / exposure
        (``kind="poisson"``), greater than 0.
    target
        The value units are compared with: a proportion (binomial) or a rate per unit of
        exposure (Poisson). ``None`` uses the pooled value ``sum(events) / sum(denominators)``.
    kind
        ``"binomial"`` for proportions, ``"poisson"`` for rates.
    method
        ``"exact"``: exact binomial or Poisson limits with Spiegelhalter's (2005) interpolation
        between attainable counts; ``"normal"``: the normal approximation. Limits are clipped at 0
        and, for proportions, at 1.
    units
        Labels for the rows; by default the index of ``events`` if it is a Series, else 0, 1, ...

    Returns
    -------
    pandas.DataFrame
        One row per unit: ``events``, ``denominator``, ``observed`` (events / denominator),
        ``target``, ``lower_95``, ``upper_95``, ``lower_998``, ``upper_998`` and the flags
        ``outside_95``, ``outside_998`` (strictly below the lower or above the upper limit).

    Raises
    ------
    ValueError
        For negative events, denominators that are not positive, proportions above 1, a
        binomial denominator that is not a whole number with ``method="exact"``, or an
        unknown kind or method.

    Notes
    -----
    Spiegelhalter DJ (2005). Funnel plots for comparing institutional performance. Statistics in
    Medicine 24:1185-1202. The 95 % and 99.8 % limits are the 2.5/97.5 % and 0.1/99.9 %
    points of the count distribution under the target, divided by the denominator.

    Examples
    --------
    >>> table = funnel([5, 30, 12], [50, 200, 60], target=0.1)
    >>> table[["observed", "lower_95", "upper_95", "outside_95"]].round(3).to_dict("list")
    {'observed': [0.1, 0.15, 0.2], 'lower_95': [0.014, 0.058, 0.021], 'upper_95': [0.18, 0.141, 0.174], \
'outside_95': [False, True, True]}
    """
    check_choice(kind, "kind", KINDS)
    check_choice(method, "method", METHODS)
    numerator = as_float_array(events, "events")
    size = as_float_array(denominators, "denominators")
    check_same_length(events=numerator, denominators=size)
    check_non_negative(numerator, "events")
    check_positive(size, "denominators")
    if kind == "binomial":
        if (numerator > size).any():
            raise ValueError("binomial events cannot exceed their denominators")
        if method == "exact":
            check_whole(size, "binomial denominators")
    if target is None:
        target = float(numerator.sum() / size.sum())
    upper_bound = 1.0 if kind == "binomial" else np.inf
    if not np.isfinite(target) or not 0 < target < upper_bound:
        raise ValueError(
            f"target must be a proportion strictly between 0 and 1, or a positive rate, got {target!r}"
        )
    limit = _exact_limit if method == "exact" else _normal_limit
    table = pd.DataFrame(
        {
            "events": numerator,
            "denominator": size,
            "observed": numerator / size,
            "target": target,
        },
        index=_row_labels(events, units, numerator.size),
    )
    for label, coverage in LEVELS.items():
        tail = (1 - coverage) / 2
        lower = np.clip(limit(tail, size, target, kind), 0, upper_bound)
        upper = np.clip(limit(1 - tail, size, target, kind), 0, upper_bound)
        table[f"lower_{label}"], table[f"upper_{label}"] = lower, upper
    for label in LEVELS:
        observed = table["observed"]
        table[f"outside_{label}"] = (observed < table[f"lower_{label}"]) | (
            observed > table[f"upper_{label}"]
        )
    return table


def _row_labels(events: ArrayLike, units: Sequence[object] | pd.Index | None, size: int) -> pd.Index:
    """Row labels: ``units`` if given, else a Series' own index, else 0, 1, ..."""
    if units is not None:
        if len(units) != size:
            raise ValueError(f"units has {len(units)} labels for {size} rows")
        return pd.Index(units, name="unit")
    if isinstance(events, pd.Series):
        return events.index
    return pd.RangeIndex(size, name="unit")
