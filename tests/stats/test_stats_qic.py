"""qic against a base-R re-implementation of qicharts2's rules, published limits and hand sums."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from klynge.stats import QicChart, qic

HERE = Path(__file__).parent
EXPECTED = HERE / "expected"
CASES = pd.read_csv(HERE / "independent" / "qic_cases.csv", dtype=str, keep_default_na=False)
POINT_COLUMNS = ["part", "cl", "lcl", "ucl", "sigma_signal", "runs_signal"]


def _numbers(text: str) -> list[int] | None:
    return [int(item) for item in text.split(";")] if text else None


def _inputs(case: dict[str, str], sample) -> dict[str, object]:
    """Return one oracle case's arguments (synthetic inputs are stored; sample data are read from shared/)."""
    if case["source"] == "synthetic":
        raw = pd.read_csv(EXPECTED / "qic" / f"{case['case']}_input.csv")
        return {"y": raw["y"], "n": raw["n"] if "n" in raw else None}
    data = sample(case["source"].removeprefix("sample:"))
    arguments: dict[str, object] = {"y": data[case["y_col"]], "x": data[case["x_col"]]}
    arguments["n"] = data[case["n_col"]] if case["n_col"] else None
    if case["part"] == "period":
        arguments["part"] = int((data["period"] == "pre").sum())
    return arguments


@pytest.mark.parametrize("case", CASES.to_dict("records"), ids=list(CASES["case"]))
def test_qic_matches_independent_oracle(case, sample):
    arguments = _inputs(case, sample)
    if "part" not in arguments:
        arguments["part"] = _numbers(case["part"])
    chart = qic(
        **arguments,
        chart=case["chart"],
        freeze=int(case["freeze"]) if case["freeze"] else None,
        exclude=_numbers(case["exclude"]),
        multiply=float(case["multiply"]),
        screened_mr=case["screened_mr"] == "TRUE",
    )
    want_points = pd.read_csv(EXPECTED / "qic" / f"{case['case']}_points.csv")
    want_summary = pd.read_csv(EXPECTED / "qic" / f"{case['case']}_summary.csv")
    assert set(POINT_COLUMNS) <= set(want_points.columns)
    assert list(chart.summary.columns) == list(want_summary.columns)
    _assert_same(chart.points, want_points)
    _assert_same(chart.summary, want_summary)


def _assert_same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """Every column of ``want`` equals the same column of ``got`` (NaN equal to NaN)."""
    for column in want.columns:
        np.testing.assert_allclose(
            got[column].to_numpy(dtype=float),
            want[column].to_numpy(dtype=float),
            rtol=1e-9,
            atol=1e-12,
            equal_nan=True,
            err_msg=column,
        )


def _summary_for(n_useful: int) -> pd.Series:
    alternating = np.where(np.arange(n_useful) % 2 == 0, 1.0, -1.0)
    # Mean-centred (I chart) so that no point lies on the centre line for odd or even n.
    return qic(alternating, chart="i").summary.iloc[0]


def test_anhoej_limits_for_10_to_100_points(expected):
    table = expected("anhoej_limits.csv")
    for row in table.to_dict("records"):
        summary = _summary_for(row["n_useful"])
        assert summary["n_useful"] == row["n_useful"]
        assert (summary["longest_run_max"], summary["n_crossings_min"]) == (
            row["longest_run_max"],
            row["n_crossings_min"],
        ), row


@pytest.mark.parametrize(("n_useful", "longest", "crossings"), [(24, 8, 8), (10, 6, 2), (100, 10, 41)])
def test_published_anhoej_limits(n_useful, longest, crossings):
    # qicharts2 vignette: with 24 useful points a run longer than 8 or fewer than 8 crossings
    # signals; Anhøj & Olesen (2014) table 1 ends at 100 points with 10 and 41.
    summary = _summary_for(n_useful)
    assert (summary["longest_run_max"], summary["n_crossings_min"]) == (longest, crossings)


def test_run_chart_by_hand():
    # Median (6 + 7) / 2 = 6.5; sides - - + - + + + + - - -> runs (2, 1, 1, 4, 2): longest 4, 4 crossings.
    chart = qic([1, 2, 9, 3, 8, 7, 9, 10, 6, 4])
    row = chart.summary.iloc[0]
    assert row["cl"] == 6.5 and row["longest_run"] == 4 and row["n_crossings"] == 4
    assert row["longest_run_max"] == 6 and row["n_crossings_min"] == 2 and not row["runs_signal"]
    assert chart.points["lcl"].isna().all() and not chart.points["sigma_signal"].any()


def test_points_on_the_centre_line_neither_make_nor_break_runs():
    # Median 5: the 5s are skipped, leaving - - - + + + + : longest run 4, one crossing, 7 useful.
    row = qic([1, 2, 5, 3, 5, 5, 6, 7, 8, 9]).summary.iloc[0]
    assert (row["n_obs"], row["n_useful"], row["longest_run"], row["n_crossings"]) == (10, 7, 4, 1)


def test_i_chart_by_hand_screened_and_classic():
    y = [10, 11, 10, 12, 11, 30, 11, 10, 12, 11]
    mr = np.abs(np.diff(y))  # 1 1 2 1 19 19 1 2 1, mean 47/9
    centre = np.mean(y)
    classic = qic(y, chart="i", screened_mr=False).points
    assert classic["ucl"].iloc[0] == pytest.approx(centre + 3 * mr.mean() / 1.128)
    kept = mr[mr <= 3.267 * mr.mean()]  # the two moving ranges of 19 are screened out
    screened = qic(y, chart="i").points
    assert kept.size == 7
    assert screened["ucl"].iloc[0] == pytest.approx(centre + 3 * kept.mean() / 1.128)
    assert screened["sigma_signal"].tolist() == [False] * 5 + [True] + [False] * 4


def test_p_chart_limits_vary_with_n_and_are_clipped():
    chart = qic([1, 5, 20], [1, 50, 100], chart="p", multiply=100)
    centre = 26 / 151
    sd = np.sqrt(centre * (1 - centre) / np.array([1, 50, 100]))
    assert chart.points["cl"].iloc[0] == pytest.approx(100 * centre)
    assert chart.points["ucl"].tolist() == pytest.approx(list(100 * np.minimum(centre + 3 * sd, 1)))
    assert chart.points["lcl"].iloc[0] == 0 and chart.points["ucl"].iloc[0] == 100
    assert chart.points["y_plot"].tolist() == pytest.approx([100, 10, 20])


def test_freeze_extends_baseline_lines_to_later_points():
    rng = np.random.default_rng(5)
    y = np.concatenate([rng.normal(10, 1, 12), rng.normal(14, 1, 8)])
    frozen = qic(y, chart="i", freeze=12)
    baseline_only = qic(y[:12], chart="i")
    assert frozen.points["cl"].nunique() == 1
    assert frozen.points["cl"].iloc[-1] == pytest.approx(baseline_only.summary["cl"].iloc[0])
    assert frozen.points["ucl"].iloc[-1] == pytest.approx(baseline_only.points["ucl"].iloc[0])
    assert frozen.points["baseline"].sum() == 12
    assert frozen.summary["n_obs"].iloc[0] == 20  # later points still take part in the runs analysis
    assert frozen.summary["runs_signal"].iloc[0]


def test_exclude_leaves_points_out_of_lines_and_runs_but_plots_them():
    y = [3, 4, 100, 5, 4, 3, 5]
    chart = qic(y, chart="c", exclude=[3])
    assert chart.points["cl"].iloc[0] == pytest.approx(np.mean([3, 4, 5, 4, 3, 5]))
    assert chart.points["include"].tolist() == [True, True, False, True, True, True, True]
    assert chart.points["sigma_signal"].iloc[2]
    assert chart.summary["n_obs"].iloc[0] == 6


def test_parts_accept_one_or_several_break_points():
    y = list(range(1, 13))
    assert qic(y, part=4).points["part"].tolist() == [1] * 4 + [2] * 8
    assert qic(y, part=[4, 8]).points["part"].tolist() == [1] * 4 + [2] * 4 + [3] * 4
    assert qic(y, part=[8, 4, 4]).summary["part"].tolist() == [1, 2, 3]


def test_one_point():
    for kind in ("run", "i", "c"):
        chart = qic([7], chart=kind)
        row = chart.summary.iloc[0]
        assert row["cl"] == 7 and row["n_useful"] == 0 and not row["runs_signal"]
        assert math.isnan(row["longest_run"])
    assert math.isnan(qic([7], chart="i").points["ucl"].iloc[0])


def test_all_points_on_the_centre_line():
    chart = qic([4.0] * 12, chart="i")
    row = chart.summary.iloc[0]
    assert row["n_useful"] == 0 and not row["runs_signal"] and row["n_sigma_signals"] == 0
    assert row["lcl"] == row["cl"] == row["ucl"] == 4
    assert not qic([4.0] * 12).has_signal


def test_missing_values_and_zero_denominators_are_skipped():
    chart = qic([2, np.nan, 3, 4, 1], [10, 10, 0, 20, 10], chart="u")
    points = chart.points
    assert points["y_plot"].isna().tolist() == [False, True, True, False, False]
    assert points.loc[[1, 2], ["lcl", "ucl"]].isna().all().all()
    assert points["cl"].iloc[0] == pytest.approx(7 / 40)
    assert chart.summary["n_obs"].iloc[0] == 5 and chart.summary["n_useful"].iloc[0] == 3
    assert not points.loc[[1, 2], "sigma_signal"].any()


def test_all_missing_gives_undefined_lines_without_error():
    chart = qic([np.nan, np.nan, np.nan], chart="i")
    assert chart.summary["cl"].isna().all() and chart.summary["n_useful"].iloc[0] == 0


def test_mr_chart_is_not_tested_for_runs():
    chart = qic([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13], chart="mr")
    assert not chart.points["runs_signal"].any()
    assert math.isnan(chart.points["y_plot"].iloc[0]) and chart.summary["cl"].iloc[0] == 1


def test_labels_are_kept():
    chart = qic([1, 2, 3], x=["jan", "feb", "mar"])
    assert chart.points["x"].tolist() == ["jan", "feb", "mar"]
    assert isinstance(chart, QicChart) and chart.chart == "run"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"y": [1, 2], "chart": "xbar"}, "chart must be one of"),
        ({"y": [1, 2], "chart": "p"}, "needs denominators"),
        ({"y": [3, 2], "n": [2, 2], "chart": "p"}, "y <= n"),
        ({"y": [1, 2], "n": [2, 2], "chart": "c"}, "use a U chart"),
        ({"y": [-1, 2], "chart": "c"}, "must not be negative"),
        ({"y": [1, 2], "n": [1, -2], "chart": "u"}, "n must not be negative"),
        ({"y": [1, 2], "n": [1, 2, 3], "chart": "u"}, "same length"),
        ({"y": [1, 2, 3], "part": 3}, "part must hold point numbers from 1 to 2"),
        ({"y": [1, 2, 3], "exclude": [0]}, "exclude must hold point numbers"),
        ({"y": [1, 2, 3], "freeze": 4}, "freeze must be a point number"),
        ({"y": [1, 2, 3], "freeze": 2, "part": 1}, "either part or freeze"),
        ({"y": [1, 2, 3], "x": [1, 1, 2]}, "unique"),
        ({"y": [1, 2, 3], "x": [1, 2]}, "labels for 3 points"),
        ({"y": [1, 2, 3], "multiply": 0}, "multiply must be a positive"),
        ({"y": []}, "at least one point"),
        ({"y": ["a", "b"]}, "must be numbers"),
        ({"y": [1, np.inf]}, "finite"),
    ],
)
def test_invalid_input_messages(kwargs, message):
    with pytest.raises(ValueError, match=message):
        qic(**kwargs)


def test_nullable_pandas_columns_are_read_as_missing():
    y = pd.Series([3, None, 5, 4], dtype="Int64")
    n = pd.Series([10, 10, 0, 12], dtype="Int64")
    chart = qic(y, n, chart="p")
    assert chart.points["y_plot"].isna().tolist() == [False, True, True, False]
    assert chart.points["cl"].iloc[0] == pytest.approx(7 / 22)
