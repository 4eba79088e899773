"""Rate ratios: two groups (Wald or exact) and Poisson / negative binomial regression."""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf
from patsy import PatsyError
from scipy import stats
from statsmodels.tools.sm_exceptions import MissingDataError, PerfectSeparationWarning

from klynge.stats._common import check_choice, check_conf, collect_warnings

METHODS = ("wald", "exact")
FAMILIES = ("poisson", "negbin")
# IRLS stops when the deviance changes less than this (statsmodels' default, 1e-8, leaves
# standard errors off in the sixth digit).
GLM_TOLERANCE = 1e-12


@dataclass(frozen=True)
class RateRatio:
    """The rate ratio of group b (intervention) to group a (reference).

    Attributes
    ----------
    irr
        Incidence rate ratio ``(events_b / time_b) / (events_a / time_a)``; ``0`` when b has no
        events, ``inf`` when a has none, NaN when neither has.
    ci_low, ci_high
        Confidence limits for the rate ratio (NaN where the method cannot give one; see ``note``).
    p_value
        Two-sided p-value for the hypothesis that the rate ratio is 1.
    method
        ``"wald"`` or ``"exact"``.
    conf
        Confidence level.
    rate_a, rate_b
        Event rates per unit of person-time in each group.
    events_a, time_a, events_b, time_b
        The counts and person-time the estimate is based on (after any continuity correction).
    note
        Empty, or a sentence explaining a special case (zero counts, continuity correction).
    """

    irr: float
    ci_low: float
    ci_high: float
    p_value: float
    method: str
    conf: float
    rate_a: float
    rate_b: float
    events_a: float
    time_a: float
    events_b: float
    time_b: float
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        """Return the result as a plain dictionary (for JSON output)."""
        return asdict(self)


def _check_group(events: float, time: float, label: str) -> tuple[float, float]:
    """Validate one group's event count and person-time."""
    try:
        events_f, time_f = float(events), float(time)
    except (TypeError, ValueError) as error:
        raise ValueError(f"events_{label} and time_{label} must be numbers") from error
    if not math.isfinite(events_f) or events_f < 0:
        raise ValueError(f"events_{label} must be a finite number >= 0, got {events!r}")
    if not math.isfinite(time_f) or time_f <= 0:
        raise ValueError(f"time_{label} (person-time) must be a finite number > 0, got {time!r}")
    return events_f, time_f


def _ratio(events_a: float, time_a: float, events_b: float, time_b: float) -> float:
    """Return the point estimate; 0/0 is undefined (NaN) and x/0 is infinite."""
    if events_a == 0:
        return math.nan if events_b == 0 else math.inf
    return (events_b / time_b) / (events_a / time_a)


def _wald(events_a: float, time_a: float, events_b: float, time_b: float, alpha: float) -> tuple[float, ...]:
    """Poisson GLM with a log person-time offset: log(rate) = b0 + b1 * [group b]."""
    exog = np.array([[1.0, 0.0], [1.0, 1.0]])
    offset = np.log([time_a, time_b])
    model = sm.GLM(np.array([events_a, events_b]), exog, family=sm.families.Poisson(), offset=offset)
    # The two-group model is saturated: it fits both counts exactly, which statsmodels flags as
    # "perfect prediction", and its dispersion estimate is 0/0. Neither matters for a Poisson
    # model with two positive counts (zero counts never reach this function).
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.filterwarnings("ignore", category=PerfectSeparationWarning)
        fit = model.fit(tol=GLM_TOLERANCE, maxiter=100)
    low, high = fit.conf_int(alpha=alpha)[1]
    return math.exp(fit.params[1]), math.exp(low), math.exp(high), float(fit.pvalues[1])


def _exact(events_a: float, time_a: float, events_b: float, time_b: float, alpha: float) -> tuple[float, ...]:
    """Exact conditional test: given the total, events in b are binomial with p = T_b / (T_a + T_b).

    The binomial (Clopper-Pearson) limits for p map to rate-ratio limits through
    ``p / (1 - p) * T_a / T_b``; the two-sided p-value sums the probabilities of all
    outcomes no more likely than the one observed (as R's ``poisson.test``).
    """
    total = int(events_a + events_b)
    if total == 0:
        return math.nan, 0.0, math.inf, 1.0
    test = stats.binomtest(int(events_b), total, time_b / (time_a + time_b))
    interval = test.proportion_ci(confidence_level=1 - alpha, method="exact")
    scale = time_a / time_b

    def to_ratio(p: float) -> float:
        return math.inf if p >= 1 else p / (1 - p) * scale

    irr = _ratio(events_a, time_a, events_b, time_b)
    return irr, to_ratio(interval.low), to_ratio(interval.high), float(test.pvalue)


def rate_ratio(
    events_a: float,
    time_a: float,
    events_b: float,
    time_b: float,
    conf: float = 0.95,
    method: str = "wald",
    continuity: float = 0.0,
) -> RateRatio:
    """Compare two event rates: the rate ratio of group b (intervention) to group a (reference).

    Parameters
    ----------
    events_a, time_a
        Events and person-time in the reference group.
    events_b, time_b
        Events and person-time in the intervention group.
    conf
        Confidence level of the interval.
    method
        ``"wald"``: Poisson GLM with a log person-time offset (statsmodels), a Wald interval and
        z-test on the log rate ratio. ``"exact"``: the exact conditional binomial interval and test,
        as R's two-sample ``poisson.test``.
    continuity
        Wald only: when either count is zero, add this amount (e.g. 0.5) to both counts before
        fitting. The default 0 adds nothing.

    Returns
    -------
    RateRatio
        The estimate, interval, p-value and the inputs used.

    Raises
    ------
    ValueError
        For negative counts, person-time that is not positive, an unknown method, or (exact)
        counts that are not whole numbers.

    Notes
    -----
    Zero counts never raise. The point estimate is 0 when b has no events, infinite when a has
    none and NaN when neither has. The exact method still gives an interval: its lower limit is 0
    when b has no events and its upper limit infinite when a has none (both groups empty gives
    (0, inf) and p = 1). The Wald interval needs the log of both counts, so without a continuity
    correction it is NaN, as is its p-value, and ``note`` says why.

    Examples
    --------
    >>> result = rate_ratio(events_a=30, time_a=1000, events_b=15, time_b=1000, method="exact")
    >>> round(result.irr, 2), round(result.ci_low, 3), round(result.ci_high, 3)
    (0.5, 0.25, 0.959)
    """
    alpha = check_conf(conf)
    check_choice(method, "method", METHODS)
    events_a, time_a = _check_group(events_a, time_a, "a")
    events_b, time_b = _check_group(events_b, time_b, "b")
    if continuity < 0 or not math.isfinite(continuity):
        raise ValueError(f"continuity must be a finite number >= 0, got {continuity!r}")
    note = ""
    if method == "exact":
        if events_a != round(events_a) or events_b != round(events_b):
            raise ValueError("the exact method needs whole-number event counts")
        irr, low, high, p_value = _exact(events_a, time_a, events_b, time_b, alpha)
        if events_a == 0 or events_b == 0:
            note = "A zero count: the exact interval is open on that side (0 or infinity)."
    elif min(events_a, events_b) > 0:
        irr, low, high, p_value = _wald(events_a, time_a, events_b, time_b, alpha)
    elif continuity > 0:
        events_a, events_b = events_a + continuity, events_b + continuity
        irr, low, high, p_value = _wald(events_a, time_a, events_b, time_b, alpha)
        note = f"A zero count: {continuity} was added to both counts before the Wald fit."
    else:
        irr, low, high, p_value = _ratio(events_a, time_a, events_b, time_b), math.nan, math.nan, math.nan
        note = (
            "A zero count: the Wald interval and p-value are undefined (log of zero); "
            "use method='exact' or a continuity correction such as continuity=0.5."
        )
    return RateRatio(
        irr=irr,
        ci_low=low,
        ci_high=high,
        p_value=p_value,
        method=method,
        conf=conf,
        rate_a=events_a / time_a,
        rate_b=events_b / time_b,
        events_a=events_a,
        time_a=time_a,
        events_b=events_b,
        time_b=time_b,
        note=note,
    )


class RegressionTable(pd.DataFrame):
    """A tidy table of rate ratios, one row per model term, that also carries the fitted model.

    Attributes
    ----------
    model
        The fitted statsmodels results object (``GLMResults`` or ``NegativeBinomialResults``).
    notes
        Warnings raised while fitting (convergence, perfect separation), as sentences.
    """

    _metadata = ["model", "notes"]
    model: Any
    notes: tuple[str, ...]

    @property
    def _constructor(self) -> type[RegressionTable]:
        return RegressionTable


def _fit_regression(
    data: pd.DataFrame, formula: str, offset: pd.Series, family: str, fit_kwargs: dict[str, Any]
) -> Any:
    """Fit the Poisson GLM or the NB2 negative binomial model by maximum likelihood."""
    if family == "poisson":
        model = smf.glm(formula, data, family=sm.families.Poisson(), offset=offset, missing="raise")
        return model.fit(tol=GLM_TOLERANCE, maxiter=100, **fit_kwargs)
    model = smf.negativebinomial(formula, data, offset=offset, missing="raise", loglike_method="nb2")
    return model.fit(method="newton", maxiter=200, disp=0, **fit_kwargs)


def poisson_regression(
    data: pd.DataFrame,
    formula: str,
    exposure: str,
    cluster: str | None = None,
    family: str = "poisson",
    conf: float = 0.95,
) -> RegressionTable:
    """Rate ratios adjusted for covariates, from a Poisson or negative binomial model.

    Parameters
    ----------
    data
        One row per observation (e.g. area x period), with the outcome count, the person-time
        and the covariates. Rows must not have missing values in the columns used.
    formula
        Model formula in statsmodels / patsy syntax, e.g. ``"events ~ C(period) + treated"``.
    exposure
        Column with person-time (> 0); its log enters the model as an offset.
    cluster
        Optional column identifying clusters (e.g. municipality). When given, standard errors
        are cluster-robust (sandwich, with statsmodels' small-sample correction).
    family
        ``"poisson"``, or ``"negbin"`` for a negative binomial (NB2) model whose dispersion is
        estimated by maximum likelihood, for over-dispersed counts.
    conf
        Confidence level of the intervals.

    Returns
    -------
    RegressionTable
        A DataFrame with columns ``term``, ``estimate`` (log rate ratio), ``std_error``,
        ``rate_ratio``, ``ci_low``, ``ci_high`` and ``p_value``; ``.model`` holds the fitted model
        and ``.notes`` any fitting warnings. The negative binomial dispersion ``alpha`` is left
        out of the table (see ``.model.params["alpha"]``).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"events": [10, 20, 12, 30], "years": [1000, 1000, 1100, 1050],
    ...                    "after": [0, 1, 0, 1], "area": ["A", "A", "B", "B"]})
    >>> table = poisson_regression(df, "events ~ after + C(area)", exposure="years")
    >>> round(float(table.set_index("term").loc["after", "rate_ratio"]), 3)
    2.335
    """
    alpha = check_conf(conf)
    check_choice(family, "family", FAMILIES)
    for column in [exposure] + ([cluster] if cluster else []):
        if column not in data.columns:
            raise ValueError(f"column {column!r} is not in data")
    person_time = pd.to_numeric(data[exposure], errors="coerce")
    if person_time.isna().any() or (person_time <= 0).any():
        raise ValueError(f"exposure column {exposure!r} must be > 0 in every row (no missing values)")
    fit_kwargs: dict[str, Any] = {}
    if cluster:
        if data[cluster].isna().any():
            raise ValueError(f"cluster column {cluster!r} has missing values")
        groups = pd.factorize(data[cluster])[0]
        fit_kwargs = {"cov_type": "cluster", "cov_kwds": {"groups": groups}}
    notes: list[str] = []
    try:
        with collect_warnings(notes):
            fit = _fit_regression(data, formula, np.log(person_time), family, fit_kwargs)
    except (MissingDataError, PatsyError) as error:
        if isinstance(error, PatsyError) and "missing" not in str(error):
            raise ValueError(f"invalid formula or data: {error}") from error
        raise ValueError(f"data has missing values in the model's columns: {error}") from error
    if not np.all(np.isfinite(np.asarray(fit.params))):
        raise ValueError(
            f"the {family} model could not be estimated (estimates are not finite); with a negative "
            "binomial model this usually means no over-dispersion: use family='poisson'"
        )
    table = _tidy(fit, alpha)
    table.model = fit
    table.notes = tuple(notes)
    return table


def _tidy(fit: Any, alpha: float) -> RegressionTable:
    """One row per term: log estimate, standard error, rate ratio, Wald interval, p-value."""
    params = pd.Series(fit.params)
    limits = pd.DataFrame(fit.conf_int(alpha=alpha))
    frame = pd.DataFrame(
        {
            "term": params.index,
            "estimate": params.to_numpy(),
            "std_error": pd.Series(fit.bse).to_numpy(),
            "rate_ratio": np.exp(params.to_numpy()),
            "ci_low": np.exp(limits.iloc[:, 0].to_numpy()),
            "ci_high": np.exp(limits.iloc[:, 1].to_numpy()),
            "p_value": pd.Series(fit.pvalues).to_numpy(),
        }
    )
    frame = frame[frame["term"] != "alpha"].reset_index(drop=True)
    return RegressionTable(frame)
