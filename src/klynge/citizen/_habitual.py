"""The habitual value: a personal baseline from the citizen's own stable history of a lab test.

Rule (personalised reference intervals, as in "habitual value" practice): a result is compared
with the citizen's own earlier results of the same analysis, not only with the population
reference range. For each result:

1. the history is the earlier results of the same code within ``lookback_days`` (default 1095, three years);
   at least ``min_history`` (default 3) are needed, else there is no habitual value;
2. the history is made stable by dropping results further than 3 robust standard deviations
   (1.4826 x the median absolute deviation) from its median;
3. the habitual value is the median of the stable history; its spread is 1.4826 x the MAD of the
   stable history, floored at ``min_relative_spread`` (5 %) of the habitual value so that a run of
   identical results does not flag every small change;
4. the result deviates when it lies more than ``z_limit`` (3) spreads from the habitual value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

MAD_TO_SD = 1.4826


@dataclass(frozen=True)
class HabitualRule:
    lookback_days: int = 1095
    min_history: int = 3
    outlier_sd: float = 3.0
    z_limit: float = 3.0
    min_relative_spread: float = 0.05


@dataclass(frozen=True)
class Habitual:
    value: float
    spread: float
    n: int          # stable results used


def habitual_value(history: list[float], rule: HabitualRule = HabitualRule()) -> Habitual | None:
    """The habitual value of a history of results (steps 2-3), or None when it is too short.

    Examples
    --------
    >>> h = habitual_value([40, 42, 41, 43, 90])
    >>> h.value, h.n
    (41.5, 4)
    """
    x = np.asarray([v for v in history if v is not None and np.isfinite(v)], dtype=float)
    if len(x) < rule.min_history:
        return None
    med = float(np.median(x))
    mad = float(np.median(np.abs(x - med)))
    if mad > 0:
        x = x[np.abs(x - med) <= rule.outlier_sd * MAD_TO_SD * mad]
    if len(x) < rule.min_history:
        return None
    value = float(np.median(x))
    spread = MAD_TO_SD * float(np.median(np.abs(x - value)))
    spread = max(spread, rule.min_relative_spread * abs(value), 1e-9)
    return Habitual(value, spread, len(x))


def annotate_series(times: list[datetime], values: list[float | None], ref_low: list[float | None],
                    ref_high: list[float | None], rule: HabitualRule = HabitualRule()) -> list[dict]:
    """Habitual value and flags for every result of one analysis (ordered by time).

    Returns one dict per result: ``habitual``, ``habitual_spread``, ``habitual_n``, ``z`` and
    ``flags`` (``above_reference``, ``below_reference``, ``above_habitual``, ``below_habitual``).
    """
    order = sorted(range(len(times)), key=lambda i: times[i])
    out: list[dict] = [{} for _ in times]
    lookback = timedelta(days=rule.lookback_days)
    for pos, i in enumerate(order):
        t, v = times[i], values[i]
        history = [values[j] for j in order[:pos] if times[j] < t and times[j] >= t - lookback
                   and values[j] is not None]
        h = habitual_value(history, rule)
        flags: list[str] = []
        if v is not None:
            if ref_high[i] is not None and v > ref_high[i]:
                flags.append("above_reference")
            if ref_low[i] is not None and v < ref_low[i]:
                flags.append("below_reference")
        z = None
        if h is not None and v is not None:
            z = (v - h.value) / h.spread
            if z > rule.z_limit:
                flags.append("above_habitual")
            elif z < -rule.z_limit:
                flags.append("below_habitual")
        out[i] = {"habitual": None if h is None else round(h.value, 4),
                  "habitual_spread": None if h is None else round(h.spread, 4),
                  "habitual_n": 0 if h is None else h.n,
                  "z": None if z is None else round(z, 3),
                  "flags": flags}
    return out
