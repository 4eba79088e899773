"""CSV and Parquet exports of the indicator table equal the gated table, suppressed cells included."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from klynge.cli import app
from klynge.exports import COLUMNS, NotGatedError, check_gated, export_indicators

KEY = ["indicator_id", "period_type", "period", "level", "geo_code", "stratum_type", "stratum"]
VALUES = ["n_units", "n_events", "numerator", "denominator", "value", "ci_low", "ci_high", "std_value", "smr"]


def _aligned(exported: pd.DataFrame, gated: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    a = exported.astype({k: str for k in KEY}).set_index(KEY).sort_index()
    b = gated.astype({k: str for k in KEY}).set_index(KEY).sort_index()
    return a, b.loc[a.index]


def _same_values(a: pd.DataFrame, b: pd.DataFrame) -> None:
    for col in VALUES:
        x, y = a[col].astype("float64").to_numpy(), b[col].astype("float64").to_numpy()
        assert np.array_equal(np.isnan(x), np.isnan(y)), col
        assert np.allclose(x[~np.isnan(x)], y[~np.isnan(y)], rtol=1e-12), col
    for col in ("suppressed", "n_units_suppressed", "n_events_suppressed"):
        assert (a[col].astype(bool).to_numpy() == b[col].astype(bool).to_numpy()).all(), col


def test_csv_equals_the_gated_table(small_warehouse, gated, tmp_path):
    out = tmp_path / "ind.csv"
    result = export_indicators(small_warehouse, out)
    assert result.rows == len(gated) and result.suppressed == int(gated["suppressed"].sum())
    text = out.read_text(encoding="utf-8")
    assert not text.startswith("\ufeff")
    df = pd.read_csv(out, dtype={"geo_code": str, "period": str})
    assert list(df.columns) == list(COLUMNS)
    a, b = _aligned(df, gated)
    _same_values(a, b)
    # Suppressed cells are empty, never 0; a published count is never 1-4.
    hidden = a["suppressed"]
    assert a.loc[hidden, ["value", "numerator", "denominator", "ci_low"]].isna().all().all()
    for c in ("n_units", "n_events"):
        assert a.loc[a[f"{c}_suppressed"], c].isna().all()
        assert not a[c].dropna().between(1, 4).any()


def test_excel_csv_uses_semicolon_decimal_comma_and_bom(small_warehouse, gated, tmp_path):
    out = tmp_path / "excel.csv"
    export_indicators(small_warehouse, out, excel=True, indicators=["mortality"], level="municipality", period="year")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    df = pd.read_csv(out, sep=";", decimal=",", encoding="utf-8-sig", dtype={"geo_code": str, "period": str})
    want = gated[(gated.indicator_id == "mortality") & (gated.level == "municipality") & (gated.period_type == "year")]
    assert len(df) == len(want) > 0
    _same_values(*_aligned(df, want))


def test_parquet_is_typed_and_equals_the_gated_table(small_warehouse, gated, tmp_path):
    out = tmp_path / "ind.parquet"
    export_indicators(small_warehouse, out, format="parquet")
    table = pq.read_table(out)
    schema = table.schema
    assert schema.names == list(COLUMNS)
    assert str(schema.field("n_units").type) == "int64" and str(schema.field("value").type) == "double"
    assert str(schema.field("period_start").type) == "date32[day]" and str(schema.field("suppressed").type) == "bool"
    assert schema.field("value").metadata[b"description"]
    a, b = _aligned(table.to_pandas(), gated)
    assert len(a) == len(gated)
    _same_values(a, b)


def test_selection(small_warehouse, gated, tmp_path):
    out = tmp_path / "sel.parquet"
    export_indicators(small_warehouse, out, format="parquet", indicators=["readmission_30d", "mortality"],
                      level=["region", "country"], period=["quarter", "2024"])
    df = pq.read_table(out).to_pandas()
    assert set(df.indicator_id) == {"readmission_30d", "mortality"}
    assert set(df.level) == {"region", "country"}
    assert set(df.period_type) == {"quarter", "year"} and set(df[df.period_type == "year"].period) == {"2024"}
    with pytest.raises(ValueError, match="unknown indicator"):
        export_indicators(small_warehouse, tmp_path / "x.csv", indicators=["nope"])
    with pytest.raises(ValueError, match="unknown level"):
        export_indicators(small_warehouse, tmp_path / "x.csv", level="parish")


def test_an_ungated_table_is_refused(gated):
    check_gated(gated)
    leaky = gated.copy()
    row = leaky.index[leaky["n_events_suppressed"]][0]
    leaky.loc[row, "n_events"] = 3
    with pytest.raises(NotGatedError):
        check_gated(leaky)
    with pytest.raises(NotGatedError):
        check_gated(gated.drop(columns=["suppressed"]))


def test_cli_indicators(small_warehouse, tmp_path):
    out = tmp_path / "cli.csv"
    res = CliRunner().invoke(app, ["export", "indicators", "--warehouse", str(small_warehouse), "--out", str(out),
                                   "--indicator", "readmission_30d", "--level", "region", "--period", "year"])
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out)
    assert set(df.indicator_id) == {"readmission_30d"} and set(df.level) == {"region"}
    bad = CliRunner().invoke(app, ["export", "indicators", "--warehouse", str(small_warehouse), "--out", str(out),
                                   "--format", "xlsx"])
    assert bad.exit_code == 2
