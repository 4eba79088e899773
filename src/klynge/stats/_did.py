"""Difference-in-differences for counts: Poisson model with unit and period fixed effects."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm

from klynge.stats._common import check_conf, collect_warnings
from klynge.stats._rates import GLM_TOLERANCE

REFERENCE_PERIOD = -1


@dataclass(frozen=True)
class DidResult:
    """Difference-in-differences estimate of a treatment's rate ratio.

    Attributes
    ----------
    rate_ratio, ci_low, ci_high, p_value
        The treatment term: the rate in treated unit-periods relative to what the unit and period
        effects predict without treatment, with a Wald interval and test.
    estimate, std_error
        The log rate ratio and its standard error.
    cov_type
        ``"model"`` (Poisson model-based) or ``"cluster"`` (cluster-robust, clustered on unit).
    conf
        Confidence level.
    n_units, n_periods, n_treated_units
        Panel size after dropping units or periods without any events.
    event_study
        One row per period relative to adoption (``relative_period``, ``rate_ratio``, ``ci_low``,
        ``ci_high``, ``p_value``); the reference period -1 has rate ratio 1 and no interval.
        Empty when the event study is not identified (see ``notes``).
    notes
        Sentences about dropped units or periods, references and fitting warnings.
    model
        The fitted statsmodels GLM of the main (single treatment term) model.
    """

    rate_ratio: float
    ci_low: float
    ci_high: float
    p_value: float
    estimate: float
    std_error: float
    cov_type: str
    conf: float
    n_units: int
    n_periods: int
    n_treated_units: int
    event_study: pd.DataFrame = field(repr=False, compare=False)
    notes: tuple[str, ...] = ()
    model: Any = field(default=None, repr=False, compare=False)


def _validate(
    panel: pd.DataFrame, outcome: str, exposure: str, unit: str, period: str, treatment: str
) -> pd.DataFrame:
    """Check the panel and return only the needed columns, sorted by unit and period."""
    columns = [outcome, exposure, unit, period, treatment]
    absent = [column for column in columns if column not in panel.columns]
    if absent:
        raise ValueError(f"columns not in the panel: {', '.join(absent)}")
    data = panel[columns].copy()
    if data.isna().any().any():
        raise ValueError("the panel has missing values in the model's columns")
    if data.duplicated([unit, period]).any():
        raise ValueError("the panel must have one row per unit and period")
    if not data[treatment].isin([0, 1]).all():
        raise ValueError(f"treatment column {treatment!r} must be 0 or 1")
    if (data[outcome] < 0).any():
        raise ValueError(f"outcome column {outcome!r} must not be negative")
    if (data[exposure] <= 0).any():
        raise ValueError(f"exposure column {exposure!r} must be greater than zero")
    return data.sort_values([unit, period]).reset_index(drop=True)


def _drop_empty(data: pd.DataFrame, outcome: str, keys: tuple[str, str], notes: list[str]) -> pd.DataFrame:
    """Drop units, then periods, whose outcome is zero throughout.

    Under unit (period) fixed effects such a unit (period) has an estimated rate of zero and
    carries no information about the treatment's rate ratio; keeping it only stops the fit
    from converging.
    """
    for key in keys:
        totals = data.groupby(key)[outcome].transform("sum")
        empty = data.loc[totals == 0, key].unique()
        if len(empty):
            notes.append(f"Dropped {len(empty)} {key} value(s) with no events: {', '.join(map(str, empty))}.")
            data = data[totals > 0]
    return data.reset_index(drop=True)


def _fixed_effects(data: pd.DataFrame, unit: str, period: str) -> pd.DataFrame:
    """Intercept plus unit and period indicator columns (first level of each as reference)."""
    units = pd.get_dummies(data[unit].astype(str), prefix="unit", drop_first=True, dtype=float)
    periods = pd.get_dummies(data[period].astype(str), prefix="period", drop_first=True, dtype=float)
    intercept = pd.DataFrame({"const": np.ones(len(data))})
    return pd.concat([intercept, units, periods], axis=1)


def _fit(
    y: pd.Series, exog: pd.DataFrame, offset: np.ndarray, groups: np.ndarray | None, notes: list[str]
) -> Any:
    """Poisson GLM with a log-exposure offset, model-based or clustered on unit."""
    model = sm.GLM(y.to_numpy(dtype=float), exog, family=sm.families.Poisson(), offset=offset)
    kwargs: dict[str, Any] = {}
    if groups is not None:
        kwargs = {"cov_type": "cluster", "cov_kwds": {"groups": groups}}
    # A saturated model has no residual degrees of freedom; the dispersion statsmodels computes
    # on the way is then 0/0, but a Poisson model does not use it.
    with collect_warnings(notes), np.errstate(divide="ignore", invalid="ignore"):
        return model.fit(tol=GLM_TOLERANCE, maxiter=100, **kwargs)


def _relative_periods(data: pd.DataFrame, unit: str, period: str, treatment: str) -> pd.Series:
    """Periods since adoption (0 = first treated period) for treated units; NaN for never-treated."""
    order = {value: index for index, value in enumerate(sorted(data[period].unique()))}
    position = data[period].map(order)
    adoption = position.where(data[treatment] == 1).groupby(data[unit]).transform("min")
    return position - adoption


def _event_study(
    data: pd.DataFrame,
    columns: tuple[str, ...],
    base: pd.DataFrame,
    offset: np.ndarray,
    groups: np.ndarray | None,
    alpha: float,
    notes: list[str],
) -> pd.DataFrame:
    """Rate ratios per period relative to adoption, with period -1 as the reference."""
    outcome, unit, period, treatment = columns
    relative = _relative_periods(data, unit, period, treatment)
    references = [REFERENCE_PERIOD]
    if relative.isna().sum() == 0:
        # Without never-treated units, relative time and calendar time are collinear up to a
        # linear trend: a second reference (the earliest relative period) is needed.
        references.append(int(relative.min()))
        notes.append(
            f"No never-treated units: event study also uses relative period {references[-1]} as reference."
        )
    levels = sorted(int(value) for value in relative.dropna().unique() if value not in references)
    dummies = pd.DataFrame({f"rel_{k}": (relative == k).astype(float) for k in levels})
    exog = pd.concat([base, dummies], axis=1)
    if np.linalg.matrix_rank(exog.to_numpy()) < exog.shape[1]:
        notes.append(
            "Event study not identified (relative periods collinear with fixed effects); left empty."
        )
        return pd.DataFrame(columns=["relative_period", "rate_ratio", "ci_low", "ci_high", "p_value"])
    fit = _fit(data[outcome], exog, offset, groups, notes)
    limits = np.exp(fit.conf_int(alpha=alpha))
    rows = [
        {
            "relative_period": k,
            "rate_ratio": float(np.exp(fit.params[f"rel_{k}"])),
            "ci_low": float(limits.loc[f"rel_{k}", 0]),
            "ci_high": float(limits.loc[f"rel_{k}", 1]),
            "p_value": float(fit.pvalues[f"rel_{k}"]),
        }
        for k in levels
    ]
    observed = set(relative.dropna().astype(int))
    rows += [
        {"relative_period": k, "rate_ratio": 1.0, "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan}
        for k in references
        if k in observed
    ]
    return pd.DataFrame(rows).sort_values("relative_period").reset_index(drop=True)


def did(
    panel: pd.DataFrame,
    outcome: str,
    exposure: str,
    unit: str,
    period: str,
    treatment: str,
    cluster_robust: bool = False,
    conf: float = 0.95,
) -> DidResult:
    """Difference-in-differences rate ratio from a unit x period panel of counts.

    Parameters
    ----------
    panel
        One row per unit (e.g. municipality) and period (e.g. quarter).
    outcome
        Column with event counts.
    exposure
        Column with person-time (> 0); its log is the model offset.
    unit, period
        Columns identifying the unit and the period; periods must sort in time order.
    treatment
        Column that is 1 for a treated unit in a treated period and 0 otherwise. Units may adopt
        at different periods (staggered adoption); a unit's first period with 1 is its adoption.
    cluster_robust
        Use standard errors clustered on unit (robust to correlation within a unit over time and
        to over-dispersion) instead of the Poisson model-based ones.
    conf
        Confidence level.

    Returns
    -------
    DidResult
        The treatment rate ratio with interval and p-value, and an event study by period
        relative to adoption.

    Notes
    -----
    The model is ``log E[outcome] = log(exposure) + unit + period + beta * treatment``
    (two-way fixed effects Poisson regression); ``exp(beta)`` is the rate ratio. With staggered
    adoption and effects that change over time, the single ``beta`` averages effects with
    weights set by the design; check the event study, whose pre-adoption rate ratios should be
    near 1 if trends were parallel before adoption.

    Examples
    --------
    >>> import pandas as pd
    >>> panel = pd.DataFrame({"kommune": ["A"] * 4 + ["B"] * 4 + ["C"] * 4,
    ...                       "quarter": [1, 2, 3, 4] * 3,
    ...                       "admissions": [50, 52, 30, 31, 40, 41, 42, 40, 61, 58, 60, 63],
    ...                       "years": [1000] * 12, "treated": [0, 0, 1, 1] + [0] * 8})
    >>> result = did(panel, "admissions", "years", "kommune", "quarter", "treated")
    >>> round(result.rate_ratio, 2), round(result.ci_low, 2), round(result.ci_high, 2)
    (0.58, 0.4, 0.85)
    """
    alpha = check_conf(conf)
    notes: list[str] = []
    data = _validate(panel, outcome, exposure, unit, period, treatment)
    data = _drop_empty(data, outcome, (unit, period), notes)
    if data[treatment].nunique() < 2:
        raise ValueError("treatment must vary (some treated and some untreated unit-periods)")
    base = _fixed_effects(data, unit, period)
    exog = pd.concat([base.iloc[:, :1], data[[treatment]].astype(float), base.iloc[:, 1:]], axis=1)
    if np.linalg.matrix_rank(exog.to_numpy()) < exog.shape[1]:
        raise ValueError("treatment is collinear with the unit and period effects (no untreated comparison)")
    offset = np.log(data[exposure].to_numpy(dtype=float))
    groups = pd.factorize(data[unit])[0] if cluster_robust else None
    fit = _fit(data[outcome], exog, offset, groups, notes)
    low, high = np.exp(fit.conf_int(alpha=alpha).loc[treatment])
    event_study = _event_study(data, (outcome, unit, period, treatment), base, offset, groups, alpha, notes)
    return DidResult(
        rate_ratio=float(np.exp(fit.params[treatment])),
        ci_low=float(low),
        ci_high=float(high),
        p_value=float(fit.pvalues[treatment]),
        estimate=float(fit.params[treatment]),
        std_error=float(fit.bse[treatment]),
        cov_type="cluster" if cluster_robust else "model",
        conf=conf,
        n_units=int(data[unit].nunique()),
        n_periods=int(data[period].nunique()),
        n_treated_units=int(data.loc[data[treatment] == 1, unit].nunique()),
        event_study=event_study,
        notes=tuple(notes),
        model=fit,
    )
