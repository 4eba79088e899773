"""Fitted risk models: settings, the training set over index dates, and the estimators.

The design follows the prediction-run pattern of the conventions (item 8): a frozen
:class:`RiskSettings` describes a run (index dates, outcomes, seed, hyperparameters), checked
when made; `build_dataset` turns index dates into features and outcomes; `fit_models` returns
scikit-learn estimators (the estimator contract: ``fit``/``predict_proba``, ``random_state``).

Temporal validation: the models are fitted on index dates of an earlier period and tested on a
later one, and the outcome windows of the training dates end before the first test date, so
nothing of the test period is seen during training.
"""

from __future__ import annotations

import datetime as dt
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from threadpoolctl import threadpool_limits

from klynge.marts._periods import study_period
from klynge.risk._features import feature_names, features_at, outcomes_at

OUTCOMES = {"acute_30d": 30, "acute_365d": 365}
ALGORITHMS = ("logistic", "hgb")


def signed_log1p(x: np.ndarray) -> np.ndarray:
    """``sign(x) log(1 + |x|)``: tames counts and minutes for the linear model."""
    x = np.asarray(x, dtype=float)
    return np.sign(x) * np.log1p(np.abs(x))


def quarter_starts(first: dt.date, last: dt.date) -> list[dt.date]:
    """First days of quarters from ``first`` to ``last`` (both included when quarter starts)."""
    out, y, m = [], first.year, ((first.month - 1) // 3) * 3 + 1
    day = dt.date(y, m, 1)
    if day < first:
        m += 3
    while True:
        y2, m2 = y + (m - 1) // 12, (m - 1) % 12 + 1
        day = dt.date(y2, m2, 1)
        if day > last:
            return out
        out.append(day)
        m += 3


@dataclass(frozen=True)
class RiskSettings:
    """One prediction run, validated when made.

    Parameters
    ----------
    train_dates, test_dates
        Index dates (quarter starts by default) of the training and the test period.
    outcomes
        Outcome names (``acute_30d``, ``acute_365d``).
    algorithms
        ``logistic`` (scaled, L2-regularised) and/or ``hgb`` (histogram gradient boosting).
    seed
        Random state of subsampling and of the boosting.
    max_train_rows
        Subsample the training rows to at most this many (None: all).
    logistic_c, hgb_max_iter, hgb_learning_rate, hgb_max_leaf_nodes, hgb_min_samples_leaf, hgb_l2
        Hyperparameters.
    patina_share, patina_weeks
        The home-care rule: rise above this share over the minutes ``patina_weeks`` earlier.
    threads
        Threads for fitting and predicting (None: all cores). On a shared machine 1 is often
        faster: OpenMP threads that wait for a busy core spin.
    """

    train_dates: tuple[dt.date, ...]
    test_dates: tuple[dt.date, ...]
    outcomes: tuple[str, ...] = tuple(OUTCOMES)
    algorithms: tuple[str, ...] = ALGORITHMS
    seed: int = 2026
    max_train_rows: int | None = None
    logistic_c: float = 1.0
    hgb_max_iter: int = 200
    hgb_learning_rate: float = 0.05
    hgb_max_leaf_nodes: int = 15
    hgb_min_samples_leaf: int = 200
    hgb_l2: float = 1.0
    patina_share: float = 0.2
    patina_weeks: int = 8
    threads: int | None = None
    features: tuple[str, ...] = field(default_factory=lambda: tuple(feature_names()))

    def __post_init__(self) -> None:
        if not self.train_dates or not self.test_dates:
            raise ValueError("a run needs at least one training and one test index date")
        bad = [o for o in self.outcomes if o not in OUTCOMES]
        if bad:
            raise ValueError(f"unknown outcomes {bad}; known: {list(OUTCOMES)}")
        bad = [a for a in self.algorithms if a not in ALGORITHMS]
        if bad:
            raise ValueError(f"unknown algorithms {bad}; known: {list(ALGORITHMS)}")
        horizon = max(OUTCOMES[o] for o in self.outcomes)
        last_seen = max(self.train_dates) + dt.timedelta(days=horizon)
        if last_seen > min(self.test_dates):
            raise ValueError(
                f"temporal validation: the outcome window of training date {max(self.train_dates)} "
                f"({horizon} days) reaches past the first test date {min(self.test_dates)}"
            )
        if not 0 < self.patina_share < 10 or self.patina_weeks < 1:
            raise ValueError("patina_share must be in (0, 10) and patina_weeks at least 1")

    def to_json(self) -> dict[str, Any]:
        """The settings as JSON-ready values (dates as ISO strings)."""
        d = asdict(self)
        d["train_dates"] = [x.isoformat() for x in self.train_dates]
        d["test_dates"] = [x.isoformat() for x in self.test_dates]
        return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> RiskSettings:
        """The inverse of `to_json`."""
        d = dict(d)
        d["train_dates"] = tuple(dt.date.fromisoformat(x) for x in d["train_dates"])
        d["test_dates"] = tuple(dt.date.fromisoformat(x) for x in d["test_dates"])
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})


def default_settings(con: Any, **overrides: Any) -> RiskSettings:
    """Settings for a warehouse's study period: train on quarter starts from one year after
    the start; test on the last two quarter starts with a full 12-month follow-up; training
    outcome windows end before the first test date."""
    period = study_period(con)
    if period is None:
        raise ValueError("the warehouse has no study period (core__person_time is empty)")
    start, end = period
    horizon = max(OUTCOMES[o] for o in overrides.get("outcomes", OUTCOMES))
    candidates = quarter_starts(start, end - dt.timedelta(days=horizon - 1))
    test = tuple(candidates[-2:])
    train = tuple(d for d in quarter_starts(start + dt.timedelta(days=365), end)
                  if d + dt.timedelta(days=horizon) <= test[0])
    if not train:
        raise ValueError(f"the study period {start} - {end} is too short for a lookback year, "
                         "a training period and a test period")
    return RiskSettings(**{"train_dates": train, "test_dates": test, **overrides})


def build_dataset(con: Any, dates: tuple[dt.date, ...], weeks: int = 8) -> pd.DataFrame:
    """Features at ``dates`` with the outcomes (0/1) of every outcome in `OUTCOMES`."""
    f = features_at(con, dates, weeks=weeks)
    o = outcomes_at(con, dates)
    d = f.merge(o, on=["person_id", "index_date"], how="left")
    for name in OUTCOMES:
        d[name] = d[name].fillna(0).astype("int8")
    return d


def make_estimator(algorithm: str, settings: RiskSettings) -> Any:
    """A fresh, unfitted scikit-learn estimator for ``algorithm``."""
    if algorithm == "logistic":
        return Pipeline([
            ("log", FunctionTransformer(signed_log1p)),
            ("scale", StandardScaler()),
            ("model", LogisticRegression(C=settings.logistic_c, max_iter=2000)),
        ])
    return HistGradientBoostingClassifier(
        max_iter=settings.hgb_max_iter, learning_rate=settings.hgb_learning_rate,
        max_leaf_nodes=settings.hgb_max_leaf_nodes, min_samples_leaf=settings.hgb_min_samples_leaf,
        l2_regularization=settings.hgb_l2, early_stopping=False, random_state=settings.seed,
    )


def training_rows(data: pd.DataFrame, settings: RiskSettings) -> pd.DataFrame:
    """The training rows, subsampled reproducibly to ``max_train_rows``."""
    if settings.max_train_rows is None or len(data) <= settings.max_train_rows:
        return data
    rng = np.random.default_rng(settings.seed)
    keep = np.sort(rng.choice(len(data), size=settings.max_train_rows, replace=False))
    return data.iloc[keep]


def threads(settings: RiskSettings) -> Any:
    """A context limiting the native thread pools (OpenMP, BLAS) to ``settings.threads``."""
    return threadpool_limits(settings.threads) if settings.threads else nullcontext()


def fit_models(train: pd.DataFrame, settings: RiskSettings) -> dict[tuple[str, str], Any]:
    """Fit one estimator per (outcome, algorithm) on the training rows."""
    rows = training_rows(train, settings)
    x = rows[list(settings.features)].to_numpy(dtype=float)
    models = {}
    with threads(settings):
        for outcome in settings.outcomes:
            y = rows[outcome].to_numpy()
            for algorithm in settings.algorithms:
                models[(outcome, algorithm)] = make_estimator(algorithm, settings).fit(x, y)
    return models


def predict(model: Any, data: pd.DataFrame, features: tuple[str, ...]) -> np.ndarray:
    """Predicted risk (probability of the outcome) for each row."""
    return model.predict_proba(data[list(features)].to_numpy(dtype=float))[:, 1]
