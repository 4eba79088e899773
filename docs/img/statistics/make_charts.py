"""Draw the charts in docs/statistics.md from the public qicharts2 sample data.

Run from the repository root (needs altair and vl-convert-python, which render offline):

    .venv/bin/python docs/img/statistics/make_charts.py

The sample data are read from ../shared/samples/qicharts2 (or $KLYNGE_SAMPLES/qicharts2).
"""

from __future__ import annotations

import os
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd

from klynge.stats import funnel, qic

OUT = Path(__file__).parent
ROOT = Path(__file__).resolve().parents[3]
SAMPLES = Path(os.environ.get("KLYNGE_SAMPLES", ROOT.parent / "shared" / "samples")) / "qicharts2"
LINE, SIGNAL, LIMIT = "#5DA5DA", "#F15854", "#8C8C8C"


def spc_chart(chart, title: str, y_title: str, x_title: str = "Month") -> alt.LayerChart:
    """Points and lines as qicharts2 draws them: signals in red, a dashed red centre line on runs signals."""
    data = chart.points.assign(x=chart.points["x"].astype(str))
    data["signal"] = np.where(data["sigma_signal"], "outside limits", "within limits")
    data["centre"] = np.where(data["runs_signal"], "runs signal", "no runs signal")
    base = alt.Chart(data).encode(
        x=alt.X("x:O", sort=None, title=x_title, axis=alt.Axis(labelAngle=-45, labelOverlap=True))
    )
    layers = [
        base.mark_line(color=LINE).encode(y=alt.Y("y_plot:Q", title=y_title), detail="part:N"),
        base.mark_point(filled=True, size=40).encode(
            y="y_plot:Q",
            color=alt.Color(
                "signal:N",
                scale=alt.Scale(domain=["within limits", "outside limits"], range=[LINE, SIGNAL]),
                title=None,
                legend=alt.Legend() if chart.chart != "run" else None,
            ),
        ),
        base.mark_line(strokeWidth=2).encode(
            y="cl:Q",
            detail="part:N",
            color=alt.condition("datum.runs_signal", alt.value(SIGNAL), alt.value("#4D4D4D")),
            strokeDash=alt.StrokeDash(
                "centre:N",
                scale=alt.Scale(domain=["no runs signal", "runs signal"], range=[[1, 0], [6, 4]]),
                title=None,
            ),
        ),
    ]
    if data["ucl"].notna().any():
        for column in ("lcl", "ucl"):
            layers.append(
                base.mark_line(color=LIMIT, interpolate="step").encode(y=f"{column}:Q", detail="part:N")
            )
    return alt.layer(*layers).properties(title=title, width=640, height=260)


def funnel_chart(table: pd.DataFrame, target: float, title: str, multiply: float) -> alt.LayerChart:
    """Units as points over 95 % and 99.8 % funnel limits drawn across the range of denominators."""
    grid = np.linspace(table["denominator"].min() * 0.5, table["denominator"].max() * 1.1, 200)
    curves = funnel(np.zeros(grid.size), grid, target=target, kind="poisson")
    lines = curves.melt(
        id_vars="denominator",
        value_vars=["lower_95", "upper_95", "lower_998", "upper_998"],
        var_name="limit",
        value_name="value",
    )
    lines["value"] *= multiply
    lines["level"] = np.where(lines["limit"].str.endswith("998"), "99.8 %", "95 %")
    points = table.reset_index().assign(rate=lambda d: d["observed"] * multiply)
    points["flag"] = np.where(
        points["outside_998"], "outside 99.8 %", np.where(points["outside_95"], "outside 95 %", "inside")
    )
    limit_lines = (
        alt.Chart(lines)
        .mark_line(color=LIMIT)
        .encode(
            x=alt.X("denominator:Q", title="Patient days"),
            y=alt.Y("value:Q", title="Infections per 10,000 patient days"),
            detail="limit:N",
            strokeDash=alt.StrokeDash(
                "level:N", scale=alt.Scale(domain=["95 %", "99.8 %"], range=[[6, 3], [1, 0]]), title="Limit"
            ),
        )
    )
    target_line = (
        alt.Chart(pd.DataFrame({"target": [target * multiply]})).mark_rule(color=LINE).encode(y="target:Q")
    )
    dots = (
        alt.Chart(points)
        .mark_point(filled=True, size=80)
        .encode(
            x="denominator:Q",
            y="rate:Q",
            color=alt.Color(
                "flag:N",
                title=None,
                scale=alt.Scale(
                    domain=["inside", "outside 95 %", "outside 99.8 %"], range=[LINE, "#FAA43A", SIGNAL]
                ),
            ),
            tooltip=["unit:N", "events:Q", "denominator:Q", "rate:Q"],
        )
    )
    labels = dots.mark_text(dx=8, align="left").encode(text="unit:N", color=alt.value("black"))
    return alt.layer(limit_lines, target_line, dots, labels).properties(title=title, width=560, height=320)


def main() -> None:
    """Write the PNG files next to this script."""
    cdi = pd.read_csv(SAMPLES / "cdi.csv")
    months = cdi["month"].str[:7]
    charts = {
        "run_chart_cdi.png": spc_chart(
            qic(cdi["n"], x=months), "Run chart: hospital-acquired C. difficile infections", "Infections"
        ),
        "u_chart_cdi_parts.png": spc_chart(
            qic(cdi["n"], cdi["days"], x=months, chart="u", part=24, multiply=10_000),
            "U chart before and after the intervention (part = 24)",
            "Infections per 10,000 patient days",
        ),
    }
    last100 = pd.read_csv(SAMPLES / "derived" / "cabg_last100.csv")
    charts["i_chart_los.png"] = spc_chart(
        qic(last100["los"], x=last100["patient"], chart="i"),
        "I chart: length of stay after bypass surgery (last 100 patients)",
        "Days",
        x_title="Patient",
    )
    gtt = pd.read_csv(SAMPLES / "derived" / "gtt_by_month.csv")
    charts["p_chart_harmed.png"] = spc_chart(
        qic(gtt["n.harmed"], gtt["n"], x=gtt["month"].str[:7], chart="p", multiply=100),
        "P chart: patients harmed during admission (20 records a month)",
        "Per cent harmed",
    )
    infections = pd.read_csv(SAMPLES / "derived" / "hospital_infections_2016h2_by_hospital.csv")
    uti = infections[infections["infection"] == "UTI"]
    table = funnel(uti["n"], uti["days"], target=None, kind="poisson", units=list(uti["hospital"]))
    charts["funnel_uti.png"] = funnel_chart(
        table, table["target"].iloc[0], "Funnel plot: urinary tract infections by hospital, 2016 H2", 10_000
    )
    for name, chart in charts.items():
        chart.save(OUT / name, scale_factor=1.5)
        print("wrote", OUT / name)


if __name__ == "__main__":
    main()
