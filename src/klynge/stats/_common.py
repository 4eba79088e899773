"""Shared input checks and exact intervals used by several statistics modules."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

FloatArray = npt.NDArray[np.float64]
ArrayLike = npt.ArrayLike


def as_float_array(values: ArrayLike, name: str, *, allow_nan: bool = False) -> FloatArray:
    """Return ``values`` as a one-dimensional float array, or raise a clear ``ValueError``.

    Parameters
    ----------
    values
        Numbers (list, NumPy array or pandas Series).
    name
        The argument's name, used in error messages.
    allow_nan
        Whether missing values (NaN) are accepted.

    Returns
    -------
    numpy.ndarray
        A float64 copy with one dimension.
    """
    try:
        if isinstance(values, (pd.Series, pd.Index)):
            # Nullable pandas columns (e.g. Int64 from DuckDB) hold pd.NA: read it as NaN.
            values = values.to_numpy(dtype=np.float64, na_value=np.nan)
        array = np.asarray(values, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be numbers, got {values!r}") from error
    if np.isinf(array).any():
        raise ValueError(f"{name} must be finite, got an infinite value")
    if not allow_nan and np.isnan(array).any():
        raise ValueError(f"{name} has missing values (NaN)")
    return array


def check_non_negative(array: FloatArray, name: str) -> None:
    """Raise ``ValueError`` when any non-missing value of ``array`` is negative."""
    if (array[~np.isnan(array)] < 0).any():
        raise ValueError(f"{name} must not be negative")


def check_positive(array: FloatArray, name: str) -> None:
    """Raise ``ValueError`` when any non-missing value of ``array`` is zero or negative."""
    if (array[~np.isnan(array)] <= 0).any():
        raise ValueError(f"{name} must be greater than zero")


def check_whole(array: FloatArray, name: str) -> None:
    """Raise ``ValueError`` when any non-missing value of ``array`` is not a whole number."""
    finite = array[~np.isnan(array)]
    if (finite != np.round(finite)).any():
        raise ValueError(f"{name} must be whole numbers (counts) for an exact method")


def check_same_length(**arrays: FloatArray) -> None:
    """Raise ``ValueError`` unless all arrays have the same length."""
    lengths = {name: len(array) for name, array in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"arguments must have the same length, got {lengths}")


def check_conf(conf: float) -> float:
    """Return the tail probability ``alpha = 1 - conf`` after checking ``0 < conf < 1``."""
    if not 0 < conf < 1:
        raise ValueError(f"conf must be between 0 and 1 (e.g. 0.95), got {conf!r}")
    return 1.0 - conf


def check_choice(value: str, name: str, choices: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``choices``; otherwise raise ``ValueError``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def poisson_exact_ci(count: ArrayLike, conf: float) -> tuple[FloatArray, FloatArray]:
    """Exact (Garwood) confidence limits for Poisson counts.

    Parameters
    ----------
    count
        Observed counts (whole numbers, zero allowed).
    conf
        Confidence level, e.g. 0.95.

    Returns
    -------
    tuple of numpy.ndarray
        Lower and upper limits for the expected count.

    Examples
    --------
    >>> low, high = poisson_exact_ci([0, 10], 0.95)
    >>> round(float(high[0]), 4), round(float(low[1]), 4)
    (3.6889, 4.7954)
    """
    alpha = check_conf(conf)
    k = np.asarray(count, dtype=np.float64)
    # Garwood (1936): the limits are gamma quantiles; a zero count has lower limit 0.
    with np.errstate(invalid="ignore"):
        low = np.where(k > 0, stats.gamma.ppf(alpha / 2, np.maximum(k, 1e-300)), 0.0)
    high = stats.gamma.ppf(1 - alpha / 2, k + 1)
    return np.atleast_1d(low), np.atleast_1d(high)


@contextmanager
def collect_warnings(notes: list[str]) -> Iterator[None]:
    """Turn warnings raised inside the block into notes instead of letting them escape.

    Model fitting can warn about convergence or perfect separation; the result object
    reports these as notes so that callers see them without the warnings machinery.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for item in caught:
        if issubclass(item.category, DeprecationWarning):
            continue
        text = f"{item.category.__name__}: {item.message}"
        if text not in notes:
            notes.append(text)
