"""Evaluation on the test period: every model, the generator's true risks and the home-care rule.

All subgroup tables are gated (`klynge.privacy.gate_table`) before they leave: one long table
per run, one row per model x dimension (sex, age band, municipality) x group, with an ``all``
row per dimension so that the gate knows the margins.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from klynge.privacy import Hierarchy, gate_table
from klynge.risk._metrics import auc, subgroup_table, summary, top_flags
from klynge.risk._model import RiskSettings, predict

AGE_BANDS = ((0, "0-17"), (18, "18-64"), (65, "65-79"), (80, "80+"))
DIMENSIONS = ("sex", "age_band", "municipality_code")
_COUNTS = ["persons", "events", "flagged", "true_positives"]
_DERIVED = {"auc": ["persons", "events"], "brier": ["persons", "events"], "observed": ["persons", "events"],
            "predicted": ["persons"], "sensitivity": ["events", "true_positives"],
            "ppv": ["flagged", "true_positives"]}
TRUTH_COLUMNS = {"acute_30d": "p_acute_30d", "acute_365d": "p_acute_365d"}


def age_band(age: pd.Series) -> pd.Series:
    """The four bands of the report (0-17, 18-64, 65-79, 80+)."""
    edges = [a for a, _ in AGE_BANDS][1:]
    labels = np.array([label for _, label in AGE_BANDS])
    return pd.Series(labels[np.searchsorted(edges, age.to_numpy(), side="right")], index=age.index)


def truth_folder(manifest: dict[str, Any]) -> Path | None:
    """The synthetic source's ``truth/risk`` folder named by a build manifest, if it exists."""
    source = manifest.get("source")
    meta = manifest.get("source_metadata") or {}
    if not source or meta.get("generator") != "klynge.synth":
        return None
    folder = Path(source) / "truth" / "risk"
    return folder if folder.is_dir() and any(folder.glob("*.parquet")) else None


def read_truth(folder: Path, dates: tuple) -> pd.DataFrame:
    """The generator's true risks at ``dates`` (person_id, index_date, p_acute_30d, p_acute_365d)."""
    import duckdb

    days = ", ".join(f"DATE '{d.isoformat()}'" for d in dates)
    glob = str(folder / "*.parquet").replace("'", "''")
    t = duckdb.sql(f"SELECT person_id, index_date, p_acute_30d, p_acute_365d FROM read_parquet('{glob}') "
                   f"WHERE index_date IN ({days})").df()
    t["index_date"] = pd.to_datetime(t["index_date"]).dt.date
    return t


def _subgroups(frame: pd.DataFrame, y: str, p: str, label: str, share: float) -> pd.DataFrame:
    parts = []
    f = frame.assign(all="all")
    total = subgroup_table(f, y, p, "all", share).rename(columns={"all": "group"})
    for dim in DIMENSIONS:
        t = subgroup_table(f, y, p, dim, share).rename(columns={dim: "group"})
        parts.append(pd.concat([t, total], ignore_index=True).assign(dimension=dim))
    out = pd.concat(parts, ignore_index=True).assign(model=label)
    out["group"] = out["group"].astype(str)
    return out[["model", "dimension", "group", *_COUNTS, *_DERIVED]]


def gate_subgroups(table: pd.DataFrame):
    """Gate a subgroup table (see module docstring)."""
    return gate_table(table, _COUNTS, hierarchies=[Hierarchy.flat("group", "all")],
                      base=["model", "dimension"], derived=_DERIVED)


def patina_rule(data: pd.DataFrame, share: float) -> tuple[pd.Series, pd.Series]:
    """The home-care rule on feature rows: (eligible, flagged).

    Eligible: aged 65+ receiving personal care both now and ``weeks`` earlier (the baseline);
    flagged: weekly minutes now above the baseline by more than ``share``.
    """
    eligible = (data["age"] >= 65) & (data["personal_care_minutes"] > 0) & (data["personal_care_minutes_8w"] > 0)
    flagged = eligible & (data["personal_care_minutes"] > data["personal_care_minutes_8w"] * (1 + share))
    return eligible, flagged


def rule_performance(data: pd.DataFrame, share: float, scores: dict[str, np.ndarray]) -> dict[str, Any]:
    """Sensitivity and PPV of the rule for acute admission within 30 days, among the eligible;
    beside it each score flagging the same number of the eligible (its highest)."""
    eligible, flagged = patina_rule(data, share)
    y = data.loc[eligible, "acute_30d"].to_numpy().astype(bool)
    f = flagged[eligible].to_numpy()
    n_flag = int(f.sum())

    def row(mask: np.ndarray) -> dict[str, Any]:
        tp = int((mask & y).sum())
        return {"flagged": int(mask.sum()), "true_positives": tp,
                "sensitivity": tp / y.sum() if y.sum() else float("nan"),
                "ppv": tp / mask.sum() if mask.sum() else float("nan")}

    out: dict[str, Any] = {"share": share, "eligible": int(eligible.sum()), "events": int(y.sum()),
                           "base_rate": float(y.mean()) if len(y) else float("nan"), "rule": row(f)}
    for name, s in scores.items():
        sub = s[eligible.to_numpy()]
        out[name] = row(top_flags(sub, n_flag / len(sub)) if len(sub) else np.zeros(0, bool))
    return out


def evaluate_models(test: pd.DataFrame, models: dict[tuple[str, str], Any], settings: RiskSettings,
                    truth: pd.DataFrame | None = None) -> dict[str, Any]:
    """Metrics of every model on the test rows; the true risks and the rule beside them.

    Returns a JSON-ready dictionary: ``models`` (summary per ``<outcome>/<algorithm>``),
    ``truth`` (the generator's true risks on the same rows, when known), ``rule`` and
    ``subgroups`` (a gated long table as records).
    """
    test = test.assign(age_band=age_band(test["age"]))
    result: dict[str, Any] = {"test_rows": len(test), "models": {}, "truth": {}}
    sub = []
    scores = {}
    for (outcome, algorithm), model in models.items():
        label = f"{outcome}/{algorithm}"
        p = predict(model, test, settings.features)
        scores[label] = p
        result["models"][label] = summary(test[outcome].to_numpy(), p)
        sub.append(_subgroups(test.assign(_p=p), outcome, "_p", label, 0.05))
    if truth is not None:
        j = test.assign(_row=np.arange(len(test))).merge(truth, on=["person_id", "index_date"], how="inner")
        result["truth"]["rows"] = len(j)
        for outcome in settings.outcomes:
            p = j[TRUTH_COLUMNS[outcome]].to_numpy()
            result["truth"][outcome] = summary(j[outcome].to_numpy(), p)
            sub.append(_subgroups(j.assign(_p=p), outcome, "_p", f"{outcome}/truth", 0.05))
            # The models on exactly the rows that have a true risk.
            rows = j["_row"].to_numpy()
            for algorithm in settings.algorithms:
                label = f"{outcome}/{algorithm}"
                result["models"][label]["auc_on_truth_rows"] = auc(j[outcome].to_numpy(), scores[label][rows])
    rule_scores = {k: v for k, v in scores.items() if k.startswith("acute_30d/")}
    result["rule"] = rule_performance(test, settings.patina_share, rule_scores)
    gated = gate_subgroups(pd.concat(sub, ignore_index=True))
    result["subgroups"] = json.loads(gated.frame.to_json(orient="records"))
    return result
