"""Direct and indirect age (and sex) standardisation of rates, for one area or many."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from klynge.stats._common import (
    ArrayLike,
    as_float_array,
    check_conf,
    check_non_negative,
    check_same_length,
    poisson_exact_ci,
)

DIRECT_COLUMNS = ["events", "population", "crude_rate", "rate", "ci_low", "ci_high"]
INDIRECT_COLUMNS = ["observed", "expected", "smr", "ci_low", "ci_high"]


@dataclass(frozen=True)
class DirectStandardisation:
    """A directly standardised rate for one area (rates per person; multiply for per 100,000).

    Attributes
    ----------
    rate
        The standardised rate: the area's stratum rates weighted by the standard population.
    ci_low, ci_high
        Fay-Feuer (1997) gamma confidence limits.
    crude_rate
        Events divided by population, without standardisation.
    events, population
        Totals over the strata.
    conf
        Confidence level.
    """

    rate: float
    ci_low: float
    ci_high: float
    crude_rate: float
    events: float
    population: float
    conf: float

    def as_dict(self) -> dict[str, Any]:
        """Return the result as a plain dictionary."""
        return asdict(self)


@dataclass(frozen=True)
class IndirectStandardisation:
    """An indirectly standardised ratio (SMR) for one area.

    Attributes
    ----------
    observed
        Events in the area.
    expected
        Events expected if the standard rates applied to the area's population.
    smr
        ``observed / expected``.
    ci_low, ci_high
        Exact Poisson confidence limits for the ratio.
    conf
        Confidence level.
    """

    observed: float
    expected: float
    smr: float
    ci_low: float
    ci_high: float
    conf: float

    def as_dict(self) -> dict[str, Any]:
        """Return the result as a plain dictionary."""
        return asdict(self)


def _check_strata(
    events: ArrayLike, population: ArrayLike, standard: ArrayLike, name: str
) -> tuple[Any, ...]:
    """Validate one set of stratum arrays (same order, same length, no negatives)."""
    d = as_float_array(events, "events")
    n = as_float_array(population, "population")
    s = as_float_array(standard, name)
    check_same_length(events=d, population=n, **{name: s})
    for array, label in ((d, "events"), (n, "population"), (s, name)):
        check_non_negative(array, label)
    if ((n == 0) & (d > 0)).any():
        raise ValueError("a stratum has events but no population")
    return d, n, s


def _direct_from_sums(frame: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Fay-Feuer interval from per-area sums ``y`` (rate), ``v`` (variance) and ``w_max``.

    Fay & Feuer (1997): the rate is treated as a weighted sum of Poisson counts and its limits
    are gamma quantiles with the rate's mean and variance; the upper limit adds one more
    event at the largest stratum weight ``w_max`` (weight / population), so that an area without
    events still gets a positive upper limit.
    """
    y, v, w_max = frame["y"].to_numpy(), frame["v"].to_numpy(), frame["w_max"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        low = np.where(y > 0, stats.gamma.ppf(alpha / 2, y**2 / v, scale=v / y), 0.0)
        high = stats.gamma.ppf(
            1 - alpha / 2, (y + w_max) ** 2 / (v + w_max**2), scale=(v + w_max**2) / (y + w_max)
        )
    return pd.DataFrame(
        {
            "events": frame["events"].to_numpy(),
            "population": frame["population"].to_numpy(),
            "crude_rate": frame["events"].to_numpy() / frame["population"].to_numpy(),
            "rate": y,
            "ci_low": low,
            "ci_high": high,
        },
        index=frame.index,
    )


def _direct_terms(d: np.ndarray, n: np.ndarray, weight: np.ndarray) -> pd.DataFrame:
    """Per-stratum terms of the directly standardised rate and its variance.

    A stratum without population (and so without events) contributes nothing.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        w_over_n = np.where(n > 0, weight / n, 0.0)
    return pd.DataFrame(
        {"events": d, "population": n, "y": w_over_n * d, "v": w_over_n**2 * d, "w_max": w_over_n}
    )


def standardise_direct(
    events: ArrayLike, population: ArrayLike, standard_population: ArrayLike, conf: float = 0.95
) -> DirectStandardisation:
    """Directly standardised rate of one area with the Fay-Feuer (1997) gamma interval.

    Parameters
    ----------
    events, population
        Events and persons (or person-years) in each stratum of the area.
    standard_population
        The standard population in the same strata and order (e.g. the Danish population or the
        European Standard Population); only its proportions matter.
    conf
        Confidence level.

    Returns
    -------
    DirectStandardisation
        ``rate``, ``ci_low``, ``ci_high`` and ``crude_rate`` per person (multiply by 100,000 to get
        a rate per 100,000), plus the totals.

    Notes
    -----
    The rate is ``sum(w_i * d_i / n_i)`` with weights ``w_i`` the standard population's shares.
    A stratum with no population and no events contributes nothing; events without population
    raise ``ValueError``. Fay MP, Feuer EJ (1997). Confidence intervals for directly standardized
    rates: a method based on the gamma distribution. Statistics in Medicine 16:791-801.

    Examples
    --------
    >>> result = standardise_direct([10, 40], [20000, 10000], [60000, 40000])
    >>> round(result.rate * 100000, 1), round(result.crude_rate * 100000, 1)
    (190.0, 166.7)
    """
    alpha = check_conf(conf)
    d, n, s = _check_strata(events, population, standard_population, "standard_population")
    if s.sum() <= 0:
        raise ValueError("standard_population must have a positive total")
    terms = _direct_terms(d, n, s / s.sum())
    sums = terms.sum().to_frame().T
    sums["w_max"] = terms["w_max"].max()
    row = _direct_from_sums(sums, alpha).iloc[0]
    return DirectStandardisation(conf=conf, **{key: float(row[key]) for key in DIRECT_COLUMNS})


def _smr_table(observed: np.ndarray, expected: np.ndarray, conf: float, index: pd.Index) -> pd.DataFrame:
    """SMR with exact Poisson limits: Garwood limits for the observed count divided by expected."""
    low, high = poisson_exact_ci(observed, conf)
    with np.errstate(divide="ignore", invalid="ignore"):
        return pd.DataFrame(
            {
                "observed": observed,
                "expected": expected,
                "smr": observed / expected,
                "ci_low": low / expected,
                "ci_high": high / expected,
            },
            index=index,
        )


def standardise_indirect(
    events: ArrayLike, population: ArrayLike, standard_rates: ArrayLike, conf: float = 0.95
) -> IndirectStandardisation:
    """Indirectly standardised ratio (SMR) of one area with an exact Poisson interval.

    Parameters
    ----------
    events, population
        Events and persons (or person-years) in each stratum of the area. Only the total of
        ``events`` is used.
    standard_rates
        Rates per person in the standard population, in the same strata and order.
    conf
        Confidence level.

    Returns
    -------
    IndirectStandardisation
        ``observed``, ``expected`` (``sum(population * standard_rates)``), ``smr`` and its limits.

    Notes
    -----
    The observed count is taken as Poisson and the expected count as fixed (Breslow & Day 1987,
    vol. II, ch. 2); the limits are the exact (Garwood) limits of the observed count divided by
    the expected count. An area with zero observed events has SMR 0 and lower limit 0.

    Examples
    --------
    >>> result = standardise_indirect([10, 40], [20000, 10000], [0.0005, 0.003])
    >>> round(result.expected, 1), round(result.smr, 3)
    (40.0, 1.25)
    """
    check_conf(conf)
    d, n, rates = _check_strata(events, population, standard_rates, "standard_rates")
    expected = float((n * rates).sum())
    if expected <= 0:
        raise ValueError("the expected count is zero: check population and standard_rates")
    row = _smr_table(np.array([d.sum()]), np.array([expected]), conf, pd.RangeIndex(1)).iloc[0]
    return IndirectStandardisation(conf=conf, **{key: float(row[key]) for key in INDIRECT_COLUMNS})


def _standard_column(
    df: pd.DataFrame, stratum: str, standard: str | Mapping[Any, float] | pd.Series
) -> pd.Series:
    """Return the standard (population or rate) of each row: a column of ``df`` or a map by stratum."""
    if isinstance(standard, str):
        if standard not in df.columns:
            raise ValueError(f"column {standard!r} is not in the data")
        return df[standard]
    mapped = df[stratum].map(pd.Series(standard))
    if mapped.isna().any():
        missing = sorted(map(str, df.loc[mapped.isna(), stratum].unique()))
        raise ValueError(f"no standard value for strata: {', '.join(missing)}")
    return mapped


def _long_strata(
    df: pd.DataFrame,
    columns: tuple[str, str, str, str],
    standard: str | Mapping[Any, float] | pd.Series,
    name: str,
) -> tuple[Any, ...]:
    """Return validated ``(events, population, standard)`` arrays of a long area x stratum table."""
    absent = [column for column in columns if column not in df.columns]
    if absent:
        raise ValueError(f"columns not in the data: {', '.join(absent)}")
    _, stratum, events, population = columns
    return _check_strata(df[events], df[population], _standard_column(df, stratum, standard), name)


def standardise_direct_frame(
    df: pd.DataFrame,
    area: str,
    stratum: str,
    events: str,
    population: str,
    standard: str | Mapping[Any, float] | pd.Series,
    conf: float = 0.95,
) -> pd.DataFrame:
    """Directly standardised rates for many areas at once, from a long table.

    Parameters
    ----------
    df
        One row per area and stratum (e.g. municipality x age band x sex).
    area, stratum, events, population
        Column names.
    standard
        The standard population: a column of ``df``, or a mapping / Series from stratum to
        population. Weights are its shares over all its strata, so an area missing a stratum
        row counts as having no population there.
    conf
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        Indexed by area: ``events``, ``population``, ``crude_rate``, ``rate``, ``ci_low``,
        ``ci_high``, the same numbers :func:`standardise_direct` gives for each area.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"kommune": ["A", "A", "B", "B"], "age": ["young", "old"] * 2,
    ...                    "deaths": [10, 40, 5, 60], "persons": [20000, 10000, 30000, 12000]})
    >>> table = standardise_direct_frame(df, "kommune", "age", "deaths", "persons",
    ...                                  standard={"young": 60000, "old": 40000})
    >>> (table["rate"] * 100000).round(1).to_dict()
    {'A': 190.0, 'B': 210.0}
    """
    alpha = check_conf(conf)
    d, n, s = _long_strata(df, (area, stratum, events, population), standard, "standard")
    if isinstance(standard, str):
        totals = pd.Series(s, index=df.index).groupby(df[stratum].to_numpy()).first()
    else:
        totals = pd.Series(standard, dtype=float)
    terms = _direct_terms(d, n, s / float(totals.sum()))
    grouped = terms.groupby(df[area].to_numpy(), sort=True)
    sums = grouped[["events", "population", "y", "v"]].sum()
    sums["w_max"] = grouped["w_max"].max()
    result = _direct_from_sums(sums, alpha)
    result.index.name = area
    return result


def standardise_indirect_frame(
    df: pd.DataFrame,
    area: str,
    stratum: str,
    events: str,
    population: str,
    standard_rates: str | Mapping[Any, float] | pd.Series,
    conf: float = 0.95,
) -> pd.DataFrame:
    """Indirectly standardised ratios (SMRs) for many areas at once, from a long table.

    Parameters
    ----------
    df
        One row per area and stratum.
    area, stratum, events, population
        Column names.
    standard_rates
        Standard rates per person: a column of ``df``, or a mapping / Series from stratum to rate.
    conf
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        Indexed by area: ``observed``, ``expected``, ``smr``, ``ci_low``, ``ci_high``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"kommune": ["A", "A", "B", "B"], "age": ["young", "old"] * 2,
    ...                    "deaths": [10, 40, 5, 60], "persons": [20000, 10000, 30000, 12000]})
    >>> table = standardise_indirect_frame(df, "kommune", "age", "deaths", "persons",
    ...                                    standard_rates={"young": 0.0005, "old": 0.003})
    >>> table["smr"].round(3).to_dict()
    {'A': 1.25, 'B': 1.275}
    """
    check_conf(conf)
    d, n, r = _long_strata(df, (area, stratum, events, population), standard_rates, "standard_rates")
    sums = pd.DataFrame({"observed": d, "expected": n * r}).groupby(df[area].to_numpy(), sort=True).sum()
    if (sums["expected"] <= 0).any():
        raise ValueError("an area has an expected count of zero: check population and standard_rates")
    result = _smr_table(sums["observed"].to_numpy(), sums["expected"].to_numpy(), conf, sums.index)
    result.index.name = area
    return result
