"""Direct and indirect standardisation against R (Fay-Feuer by formula and epitools, poisson.test)."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from klynge.stats import (
    DirectStandardisation,
    IndirectStandardisation,
    standardise_direct,
    standardise_direct_frame,
    standardise_indirect,
    standardise_indirect_frame,
)

DIRECT = ["events", "population", "crude_rate", "rate", "ci_low", "ci_high"]
INDIRECT = ["observed", "expected", "smr", "ci_low", "ci_high"]


@pytest.fixture
def data(expected):
    return expected("standardise_data.csv")


def test_direct_matches_r_for_each_area(data, expected):
    for row in expected("standardise_direct.csv").to_dict("records"):
        area = data[data["area"] == row["area"]]
        got = standardise_direct(area["events"], area["population"], area["standard"], conf=row["conf"])
        assert isinstance(got, DirectStandardisation)
        for key in DIRECT:
            assert getattr(got, key) == pytest.approx(row[key], rel=1e-9, abs=1e-15), (row["area"], key)


def test_direct_frame_matches_r(data, expected):
    want = expected("standardise_direct.csv")
    for conf in (0.95, 0.90):
        got = standardise_direct_frame(data, "area", "stratum", "events", "population", "standard", conf=conf)
        rows = want[want["conf"] == conf].set_index("area")
        assert got.index.tolist() == sorted(rows.index)
        np.testing.assert_allclose(got[DIRECT].to_numpy(), rows.loc[got.index, DIRECT].to_numpy(), rtol=1e-9)


def test_direct_frame_accepts_a_standard_mapping(data):
    standard = data.drop_duplicates("stratum").set_index("stratum")["standard"]
    by_column = standardise_direct_frame(data, "area", "stratum", "events", "population", "standard")
    by_series = standardise_direct_frame(data, "area", "stratum", "events", "population", standard)
    by_dict = standardise_direct_frame(data, "area", "stratum", "events", "population", standard.to_dict())
    pd.testing.assert_frame_equal(by_column, by_series)
    pd.testing.assert_frame_equal(by_column, by_dict)


def test_indirect_matches_r(data, expected):
    want = expected("standardise_indirect.csv")
    for row in want.to_dict("records"):
        area = data[data["area"] == row["area"]]
        got = standardise_indirect(
            area["events"], area["population"], area["standard_rate"], conf=row["conf"]
        )
        assert isinstance(got, IndirectStandardisation)
        for key in INDIRECT:
            assert getattr(got, key) == pytest.approx(row[key], rel=1e-9, abs=1e-15), (row["area"], key)
    got = standardise_indirect_frame(data, "area", "stratum", "events", "population", "standard_rate")
    rows = want[want["conf"] == 0.95].set_index("area").loc[got.index]
    np.testing.assert_allclose(got[INDIRECT].to_numpy(), rows[INDIRECT].to_numpy(), rtol=1e-9)


def test_direct_by_hand():
    # Weights 0.6 and 0.4; stratum rates 10/20000 and 40/10000: 0.6 * 0.0005 + 0.4 * 0.004 = 0.0019.
    got = standardise_direct([10, 40], [20000, 10000], [60000, 40000])
    assert got.rate == pytest.approx(0.0019)
    assert got.crude_rate == pytest.approx(50 / 30000)
    assert got.ci_low < got.rate < got.ci_high


def test_zero_events_gives_zero_rate_with_positive_upper_limit():
    got = standardise_direct([0, 0], [1000, 500], [1, 1])
    # Fay-Feuer with y = v = 0: upper = gamma quantile with shape 1, scale w_max = 0.5 / 500.
    assert (got.rate, got.ci_low) == (0, 0)
    assert got.ci_high == pytest.approx(-np.log(0.025) * 0.5 / 500)
    indirect = standardise_indirect([0, 0], [1000, 500], [0.01, 0.02])
    assert indirect.smr == 0 and indirect.ci_low == 0
    assert indirect.ci_high == pytest.approx(-np.log(0.025) / 20)


def test_empty_stratum_contributes_nothing():
    got = standardise_direct([0, 3], [0, 10000], [60000, 40000])
    assert got.rate == pytest.approx(0.4 * 3 / 10000)


def test_pandas_series_are_accepted():
    got = standardise_direct(pd.Series([10, 40]), pd.Series([20000, 10000]), pd.Series([60000, 40000]))
    assert got.rate == pytest.approx(0.0019)


def test_frame_is_fast_for_many_areas():
    rng = np.random.default_rng(3)
    strata = [f"{age}-{sex}" for age in range(20) for sex in "FM"]
    frame = pd.DataFrame([(area, s) for area in range(98) for s in strata], columns=["area", "stratum"])
    frame["population"] = rng.integers(100, 5000, len(frame))
    frame["events"] = rng.poisson(frame["population"] * 0.01)
    frame["standard"] = frame["stratum"].map(
        dict(zip(strata, rng.integers(1000, 9000, len(strata)), strict=True))
    )
    start = time.perf_counter()
    table = standardise_direct_frame(frame, "area", "stratum", "events", "population", "standard")
    assert time.perf_counter() - start < 1.0
    one = frame[frame["area"] == 17]
    single = standardise_direct(one["events"], one["population"], one["standard"])
    assert table.loc[17, "rate"] == pytest.approx(single.rate)
    assert table.loc[17, "ci_high"] == pytest.approx(single.ci_high)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([1, -1], [10, 10], [1, 1]), "events must not be negative"),
        (([1, 1], [10, 10], [1]), "same length"),
        (([1, 1], [0, 10], [1, 1]), "events but no population"),
        (([1, 1], [10, 10], [0, 0]), "positive total"),
        (([1, np.nan], [10, 10], [1, 1]), "missing values"),
    ],
)
def test_direct_invalid_input(args, message):
    with pytest.raises(ValueError, match=message):
        standardise_direct(*args)


def test_indirect_and_frame_invalid_input(data):
    with pytest.raises(ValueError, match="expected count is zero"):
        standardise_indirect([1, 2], [10, 10], [0, 0])
    with pytest.raises(ValueError, match="columns not in the data: deaths"):
        standardise_direct_frame(data, "area", "stratum", "deaths", "population", "standard")
    with pytest.raises(ValueError, match="no standard value for strata"):
        standardise_indirect_frame(data, "area", "stratum", "events", "population", {"0-44 F": 0.1})
    with pytest.raises(ValueError, match="conf must be"):
        standardise_direct([1], [10], [1], conf=1.5)
