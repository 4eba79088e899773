"""Risk stratification: features at an index date, the home-care rule, fitted models, segments.

* `features_at`: one row per person alive and resident at an index date, features from every
  sector computed only from data before that date (`AsOf`, the leakage guard).
* `patina_rule` / `rule_counts`: the PATINA-style rule on rising weekly home-care minutes.
* `train` / `evaluate`: a logistic baseline and gradient boosting for acute admission within
  30 days and 12 months, trained on an earlier period and validated on a later one; model cards,
  saved models and scores in ``WAREHOUSE/risk/<run_id>/`` (`attach_risk` shows them as
  ``risk__*`` views).
* `segment_report`: every citizen in exactly one segment; sizes, cost and trajectories, gated.

See docs/risk.md.
"""

from klynge.risk._asof import AsOf
from klynge.risk._evaluate import patina_rule, rule_performance
from klynge.risk._features import feature_names, features_at, outcomes_at
from klynge.risk._metrics import (
    auc,
    auc_delong,
    brier,
    calibration_deciles,
    calibration_slope,
    top_share_table,
)
from klynge.risk._model import (
    RiskSettings,
    build_dataset,
    default_settings,
    fit_models,
    make_estimator,
    predict,
)
from klynge.risk._rule import rule_counts
from klynge.risk._run import evaluate, score, train
from klynge.risk._segments import SEGMENTS, assign_segments, segment_report, segments_at
from klynge.risk._store import attach_risk, load_models, risk_dir

__all__ = [
    "SEGMENTS",
    "AsOf",
    "RiskSettings",
    "assign_segments",
    "attach_risk",
    "auc",
    "auc_delong",
    "brier",
    "build_dataset",
    "calibration_deciles",
    "calibration_slope",
    "default_settings",
    "evaluate",
    "feature_names",
    "features_at",
    "fit_models",
    "load_models",
    "make_estimator",
    "outcomes_at",
    "patina_rule",
    "predict",
    "risk_dir",
    "rule_counts",
    "rule_performance",
    "score",
    "segment_report",
    "segments_at",
    "top_share_table",
    "train",
]
