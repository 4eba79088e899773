"""Where risk results live: ``WAREHOUSE/risk/<build run_id>/``, beside ``builds/``.

The build database is opened read-only by every reader, so risk results are not written into
it. They go into a folder per build, named by the build's run id (the data version), and
readers attach them as views (`attach_risk`)::

    WAREHOUSE/risk/<run_id>/
      models/<outcome>-<algorithm>/model.joblib  card.json  card.md
      settings.json  evaluation.json
      risk__score.parquet            person_id, score_date, model, risk, percentile
      risk__segment.parquet          person_id, reference_date, segment
      risk__segment_summary.parquet  gated aggregates per segment

A folder is written under a temporary name and renamed when complete, so readers never see half
of one. A new build starts with no risk results until ``klynge risk train`` runs on it.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import joblib
import pandas as pd

from klynge.warehouse import current_build

RISK = "risk"


def risk_dir(warehouse: Path, run_id: str | None = None) -> Path:
    """The risk folder of a build (default: the current build)."""
    run_id = run_id or current_build(Path(warehouse)).name
    return Path(warehouse) / RISK / run_id


def write_atomic(path: Path, write) -> None:
    """Call ``write(tmp)`` for a temporary path beside ``path``, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    if tmp.is_dir():
        shutil.rmtree(tmp)
    write(tmp)
    if path.is_dir():
        old = path.with_name(f".{path.name}.old-{os.getpid()}")
        os.replace(path, old)
        os.replace(tmp, path)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, path)


def save_json(path: Path, data: Any) -> None:
    """Write JSON atomically (UTF-8, indented, NaN as null)."""
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str).replace("NaN", "null")
    write_atomic(path, lambda tmp: tmp.write_text(text + "\n", encoding="utf-8"))


def save_parquet(path: Path, frame: pd.DataFrame) -> None:
    """Write a Parquet file atomically (without ``attrs``: the gate's policy object is not JSON)."""
    frame = frame.copy(deep=False)
    frame.attrs = {}
    write_atomic(path, lambda tmp: frame.to_parquet(tmp, index=False))


def save_model(folder: Path, model: Any, card: dict[str, Any], card_md: str) -> None:
    """Save one fitted estimator with its JSON and Markdown model cards, as one folder."""

    def write(tmp: Path) -> None:
        tmp.mkdir(parents=True)
        joblib.dump(model, tmp / "model.joblib")
        (tmp / "card.json").write_text(json.dumps(card, indent=2, ensure_ascii=False, default=str)
                                       .replace("NaN", "null") + "\n", encoding="utf-8")
        (tmp / "card.md").write_text(card_md, encoding="utf-8")

    write_atomic(folder, write)


def load_models(warehouse: Path, run_id: str | None = None) -> dict[tuple[str, str], Any]:
    """The fitted estimators of a build's risk folder, by (outcome, algorithm)."""
    folder = risk_dir(warehouse, run_id) / "models"
    if not folder.is_dir():
        raise FileNotFoundError(
            f"no trained risk models in {folder}: run `klynge risk train --warehouse {warehouse}` first")
    models = {}
    for sub in sorted(folder.iterdir()):
        if sub.is_dir() and (sub / "model.joblib").exists() and not sub.name.startswith("."):
            outcome, algorithm = sub.name.rsplit("-", 1)
            models[(outcome, algorithm)] = joblib.load(sub / "model.joblib")
    return models


def attach_risk(con: Any, warehouse: Path) -> list[str]:
    """Make the current build's ``risk__*`` Parquet files visible as views of ``con``.

    Works on the read-only connection of `klynge.warehouse.open_warehouse` (the views are
    temporary, in the session). Returns the names of the views.

    Examples
    --------
    >>> attach_risk(con, Path("warehouse"))  # doctest: +SKIP
    ['risk__score', 'risk__segment', 'risk__segment_summary']
    """
    folder = risk_dir(warehouse)
    names = []
    for path in sorted(folder.glob("risk__*.parquet")) if folder.is_dir() else []:
        name = path.stem
        quoted = str(path).replace("'", "''")
        con.con.execute(f'CREATE OR REPLACE TEMP VIEW "{name}" AS SELECT * FROM read_parquet(\'{quoted}\')')
        names.append(name)
    return names
