"""The metric code against scikit-learn, statsmodels and brute-force computations."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import brier_score_loss, roc_auc_score

from klynge.risk import auc, auc_delong, brier, calibration_deciles, calibration_slope, top_share_table


@pytest.fixture(scope="module")
def sample():
    rng = np.random.default_rng(5)
    p = rng.beta(1, 12, size=4000)
    y = rng.random(4000) < p
    return y.astype(int), p


def test_auc_and_brier_match_sklearn(sample):
    y, p = sample
    assert auc(y, p) == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    rounded = np.round(p, 2)                       # many ties
    assert auc(y, rounded) == pytest.approx(roc_auc_score(y, rounded), abs=1e-12)
    assert brier(y, p) == pytest.approx(brier_score_loss(y, p), abs=1e-12)


def _delong_bruteforce(y, s):
    pos, neg = s[y == 1], s[y == 0]
    psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    return psi.mean(), np.sqrt(v10.var(ddof=1) / len(pos) + v01.var(ddof=1) / len(neg))


def test_delong_matches_the_structural_components(sample):
    y, p = sample
    y, p = y[:600], np.round(p[:600], 2)
    a, se, lo, hi = auc_delong(y, p)
    a2, se2 = _delong_bruteforce(y, p)
    assert a == pytest.approx(a2, abs=1e-12)
    assert se == pytest.approx(se2, rel=1e-9)
    assert lo < a < hi


def test_delong_se_agrees_with_the_bootstrap(sample):
    y, p = sample
    rng = np.random.default_rng(1)
    boots = []
    for _ in range(300):
        i = rng.integers(0, len(y), len(y))
        boots.append(roc_auc_score(y[i], p[i]))
    _, se, _, _ = auc_delong(y, p)
    assert se == pytest.approx(np.std(boots, ddof=1), rel=0.2)


def test_calibration_slope_and_intercept(sample):
    y, p = sample
    slope, citl = calibration_slope(y, p)
    assert slope == pytest.approx(1.0, abs=0.2) and citl == pytest.approx(0.0, abs=0.15)
    # Over-confident predictions (logit doubled) give a slope near 0.5.
    from scipy.special import expit, logit

    slope2, _ = calibration_slope(y, expit(2 * logit(p)))
    assert slope2 == pytest.approx(slope / 2, rel=0.05)
    # Risks twice too high: calibration-in-the-large below 0.
    assert calibration_slope(y, np.clip(2 * p, 0, 0.99))[1] < -0.4


def test_deciles_and_top_shares(sample):
    y, p = sample
    d = calibration_deciles(y, p)
    assert len(d) == 10 and d.persons.sum() == len(y) and d.events.sum() == y.sum()
    assert (d.predicted.diff().dropna() >= 0).all()
    top = top_share_table(y, p)
    order = np.argsort(-p, kind="stable")
    for row in top.itertuples():
        k = int(np.ceil(row.top * len(y)))
        tp = y[order[:k]].sum()
        assert row.flagged == k and row.true_positives == tp
        assert row.sensitivity == pytest.approx(tp / y.sum()) and row.ppv == pytest.approx(tp / k)
