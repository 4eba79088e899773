"""Performance of a risk score against observed outcomes: discrimination, calibration, top-k.

* AUC (the Mann-Whitney statistic) with DeLong's variance and a 95 % interval on the logit
  scale (DeLong, DeLong & Clarke-Pearson 1988; Sun & Xu 2014's fast algorithm).
* Brier score: the mean squared difference of predicted risk and outcome.
* Calibration: observed and mean predicted risk in tenths of predicted risk; the calibration
  slope (logistic regression of the outcome on the logit of the prediction) and
  calibration-in-the-large (the intercept with the logit as offset). Perfect: slope 1, 0.
* Top k %: the k % highest scores flagged; sensitivity = flagged events / events,
  positive predictive value = flagged events / flagged. Ties at the cut are broken by order of
  the scores' rank, so exactly ``ceil(k % x n)`` are flagged.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.special import logit
from scipy.stats import norm, rankdata

TOP_SHARES = (0.01, 0.05, 0.10)
_EPS = 1e-6


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve as the Mann-Whitney statistic (ties count one half).

    >>> auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    0.75
    """
    y = np.asarray(y).astype(bool)
    n1, n0 = int(y.sum()), int((~y).sum())
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = rankdata(score)
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def auc_delong(y: np.ndarray, score: np.ndarray, level: float = 0.95) -> tuple[float, float, float, float]:
    """AUC, its DeLong standard error and a ``level`` interval (logit-transformed, within 0-1).

    >>> a, se, lo, hi = auc_delong(np.array([0, 0, 1, 1, 0, 1]), np.array([.1, .4, .35, .8, .2, .9]))
    >>> round(a, 3), lo < a < hi
    (0.889, True)
    """
    y = np.asarray(y).astype(bool)
    score = np.asarray(score, dtype=float)
    pos, neg = score[y], score[~y]
    m, n = len(pos), len(neg)
    if m < 2 or n < 2:
        return float("nan"), float("nan"), float("nan"), float("nan")
    # Sun & Xu: placement values from midranks within each class and over both.
    r_all = rankdata(np.concatenate([pos, neg]))
    r_pos, r_neg = rankdata(pos), rankdata(neg)
    v10 = (r_all[:m] - r_pos) / n          # for each event: share of non-events scored below
    v01 = 1.0 - (r_all[m:] - r_neg) / m    # for each non-event: share of events scored above
    a = float(v10.mean())
    var = v10.var(ddof=1) / m + v01.var(ddof=1) / n
    se = math.sqrt(var)
    z = norm.ppf(0.5 + level / 2)
    if 0 < a < 1:
        centre, se_logit = logit(a), se / (a * (1 - a))
        lo, hi = (1 / (1 + math.exp(-(centre + s * z * se_logit))) for s in (-1, 1))
    else:
        lo, hi = a, a
    return a, se, float(lo), float(hi)


def brier(y: np.ndarray, p: np.ndarray) -> float:
    """Mean squared difference between predicted risk and outcome.

    >>> brier(np.array([0, 1]), np.array([0.2, 0.6]))
    0.1
    """
    return float(np.mean((np.asarray(p, float) - np.asarray(y, float)) ** 2))


def calibration_deciles(y: np.ndarray, p: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Persons, events, mean predicted and observed risk in ``bins`` groups of predicted risk."""
    order = np.argsort(np.asarray(p), kind="stable")
    group = np.empty(len(order), dtype=np.int64)
    group[order] = np.arange(len(order)) * bins // max(len(order), 1)
    df = pd.DataFrame({"decile": group + 1, "y": np.asarray(y, float), "p": np.asarray(p, float)})
    out = df.groupby("decile").agg(persons=("y", "size"), events=("y", "sum"), predicted=("p", "mean"),
                                   observed=("y", "mean")).reset_index()
    out["events"] = out["events"].astype("int64")
    return out


def calibration_slope(y: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    """Calibration slope and calibration-in-the-large (intercept with the logit as offset)."""
    import statsmodels.api as sm

    y = np.asarray(y, float)
    lp = logit(np.clip(np.asarray(p, float), _EPS, 1 - _EPS))
    slope = sm.GLM(y, sm.add_constant(lp), family=sm.families.Binomial()).fit().params[1]
    citl = sm.GLM(y, np.ones((len(y), 1)), family=sm.families.Binomial(), offset=lp).fit().params[0]
    return float(slope), float(citl)


def top_flags(score: np.ndarray, share: float) -> np.ndarray:
    """Boolean mask of the ``ceil(share x n)`` highest scores (stable order among ties)."""
    score = np.asarray(score, float)
    k = math.ceil(share * len(score))
    flags = np.zeros(len(score), dtype=bool)
    if k:
        flags[np.argsort(-score, kind="stable")[:k]] = True
    return flags


def top_share_table(y: np.ndarray, score: np.ndarray, shares: Sequence[float] = TOP_SHARES) -> pd.DataFrame:
    """Flagged, true positives, sensitivity and positive predictive value at the top shares."""
    y = np.asarray(y).astype(bool)
    rows = []
    for s in shares:
        f = top_flags(score, s)
        tp = int((f & y).sum())
        rows.append({"top": s, "flagged": int(f.sum()), "true_positives": tp, "events": int(y.sum()),
                     "sensitivity": tp / y.sum() if y.sum() else float("nan"),
                     "ppv": tp / f.sum() if f.sum() else float("nan")})
    return pd.DataFrame(rows)


def summary(y: np.ndarray, p: np.ndarray) -> dict[str, object]:
    """All of the above for one score: a JSON-ready dictionary."""
    a, se, lo, hi = auc_delong(y, p)
    slope, citl = calibration_slope(y, p)
    return {
        "persons": len(y), "events": int(np.sum(y)), "auc": a, "auc_se": se, "auc_low": lo, "auc_high": hi,
        "brier": brier(y, p), "mean_predicted": float(np.mean(p)), "observed": float(np.mean(y)),
        "calibration_slope": slope, "calibration_intercept": citl,
        "top": top_share_table(y, p).to_dict(orient="records"),
        "calibration": calibration_deciles(y, p).to_dict(orient="records"),
    }


def subgroup_table(frame: pd.DataFrame, y: str, p: str, by: str, share: float = 0.05) -> pd.DataFrame:
    """Per value of ``by``: persons, events, AUC, Brier, observed and predicted risk and the
    sensitivity and PPV of the population-wide top ``share`` within the group.

    The flag is set on the whole frame first, so a group's sensitivity is that of the common
    threshold, as an offer would be targeted. Counts are plain; gate them before they leave.
    """
    flagged = top_flags(frame[p].to_numpy(), share)
    f = frame.assign(_flag=flagged, _y=frame[y].astype(bool))
    rows = []
    for value, g in f.groupby(by, sort=True, observed=True):
        yy, pp = g["_y"].to_numpy(), g[p].to_numpy()
        tp = int((g["_flag"] & g["_y"]).sum())
        rows.append({by: value, "persons": len(g), "events": int(yy.sum()), "flagged": int(g["_flag"].sum()),
                     "true_positives": tp, "auc": auc(yy, pp), "brier": brier(yy, pp),
                     "observed": float(yy.mean()), "predicted": float(pp.mean()),
                     "sensitivity": tp / yy.sum() if yy.sum() else float("nan"),
                     "ppv": tp / g["_flag"].sum() if g["_flag"].sum() else float("nan")})
    return pd.DataFrame(rows)
