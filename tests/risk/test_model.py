"""The fitted models: temporal validation, closeness to the true risks, reproducibility, saving."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
from typer.testing import CliRunner

from klynge.cli import app
from klynge.risk import (
    RiskSettings,
    attach_risk,
    build_dataset,
    fit_models,
    load_models,
    predict,
    risk_dir,
)
from klynge.warehouse import read_manifest


def test_settings_refuse_training_outcomes_that_reach_the_test_period():
    with pytest.raises(ValueError, match="temporal validation"):
        RiskSettings(train_dates=(dt.date(2024, 1, 1),), test_dates=(dt.date(2024, 10, 1),))
    with pytest.raises(ValueError, match="unknown algorithms"):
        RiskSettings(train_dates=(dt.date(2022, 1, 1),), test_dates=(dt.date(2024, 1, 1),), algorithms=("svm",))
    s = RiskSettings(train_dates=(dt.date(2022, 1, 1),), test_dates=(dt.date(2024, 1, 1),))
    assert RiskSettings.from_json(s.to_json()) == s


def test_model_comes_close_to_the_true_risks_and_is_calibrated(trained):
    ev = trained["evaluation"]
    assert ev["truth_folder"] is not None
    for outcome in ("acute_30d", "acute_365d"):
        truth = ev["truth"][outcome]
        model = ev["models"][f"{outcome}/hgb"]
        assert truth["persons"] == model["persons"]        # the same test rows
        assert model["auc"] > 0.62
        assert model["auc_on_truth_rows"] >= truth["auc"] - 0.06, (outcome, model["auc"], truth["auc"])
        assert 0.75 < model["calibration_slope"] < 1.3
        assert abs(model["mean_predicted"] / model["observed"] - 1) < 0.25
        # The top 10 % hold several times their share of the events.
        assert model["top"][2]["sensitivity"] > 0.25
    # The logistic baseline is reported too and also discriminates.
    assert ev["models"]["acute_30d/logistic"]["auc"] > 0.6


def test_rule_is_reported_beside_the_models(trained):
    rule = trained["evaluation"]["rule"]
    assert rule["eligible"] > 500 and 0 < rule["rule"]["flagged"] < rule["eligible"]
    # The model flags as many of the eligible as the rule does.
    assert abs(rule["acute_30d/hgb"]["flagged"] - rule["rule"]["flagged"]) <= 1
    assert rule["rule"]["ppv"] > rule["base_rate"]


def test_same_seed_same_model(con, quick_settings):
    s = RiskSettings(**{**quick_settings.__dict__, "train_dates": quick_settings.train_dates[-1:],
                        "max_train_rows": 15_000, "hgb_max_iter": 30, "outcomes": ("acute_30d",)})
    data = build_dataset(con, s.train_dates)
    a, b = fit_models(data, s), fit_models(data, s)
    c = fit_models(data, RiskSettings(**{**s.__dict__, "seed": s.seed + 1}))
    for key in a:
        pa, pb, pc = (predict(m[key], data, s.features) for m in (a, b, c))
        np.testing.assert_array_equal(pa, pb)
        assert not np.array_equal(pa, pc)        # another seed draws another subsample


def test_models_cards_and_scores_are_saved(shadow, shadow_con, trained, quick_settings):
    folder = risk_dir(shadow)
    run_id = read_manifest(shadow)["run_id"]
    assert folder.name == run_id
    models = load_models(shadow)
    assert set(models) == {(o, a) for o in ("acute_30d", "acute_365d") for a in ("logistic", "hgb")}
    card = json.loads((folder / "models" / "acute_30d-hgb" / "card.json").read_text())
    assert card["data"]["build_run_id"] == run_id and card["seed"] == quick_settings.seed
    assert card["features"] == list(quick_settings.features)
    assert card["training"]["index_dates"] == [d.isoformat() for d in quick_settings.train_dates]
    md = (folder / "models" / "acute_30d-hgb" / "card.md").read_text()
    assert "AUC" in md and run_id in md
    names = attach_risk(shadow_con, shadow)
    assert "risk__score" in names
    s = shadow_con.con.sql("select model, count(*) n, count(distinct person_id) p, min(percentile) lo, "
                           "max(percentile) hi, min(risk) r0, max(risk) r1 from risk__score group by model").df()
    assert len(s) == 4 and (s.n == s.p).all() and s.n.nunique() == 1
    assert (s.hi == 100).all() and (s.lo > 0).all() and (s.r0 >= 0).all() and (s.r1 <= 1).all()


def test_subgroup_tables_pass_the_gate(trained):
    rows = trained["evaluation"]["subgroups"]
    assert {r["dimension"] for r in rows} == {"sex", "age_band", "municipality_code"}
    for r in rows:
        assert "suppressed" in r
        for c in ("persons", "events", "flagged", "true_positives"):
            assert r[c] is None or r[c] == 0 or r[c] >= 5
    # Some small municipalities are suppressed in the 40,000-person population.
    assert any(r["events_suppressed"] for r in rows)


def test_cli_evaluate_json_gives_the_same_figures_again(shadow, trained):
    result = CliRunner().invoke(app, ["risk", "evaluate", "--warehouse", str(shadow), "--json"])
    assert result.exit_code == 0, result.output
    ev = json.loads(result.output)
    first = trained["evaluation"]
    for label in ("acute_30d/hgb", "acute_365d/logistic"):
        assert ev["models"][label]["auc"] == pytest.approx(first["models"][label]["auc"], abs=1e-12)
    assert ev["truth"]["acute_30d"]["auc"] == pytest.approx(first["truth"]["acute_30d"]["auc"], abs=1e-12)


def test_cli_prints_the_evaluation(trained, capsys, monkeypatch):
    from klynge.cli.risk import _print_evaluation, console

    monkeypatch.setattr(console, "width", 200)
    _print_evaluation(trained["evaluation"], trained["settings"], "en")
    out = capsys.readouterr().out
    assert "AUC (95 % CI)" in out and "acute_30d (true risk)" in out and "Home-care rule" in out
    from klynge.cli.risk import _print_subgroups

    _print_subgroups(trained["evaluation"], "age_band", "en")
    out = capsys.readouterr().out
    assert "80+" in out and "acute_30d/truth" in out
