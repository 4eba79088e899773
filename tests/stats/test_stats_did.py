"""did against R glm with unit and period factors, a hand-written cluster sandwich and event-study dummies."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from klynge.stats import DidResult, did

PANELS = ["staggered", "all_treated", "with_empty_unit"]


def _fit(expected, name, cluster_robust):
    panel = expected(f"did_panel_{name}.csv")
    return did(panel, "events", "exposure", "unit", "period", "treated", cluster_robust=cluster_robust)


@pytest.mark.parametrize("name", PANELS)
@pytest.mark.parametrize("cov_type", ["model", "cluster"])
def test_treatment_rate_ratio_matches_r(expected, name, cov_type):
    result = _fit(expected, name, cov_type == "cluster")
    want = expected(f"did_{name}.csv").set_index("cov_type").loc[cov_type]
    assert isinstance(result, DidResult) and result.cov_type == cov_type
    for key in ("estimate", "std_error", "rate_ratio", "ci_low", "ci_high", "p_value"):
        assert getattr(result, key) == pytest.approx(want[key], rel=1e-6), key


@pytest.mark.parametrize("name", PANELS)
@pytest.mark.parametrize("cov_type", ["model", "cluster"])
def test_event_study_matches_r(expected, name, cov_type):
    study = _fit(expected, name, cov_type == "cluster").event_study
    want = expected(f"did_{name}_event_study_{cov_type}.csv")
    estimated = study[study["ci_low"].notna()].reset_index(drop=True)
    assert estimated["relative_period"].tolist() == want["relative_period"].tolist()
    for column in ("rate_ratio", "ci_low", "ci_high", "p_value"):
        np.testing.assert_allclose(estimated[column], want[column], rtol=1e-6, err_msg=column)
    reference = study.set_index("relative_period").loc[-1]
    assert reference["rate_ratio"] == 1 and np.isnan(reference["ci_low"])


def test_panel_without_never_treated_units_uses_two_references(expected):
    result = _fit(expected, "all_treated", False)
    references = result.event_study[result.event_study["ci_low"].isna()]["relative_period"].tolist()
    assert references == [-7, -1]
    assert any("No never-treated units" in note for note in result.notes)


def test_units_without_events_are_dropped_with_a_note(expected):
    result = _fit(expected, "with_empty_unit", False)
    assert result.n_units == 6 and result.n_treated_units == 3
    assert any("Dropped 1 unit" in note and "U07" in note for note in result.notes)


def test_staggered_panel_counts(expected):
    result = _fit(expected, "staggered", False)
    assert (result.n_units, result.n_periods, result.n_treated_units) == (9, 12, 6)
    assert result.notes == ()
    assert 0.6 < result.rate_ratio < 0.9  # simulated effect 0.75


def test_unidentified_event_study_is_left_empty_with_a_note():
    # Every unit adopts in an even period and none is never treated: relative time has the same
    # parity pattern as calendar time, so the event-study terms cannot be separated from it.
    rng = np.random.default_rng(4)
    rows = [
        {
            "unit": u,
            "period": t,
            "exposure": 1000.0,
            "treated": int(t >= adopt),
            "events": rng.poisson(40 * (0.8 if t >= adopt else 1)),
        }
        for u, adopt in enumerate([2, 4, 6, 2, 4, 6])
        for t in range(8)
    ]
    result = did(pd.DataFrame(rows), "events", "exposure", "unit", "period", "treated")
    assert result.event_study.empty
    assert any("not identified" in note for note in result.notes)
    assert np.isfinite(result.rate_ratio)


@pytest.fixture
def small_panel():
    return pd.DataFrame(
        {
            "unit": ["A"] * 3 + ["B"] * 3,
            "period": [1, 2, 3] * 2,
            "events": [5, 6, 2, 4, 5, 6],
            "years": [100.0] * 6,
            "treated": [0, 0, 1, 0, 0, 0],
        }
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: p.drop(columns="years"), "columns not in the panel: years"),
        (lambda p: p.assign(treated=2), "must be 0 or 1"),
        (lambda p: p.assign(years=0.0), "greater than zero"),
        (lambda p: p.assign(events=-1), "must not be negative"),
        (lambda p: pd.concat([p, p.iloc[:1]]), "one row per unit and period"),
        (lambda p: p.assign(treated=0), "treatment must vary"),
        (lambda p: p.assign(events=np.where(p.index == 0, np.nan, p["events"])), "missing values"),
        (lambda p: p.assign(treated=(p["unit"] == "A").astype(int)), "collinear"),
    ],
)
def test_invalid_panels(small_panel, change, message):
    with pytest.raises(ValueError, match=message):
        did(change(small_panel), "events", "years", "unit", "period", "treated")
