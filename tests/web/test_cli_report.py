"""`klynge report` and `klynge serve`, and the risk page once the risk module has written its summary."""

from __future__ import annotations

import re

import pandas as pd
from typer.testing import CliRunner

from klynge.cli import app
from klynge.privacy import Hierarchy, gate_table
from klynge.web import Filters
from klynge.web._views import risk_segments

runner = CliRunner()


def test_report_pdf_and_english_html(tmp_path, synthetic_warehouse, dashboard):
    from klynge.web.report import write_report

    wh = synthetic_warehouse[0]
    pdf = tmp_path / "report.pdf"
    result = runner.invoke(app, ["report", "--warehouse", str(wh), "--out", str(pdf), "--period-type", "year",
                                 "--indicator", "readmission_30d", "--indicator", "mortality"])
    assert result.exit_code == 0, result.output
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 20_000
    html = tmp_path / "report.html"
    write_report(wh, html, dashboard=dashboard, filters=Filters(geo="region:1083", lang="en"))
    text = html.read_text(encoding="utf-8")
    assert '<html lang="en">' in text and "Region Syddanmark" in text
    # One section per indicator, each with a generated text and two inline charts.
    sections = re.findall(r'<section class="indicator" id="ind-([a-z0-9_]+)">(.*?)</section>', text, re.DOTALL)
    assert len(sections) == 21
    for _, body in sections:
        assert body.count("<svg") == 2 and re.search(r'<p class="summary">[^<]*Trend: ', body)
    assert "No municipality lies outside" in text or "Outside the funnel" in text


def test_report_refuses_other_formats(tmp_path, synthetic_warehouse):
    result = runner.invoke(app, ["report", "--warehouse", str(synthetic_warehouse[0]), "--out",
                                 str(tmp_path / "r.docx")])
    assert result.exit_code == 2 and "html" in result.output


def test_serve_and_report_are_commands():
    result = runner.invoke(app, ["serve", "--help"])
    assert result.exit_code == 0 and "--warehouse" in result.output
    result = runner.invoke(app, ["demo", "--help"])
    assert "--no-serve" in result.output


def test_risk_page_shows_the_gated_segment_summary():
    sizes = pd.DataFrame({
        "segment": ["healthy", "chronic", "frail", "all"] * 2,
        "municipality_code": ["461"] * 4 + ["all"] * 4,
        "persons": [900, 80, 3, 983, 900, 80, 3, 983],
        "acute_admissions": [20, 30, 2, 52, 20, 30, 2, 52],
    })
    gated = gate_table(sizes, ["persons", "acute_admissions"],
                       hierarchies=[Hierarchy.flat("segment"), Hierarchy.flat("municipality_code")]).frame
    gated["reference_date"] = pd.Timestamp("2025-01-01")
    out = risk_segments(gated, Filters(geo="municipality:461"))
    by = {s["segment"]: s for s in out["segments"]}
    assert by["frail"]["persons"]["text"] == "<5" and by["frail"]["persons"]["value"] is None
    # The complementary cell is hidden too, so the frail count cannot be recovered from the total.
    assert sum(s["persons"]["suppressed"] for s in out["segments"]) >= 2
    assert by["all"]["persons"]["value"] == 983 and out["reference_date"] == "2025-01-01"
    assert by["healthy"]["share"]["value"] is None or by["healthy"]["share"]["value"] == 100 * 900 / 983
    region = risk_segments(gated, Filters(geo="region:1083", lang="en"))
    assert region["notes"] and "whole population" in region["notes"][0]
