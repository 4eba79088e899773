"""`train` and `evaluate`: one prediction run on a warehouse, saved with its model cards."""

from __future__ import annotations

import datetime as dt
import platform
from pathlib import Path
from typing import Any

import pandas as pd
import sklearn

from klynge._version import __version__
from klynge.marts._periods import study_period
from klynge.risk._evaluate import evaluate_models, read_truth, truth_folder
from klynge.risk._features import features_at
from klynge.risk._model import (
    OUTCOMES,
    RiskSettings,
    build_dataset,
    default_settings,
    fit_models,
    predict,
    threads,
)
from klynge.risk._store import load_models, risk_dir, save_json, save_model, save_parquet
from klynge.warehouse import open_warehouse, read_manifest

_TITLE = {"acute_30d": "acute admission within 30 days", "acute_365d": "acute admission within 12 months"}


def _data_version(manifest: dict[str, Any]) -> dict[str, Any]:
    return {"build_run_id": manifest.get("run_id"), "build_created_at": manifest.get("created_at"),
            "source": manifest.get("source"), "period": manifest.get("period"),
            "versions": manifest.get("versions"),
            "source_generator": (manifest.get("source_metadata") or {}).get("generator"),
            "source_seed": (manifest.get("source_metadata") or {}).get("seed")}


def _card(outcome: str, algorithm: str, model: Any, settings: RiskSettings, manifest: dict[str, Any],
          train: pd.DataFrame, evaluation: dict[str, Any]) -> dict[str, Any]:
    label = f"{outcome}/{algorithm}"
    metrics = {k: v for k, v in evaluation["models"][label].items() if k != "calibration"}
    truth = evaluation["truth"].get(outcome)
    return {
        "model": label, "outcome": outcome, "predicts": _TITLE[outcome], "horizon_days": OUTCOMES[outcome],
        "algorithm": algorithm, "estimator": repr(model), "seed": settings.seed,
        "features": list(settings.features), "settings": settings.to_json(),
        "training": {"index_dates": [d.isoformat() for d in settings.train_dates], "rows": len(train),
                     "events": int(train[outcome].sum()), "rows_used": min(len(train), settings.max_train_rows or len(train))},
        "test": {"index_dates": [d.isoformat() for d in settings.test_dates], "metrics": metrics,
                 "calibration": evaluation["models"][label]["calibration"]},
        "truth_on_test_rows": None if truth is None else {k: truth[k] for k in ("auc", "auc_low", "auc_high", "brier")},
        "data": _data_version(manifest),
        "software": {"klynge": __version__, "scikit-learn": sklearn.__version__, "python": platform.python_version()},
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "intended_use": "Rank citizens by risk to target offers at population level; not for clinical "
                        "decisions about one person, which need a clinician's assessment.",
        "limitations": [
            "Trained on one warehouse and period; recalibrate before use on another population.",
            ("Conditions are RUKS-like approximations; lab and home-care data depend on what the "
             "municipalities and hospitals deliver."),
            "Persons alive and resident at the index date; deaths compete with admissions.",
        ],
    }


def _card_markdown(card: dict[str, Any]) -> str:
    m = card["test"]["metrics"]
    lines = [
        f"# Model card: {card['model']}", "",
        f"Predicts **{card['predicts']}** from features at an index date (data before that date only).", "",
        f"- Algorithm: `{card['estimator']}` (seed {card['seed']})",
        (f"- Training index dates: {', '.join(card['training']['index_dates'])} "
         f"({card['training']['rows']:,} person-dates, {card['training']['events']:,} events; "
         f"{card['training']['rows_used']:,} used)"),
        f"- Test index dates (later period): {', '.join(card['test']['index_dates'])}",
        f"- Data: build `{card['data']['build_run_id']}`, period {card['data']['period']}",
        f"- Software: klynge {card['software']['klynge']}, scikit-learn {card['software']['scikit-learn']}", "",
        "## Performance on the test period", "",
        "| measure | value |", "|---|---:|",
        f"| persons x index dates | {m['persons']:,} |", f"| events | {m['events']:,} |",
        f"| AUC (95 % CI, DeLong) | {m['auc']:.3f} ({m['auc_low']:.3f}-{m['auc_high']:.3f}) |",
        f"| Brier score | {m['brier']:.4f} |",
        f"| mean predicted / observed risk | {m['mean_predicted']:.4f} / {m['observed']:.4f} |",
        f"| calibration slope / intercept | {m['calibration_slope']:.2f} / {m['calibration_intercept']:.2f} |",
    ]
    for t in m["top"]:
        lines.append(f"| top {t['top']:.0%}: sensitivity / PPV | {t['sensitivity']:.3f} / {t['ppv']:.3f} |")
    if card["truth_on_test_rows"]:
        lines.append(f"| the generator's true risk: AUC | {card['truth_on_test_rows']['auc']:.3f} |")
    lines += ["", "## Features", "", ", ".join(f"`{f}`" for f in card["features"]), "",
              "## Intended use", "", card["intended_use"], "", "## Limitations", "",
              *[f"- {x}" for x in card["limitations"]], ""]
    return "\n".join(lines)


def score_date_of(con: Any) -> dt.date:
    """The day after the study period: the scores are "as of now" for the data at hand."""
    period = study_period(con)
    return period[1] + dt.timedelta(days=1)


def score(con: Any, models: dict[tuple[str, str], Any], settings: RiskSettings, day: dt.date) -> pd.DataFrame:
    """Risk of every person alive and resident on ``day`` for each model, with its percentile."""
    f = features_at(con, day, weeks=settings.patina_weeks)
    parts = []
    for (outcome, algorithm), model in models.items():
        p = predict(model, f, settings.features)
        pct = pd.Series(p).rank(pct=True, method="max").to_numpy() * 100
        parts.append(pd.DataFrame({"person_id": f["person_id"], "score_date": day, "model": f"{outcome}/{algorithm}",
                                   "outcome": outcome, "algorithm": algorithm, "risk": p, "percentile": pct}))
    return pd.concat(parts, ignore_index=True)


def train(warehouse: Path, settings: RiskSettings | None = None, *, write_scores: bool = True,
          **overrides: Any) -> dict[str, Any]:
    """Fit the models on the training period, evaluate them on the test period, save everything.

    Parameters
    ----------
    warehouse
        The warehouse folder (the current build is used).
    settings
        The run; default `default_settings` for the warehouse with ``overrides``.
    write_scores
        Also score every person on the day after the study period (``risk__score``).

    Returns
    -------
    dict
        ``folder`` (the risk folder), ``settings``, ``evaluation`` and ``timings`` (seconds).

    Examples
    --------
    >>> r = train(Path("warehouse"), max_train_rows=100_000)  # doctest: +SKIP
    >>> r["evaluation"]["models"]["acute_30d/hgb"]["auc"]  # doctest: +SKIP
    0.70
    """
    import time

    warehouse = Path(warehouse)
    con = open_warehouse(warehouse)
    manifest = read_manifest(warehouse)
    settings = settings or default_settings(con, **overrides)
    timings = {}
    t = time.perf_counter()
    train_rows = build_dataset(con, settings.train_dates, settings.patina_weeks)
    timings["features_train"] = time.perf_counter() - t
    t = time.perf_counter()
    models = fit_models(train_rows, settings)
    timings["fit"] = time.perf_counter() - t
    t = time.perf_counter()
    with threads(settings):
        evaluation = _evaluate(con, manifest, models, settings)
    timings["evaluate"] = time.perf_counter() - t
    folder = risk_dir(warehouse, manifest["run_id"])
    for (outcome, algorithm), model in models.items():
        card = _card(outcome, algorithm, model, settings, manifest, train_rows, evaluation)
        save_model(folder / "models" / f"{outcome}-{algorithm}", model, card, _card_markdown(card))
    save_json(folder / "settings.json", {"settings": settings.to_json(), "data": _data_version(manifest)})
    save_json(folder / "evaluation.json", evaluation)
    if write_scores:
        t = time.perf_counter()
        with threads(settings):
            scores = score(con, models, settings, score_date_of(con)).assign(build_run_id=manifest["run_id"])
        save_parquet(folder / "risk__score.parquet", scores)
        timings["score"] = time.perf_counter() - t
    return {"folder": str(folder), "settings": settings.to_json(), "evaluation": evaluation, "timings": timings,
            "train_rows": len(train_rows)}


def _evaluate(con: Any, manifest: dict[str, Any], models: dict, settings: RiskSettings) -> dict[str, Any]:
    test = build_dataset(con, settings.test_dates, settings.patina_weeks)
    folder = truth_folder(manifest)
    truth = read_truth(folder, settings.test_dates) if folder else None
    out = evaluate_models(test, models, settings, truth)
    out["truth_folder"] = str(folder) if folder else None
    out["data"] = _data_version(manifest)
    return out


def evaluate(warehouse: Path) -> dict[str, Any]:
    """Evaluate the saved models of the current build again on their test period.

    On a synthetic warehouse whose source still has its ``truth/`` folder, the discrimination of
    the generator's true risks on the same test rows is reported beside the models'.
    """
    import json

    warehouse = Path(warehouse)
    con = open_warehouse(warehouse)
    manifest = read_manifest(warehouse)
    folder = risk_dir(warehouse, manifest["run_id"])
    models = load_models(warehouse, manifest["run_id"])
    saved = json.loads((folder / "settings.json").read_text(encoding="utf-8"))
    settings = RiskSettings.from_json(saved["settings"])
    with threads(settings):
        evaluation = _evaluate(con, manifest, models, settings)
    save_json(folder / "evaluation.json", evaluation)
    return evaluation


