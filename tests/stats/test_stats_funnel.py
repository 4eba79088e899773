"""funnel against base-R Spiegelhalter (2005) limits and hand calculations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from klynge.stats import funnel

LIMITS = ["lower_95", "upper_95", "lower_998", "upper_998"]


@pytest.mark.parametrize("kind", ["binomial", "poisson"])
@pytest.mark.parametrize("method", ["exact", "normal"])
def test_funnel_matches_r(expected, kind, method):
    want = expected("funnel.csv")
    want = want[(want["kind"] == kind) & (want["method"] == method)].reset_index(drop=True)
    got = funnel(want["events"], want["denominator"], target=want["target"].iloc[0], kind=kind, method=method)
    for column in ["observed", *LIMITS]:
        np.testing.assert_allclose(
            got[column].to_numpy(), want[column].to_numpy(), rtol=1e-9, atol=1e-12, err_msg=column
        )
    for column in ["outside_95", "outside_998"]:
        assert got[column].tolist() == want[column].tolist(), column


def test_exact_interpolation_by_hand():
    # n = 50, target 0.1: P(X <= 0) = 0.9^50 = 0.00515, P(X <= 1) = 0.00515 + 50 * 0.1 * 0.9^49 = 0.03379.
    # The 2.5 % point is r = 1, interpolated by a = (0.03379 - 0.025) / (0.03379 - 0.00515).
    f0 = 0.9**50
    f1 = f0 + 50 * 0.1 * 0.9**49
    a = (f1 - 0.025) / (f1 - f0)
    got = funnel([5], [50], target=0.1)
    assert got["lower_95"].iloc[0] == pytest.approx((1 - a) / 50, rel=1e-12)


def test_normal_limits_by_hand():
    got = funnel([20], [400], target=0.1, method="normal").iloc[0]
    half = 1.959963984540054 * np.sqrt(0.1 * 0.9 / 400)
    assert (got["lower_95"], got["upper_95"]) == pytest.approx((0.1 - half, 0.1 + half))


def test_tiny_denominators_are_clipped_to_the_unit_interval():
    got = funnel([0, 1], [1, 1], target=0.5, method="normal")
    assert (got[LIMITS].to_numpy() >= 0).all() and (got[LIMITS].to_numpy() <= 1).all()
    assert got["lower_998"].tolist() == [0, 0] and got["upper_998"].tolist() == [1, 1]
    assert not got["outside_998"].any()


def test_poisson_limits_never_negative_and_zero_events_allowed():
    got = funnel([0, 0], [0.2, 50], target=0.1, kind="poisson")
    assert (got[LIMITS].to_numpy() >= 0).all()
    assert got["observed"].tolist() == [0, 0]
    # 0 events where 5 are expected: P(X = 0) = exp(-5) = 0.0067 is below 2.5 % but above 0.1 %.
    assert bool(got["outside_95"].iloc[1]) and not bool(got["outside_998"].iloc[1])
    assert not got["outside_95"].iloc[0]  # 0.02 expected: 0 events is unremarkable


def test_limits_narrow_as_denominators_grow():
    got = funnel([10, 100, 1000], [100, 1000, 10000], target=0.1)
    widths = (got["upper_998"] - got["lower_998"]).to_numpy()
    assert widths[0] > widths[1] > widths[2]
    assert not got["outside_95"].any()


def test_pooled_target_and_labels():
    events = pd.Series([5, 30, 12], index=["Aarhus", "Favrskov", "Norddjurs"])
    got = funnel(events, [50, 200, 60], target=None)
    assert got["target"].iloc[0] == pytest.approx(47 / 310)
    assert got.index.tolist() == ["Aarhus", "Favrskov", "Norddjurs"]
    assert funnel([1], [10], 0.1, units=["Skive"]).index.tolist() == ["Skive"]


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (([1], [0], 0.1), {}, "denominators must be greater than zero"),
        (([-1], [10], 0.1), {}, "events must not be negative"),
        (([11], [10], 0.1), {}, "cannot exceed"),
        (([1], [10.5], 0.1), {}, "whole numbers"),
        (([1], [10], 1.2), {}, "target must be"),
        (([1], [10], 0.0), {}, "target must be"),
        (([1], [10], 0.1), {"kind": "normal"}, "kind must be one of"),
        (([1], [10], 0.1), {"method": "wilson"}, "method must be one of"),
        (([1, 2], [10], 0.1), {}, "same length"),
        (([1], [10], 0.1), {"units": ["a", "b"]}, "units has 2 labels"),
    ],
)
def test_invalid_input(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        funnel(*args, **kwargs)
