"""`klynge stats irr|qic|funnel`: thin commands over the public API."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from klynge.cli.stats import app
from klynge.stats import funnel, qic, rate_ratio

runner = CliRunner()


def _json(args):
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_irr_json_matches_the_api():
    out = _json(
        [
            "irr",
            "--events-a",
            "30",
            "--time-a",
            "1000",
            "--events-b",
            "15",
            "--time-b",
            "1000",
            "--method",
            "exact",
        ]
    )
    api = rate_ratio(30, 1000, 15, 1000, method="exact")
    assert out[0]["irr"] == pytest.approx(api.irr) and out[0]["ci_high"] == pytest.approx(api.ci_high)


def test_irr_table_and_zero_counts():
    result = runner.invoke(
        app, ["irr", "--events-a", "0", "--time-a", "10", "--events-b", "4", "--time-b", "10"]
    )
    assert result.exit_code == 0 and "inf" in result.output and "ci_low" in result.output
    out = _json(["irr", "--events-a", "0", "--time-a", "10", "--events-b", "4", "--time-b", "10"])
    assert out[0]["irr"] is None and "zero count" in out[0]["note"]


def test_qic_from_numbers():
    out = _json(["qic", "--y", "1,2,3,NA,5,6,7,8,9,10,11,12", "--chart", "i", "--part", "6"])
    api = qic([1, 2, 3, None, 5, 6, 7, 8, 9, 10, 11, 12], chart="i", part=6).summary
    assert [row["cl"] for row in out] == pytest.approx(api["cl"].tolist())
    assert [row["n_useful"] for row in out] == [5, 6]


def test_qic_from_csv(tmp_path):
    path = tmp_path / "monthly.csv"
    path.write_text("month,harms,days\n2024-01,3,100\n2024-02,5,120\n2024-03,2,90\n2024-04,4,110\n")
    out = _json(
        [
            "qic",
            "--csv",
            str(path),
            "--y",
            "harms",
            "--n",
            "days",
            "--x",
            "month",
            "--chart",
            "u",
            "--multiply",
            "1000",
            "--points",
        ]
    )
    assert [row["x"] for row in out] == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert out[0]["cl"] == pytest.approx(14 / 420 * 1000)
    table = runner.invoke(app, ["qic", "--csv", str(path), "--y", "harms", "--n", "days", "--chart", "u"])
    assert table.exit_code == 0 and "U chart summary" in table.output


def test_funnel_from_numbers_and_csv(tmp_path):
    out = _json(["funnel", "--events", "5,30,12", "--n", "50,200,60", "--target", "0.1"])
    api = funnel([5, 30, 12], [50, 200, 60], 0.1)
    assert [row["upper_95"] for row in out] == pytest.approx(api["upper_95"].tolist())
    path = tmp_path / "units.csv"
    path.write_text("kommune,cases,persons\nSkive,5,50\nViborg,30,200\n")
    out = _json(["funnel", "--csv", str(path), "--events", "cases", "--n", "persons", "--unit", "kommune"])
    assert [row["unit"] for row in out] == ["Skive", "Viborg"]
    assert out[0]["target"] == pytest.approx(35 / 250)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["irr", "--events-a", "-1", "--time-a", "10", "--events-b", "1", "--time-b", "10"],
            "events_a must be",
        ),
        (["funnel", "--events", "5", "--n", "4", "--target", "0.1"], "cannot exceed"),
        (["qic", "--y", "1,2,x"], "numbers separated by commas"),
        (["qic", "--y", "1,2,3", "--chart", "p"], "needs denominators"),
    ],
)
def test_errors_are_reported_cleanly(args, message):
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.output


def test_unknown_csv_column(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("y\n1\n2\n")
    result = runner.invoke(app, ["qic", "--csv", str(path), "--y", "value"])
    assert result.exit_code == 2 and "not in the CSV" in result.output
