"""rate_ratio and poisson_regression against R (poisson.test, glm, a hand-written sandwich, NB2 ML)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from klynge.stats import RateRatio, poisson_regression, rate_ratio


def _oracle_rows(expected, method):
    table = expected("rate_ratio.csv")
    return [row for row in table.to_dict("records") if row["method"] == method]


@pytest.mark.parametrize("method", ["exact", "wald"])
def test_rate_ratio_matches_r(expected, method):
    rows = _oracle_rows(expected, method)
    assert rows, "the oracle file has cases for every method"
    for row in rows:
        result = rate_ratio(
            row["events_a"], row["time_a"], row["events_b"], row["time_b"], conf=row["conf"], method=method
        )
        got = [result.irr, result.ci_low, result.ci_high, result.p_value]
        want = [row["irr"], row["ci_low"], row["ci_high"], row["p_value"]]
        np.testing.assert_allclose(got, want, rtol=1e-6, err_msg=f"case {row['case']}")


def test_textbook_example_by_hand():
    # 30 events in 1000 person-years versus 15 in 1000: IRR 0.5, log SE sqrt(1/30 + 1/15).
    result = rate_ratio(30, 1000, 15, 1000)
    se = math.sqrt(1 / 30 + 1 / 15)
    assert result.irr == pytest.approx(0.5)
    assert result.ci_low == pytest.approx(0.5 * math.exp(-1.959964 * se), rel=1e-6)
    assert result.ci_high == pytest.approx(0.5 * math.exp(1.959964 * se), rel=1e-6)
    assert result.rate_a == pytest.approx(0.03) and result.rate_b == pytest.approx(0.015)
    assert isinstance(result, RateRatio) and result.note == ""


def test_exact_zero_in_reference_group_gives_infinite_ratio_with_defined_lower_limit():
    result = rate_ratio(0, 1000, 15, 1000, method="exact")
    assert result.irr == math.inf and result.ci_high == math.inf
    # Lower limit: binomial Clopper-Pearson lower bound for 15/15 is 0.025^(1/15); ratio p/(1-p).
    p_low = 0.025 ** (1 / 15)
    assert result.ci_low == pytest.approx(p_low / (1 - p_low), rel=1e-9)
    assert result.p_value == pytest.approx(2 * 0.5**15)
    assert "zero" in result.note


def test_exact_zero_in_intervention_group_gives_zero_ratio():
    result = rate_ratio(12, 900, 0, 1100, method="exact")
    assert result.irr == 0 and result.ci_low == 0 and 0 < result.ci_high < 1


def test_exact_both_zero_is_undefined_but_does_not_crash():
    result = rate_ratio(0, 500, 0, 700, method="exact")
    assert math.isnan(result.irr)
    assert (result.ci_low, result.ci_high, result.p_value) == (0.0, math.inf, 1.0)


def test_wald_with_zero_count_gives_nan_limits_and_a_note():
    result = rate_ratio(0, 1000, 15, 1000)
    assert result.irr == math.inf
    assert math.isnan(result.ci_low) and math.isnan(result.ci_high) and math.isnan(result.p_value)
    assert "method='exact'" in result.note


def test_wald_continuity_correction_adds_half_to_both_counts():
    result = rate_ratio(0, 1000, 15, 1000, continuity=0.5)
    se = math.sqrt(1 / 0.5 + 1 / 15.5)
    assert result.irr == pytest.approx(31.0)
    assert result.ci_low == pytest.approx(31 * math.exp(-1.959964 * se), rel=1e-6)
    assert result.events_a == 0.5 and "0.5 was added" in result.note


def test_continuity_is_not_applied_without_zero_counts():
    assert rate_ratio(3, 100, 6, 100, continuity=0.5).irr == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((-1, 100, 5, 100), {}, "events_a must be a finite number >= 0"),
        ((1, 100, -5, 100), {}, "events_b must be a finite number >= 0"),
        ((1, 0, 5, 100), {}, "time_a .* must be a finite number > 0"),
        ((1, 100, 5, -2), {}, "time_b .* must be a finite number > 0"),
        ((1, 100, 5, 100), {"method": "score"}, "method must be one of"),
        ((1, 100, 5, 100), {"conf": 95}, "conf must be between 0 and 1"),
        ((1.5, 100, 5, 100), {"method": "exact"}, "whole-number"),
        ((1, 100, 5, 100), {"continuity": -0.5}, "continuity"),
        (("x", 100, 5, 100), {}, "must be numbers"),
    ],
)
def test_invalid_input_raises_clear_errors(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        rate_ratio(*args, **kwargs)


@pytest.fixture
def regression_data(expected):
    return expected("regression_data.csv")


def _compare(table, want):
    names = {"(Intercept)": "Intercept", "periodbefore": "period[T.before]", "share_old": "share_old"}
    got = table.set_index("term")
    for row in want.to_dict("records"):
        term = names[row["term"]]
        for column in ("estimate", "std_error", "rate_ratio", "ci_low", "ci_high"):
            assert got.loc[term, column] == pytest.approx(row[column], rel=1e-5), (term, column)
        assert got.loc[term, "p_value"] == pytest.approx(row["p_value"], rel=1e-4, abs=1e-300)


def test_poisson_regression_matches_r_glm(regression_data, expected):
    table = poisson_regression(regression_data, "events ~ period + share_old", exposure="person_years")
    _compare(table, expected("regression_poisson.csv"))
    assert list(table.columns) == [
        "term",
        "estimate",
        "std_error",
        "rate_ratio",
        "ci_low",
        "ci_high",
        "p_value",
    ]
    assert table.model.family.__class__.__name__ == "Poisson"
    assert table.notes == ()


def test_poisson_regression_cluster_robust_matches_hand_sandwich(regression_data, expected):
    table = poisson_regression(
        regression_data, "events ~ period + share_old", exposure="person_years", cluster="area"
    )
    _compare(table, expected("regression_cluster.csv"))
    assert table.model.cov_type == "cluster"


def test_negative_binomial_matches_direct_maximum_likelihood(regression_data, expected):
    table = poisson_regression(
        regression_data, "events ~ period + share_old", exposure="person_years", family="negbin"
    )
    want = expected("regression_negbin.csv")
    _compare(table, want)
    assert table.model.params["alpha"] == pytest.approx(want["alpha"].iloc[0], rel=1e-4)
    assert "alpha" not in set(table["term"])


def test_regression_table_keeps_the_model_through_pandas_operations(regression_data):
    table = poisson_regression(regression_data, "events ~ period", exposure="person_years")
    subset = table.set_index("term").loc[["period[T.before]"]]
    assert subset.model is table.model


@pytest.mark.parametrize(
    ("change", "kwargs", "message"),
    [
        (lambda d: d.assign(person_years=0), {}, "must be > 0"),
        (lambda d: d, {"exposure": "nope"}, "not in data"),
        (lambda d: d, {"family": "gamma"}, "family must be one of"),
        (lambda d: d.assign(share_old=np.where(d.index == 3, np.nan, d["share_old"])), {}, "missing values"),
        (lambda d: d.assign(area=None), {"cluster": "area"}, "cluster column"),
    ],
)
def test_regression_invalid_input(regression_data, change, kwargs, message):
    arguments = {"exposure": "person_years"} | kwargs
    with pytest.raises(ValueError, match=message):
        poisson_regression(change(regression_data), "events ~ period + share_old", **arguments)


def test_negative_binomial_without_overdispersion_is_reported_not_silent():
    data = pd.DataFrame(
        {"events": [10, 20, 12, 30], "years": [1000, 1000, 1100, 1050], "after": [0, 1, 0, 1]}
    )
    with pytest.raises(ValueError, match="negative binomial"):
        poisson_regression(data, "events ~ after", exposure="years", family="negbin")
