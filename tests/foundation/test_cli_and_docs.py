"""The command line end to end, the generated docs, the reference data and the privacy gate."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from klynge.cli import app
from klynge.contracts import load_reference
from klynge.contracts.docs import data_model_markdown
from klynge.privacy import gate, render_count
from klynge.warehouse import read_manifest

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def test_demo_runs_end_to_end(tmp_path):
    result = runner.invoke(app, ["demo", "--out", str(tmp_path / "demo"), "--persons", "3000"])
    assert result.exit_code == 0, result.output
    assert "Borgere pr. kommune og aldersgruppe" in result.output
    assert "Odense" in result.output
    assert "Indlæggelser" in result.output
    manifest = read_manifest(tmp_path / "demo" / "warehouse")
    for table, counts in manifest["tables"].items():
        assert counts["read"] == counts["accepted"] + counts["quarantined"], table
    assert manifest["tables"]["person"]["accepted"] > 3000


def test_synth_then_build_csv(tmp_path):
    src, wh = tmp_path / "src", tmp_path / "wh"
    r1 = runner.invoke(app, ["synth", "--out", str(src), "--persons", "800", "--municipalities", "101,147",
                             "--start", "2024-01-01", "--end", "2024-12-31", "--format", "csv"])
    assert r1.exit_code == 0, r1.output
    r2 = runner.invoke(app, ["build", "--source", str(src), "--warehouse", str(wh)])
    assert r2.exit_code == 0, r2.output
    manifest = read_manifest(wh)
    assert manifest["tables"]["hospital_contact"]["quarantined"] == 0
    assert manifest["tables"]["hospital_contact"]["accepted"] > 0
    r3 = runner.invoke(app, ["overview", "--warehouse", str(wh)])
    assert r3.exit_code == 0 and "København" in r3.output


def test_build_error_is_one_clear_message(tmp_path):
    (tmp_path / "src").mkdir()
    result = runner.invoke(app, ["build", "--source", str(tmp_path / "src"), "--warehouse", str(tmp_path / "wh")])
    assert result.exit_code == 2
    assert "person" in result.output


def test_synth_rejects_unknown_municipality(tmp_path):
    result = runner.invoke(app, ["synth", "--out", str(tmp_path / "s"), "--persons", "10", "--municipalities", "998"])
    assert result.exit_code == 2 and "998" in result.output


def test_data_model_doc_is_generated_from_the_model():
    assert (ROOT / "docs" / "data-model.md").read_text(encoding="utf-8") == data_model_markdown(), \
        "docs/data-model.md is stale: run `klynge docs`"


def test_reference_tables():
    ref = load_reference()
    m = ref["municipality"]
    assert len(m) == 98 and m["municipality_code"].is_unique and "411" not in set(m["municipality_code"])
    assert len(ref["region"]) == 5 and len(ref["health_cluster"]) == 22
    # Every municipality belongs to a cluster of its own region.
    merged = m.merge(ref["health_cluster"], on="cluster_id", suffixes=("", "_cluster"))
    assert len(merged) == 98 and (merged["region_code"] == merged["region_code_cluster"]).all()
    assert set(m.loc[m["name"] == "Ærø", "municipality_code"]) == {"492"}
    assert ref["health_council"]["municipality_code"].is_unique


def test_privacy_gate_suppresses_small_counts():
    out = gate(pd.DataFrame({"n": [0, 1, 4, 5, 1234]}), ["n"])
    assert out["n_suppressed"].tolist() == [False, True, True, False, False]
    assert out["n"].isna().tolist() == [False, True, True, False, False]
    assert [render_count(v, s) for v, s in zip(out["n"], out["n_suppressed"], strict=True)] == \
        ["0", "<5", "<5", "5", "1.234"]


def test_overview_passes_the_gate(con):
    from klynge.overview import population_overview

    ov = population_overview(con)
    for name, table in ov.tables.items():
        counted = [c for c in table.columns if f"{c}_suppressed" in table.columns]
        assert counted, name
        for c in counted:
            values = table.loc[~table[f"{c}_suppressed"], c].dropna()
            assert not ((values > 0) & (values < 5)).any(), (name, c)
