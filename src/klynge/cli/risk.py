"""`klynge risk train|evaluate|rule|segments`: risk models, the home-care rule and segments.

Everything printed is an aggregate: model metrics, and subgroup, rule and segment tables that
passed the privacy gate. Person-level scores stay in the warehouse's risk folder.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from klynge.privacy import render_count, render_value

app = typer.Typer(help="Risk stratification: fitted models, the home-care rule and segments.", no_args_is_help=True)
console = Console()

_T = {
    "da": {"model": "model", "auc": "AUC (95 % KI)", "brier": "Brier", "slope": "kal. hældning",
           "citl": "kal. skæring", "top": "top {p}: sens./PPV", "truth": "sand risiko",
           "rule": "Hjemmeplejereglen (stigning > {s:.0%} over {w} uger), 65+ med personlig pleje",
           "eligible": "omfattet", "flagged": "markeret", "sens": "sensitivitet", "ppv": "PPV",
           "segment": "segment", "persons": "personer", "cost": "udgift pr. person, 12 mdr. før",
           "mort": "døde inden 12 mdr.", "adm": "akutte indlæggelser, 12 mdr.", "title": "Risikomodeller, testperiode"},
    "en": {"model": "model", "auc": "AUC (95 % CI)", "brier": "Brier", "slope": "cal. slope",
           "citl": "cal. intercept", "top": "top {p}: sens./PPV", "truth": "true risk",
           "rule": "Home-care rule (rise > {s:.0%} over {w} weeks), 65+ with personal care",
           "eligible": "eligible", "flagged": "flagged", "sens": "sensitivity", "ppv": "PPV",
           "segment": "segment", "persons": "persons", "cost": "cost per person, 12 months before",
           "mort": "died within 12 months", "adm": "acute admissions, 12 months", "title": "Risk models, test period"},
}


def _num(x: Any, decimals: int, lang: str) -> str:
    return "" if x is None or pd.isna(x) else render_value(x, False, decimals, lang=lang)


def _print_evaluation(ev: dict[str, Any], settings: dict[str, Any], lang: str) -> None:
    t = _T[lang]
    rows = list(ev["models"].items()) + [(f"{o} ({t['truth']})", m) for o, m in ev.get("truth", {}).items()
                                         if isinstance(m, dict)]
    table = Table(title=t["title"])
    for col in (t["model"], "n", t["auc"], t["brier"], t["slope"], t["citl"]):
        table.add_column(col, no_wrap=True)
    for label, m in rows:
        table.add_row(label, render_count(m["persons"], False, lang=lang),
                      f"{_num(m['auc'], 3, lang)} ({_num(m['auc_low'], 3, lang)}-{_num(m['auc_high'], 3, lang)})",
                      _num(m["brier"], 4, lang), _num(m["calibration_slope"], 2, lang),
                      _num(m["calibration_intercept"], 2, lang))
    console.print(table)
    top = Table(title="Top 1 / 5 / 10 %")
    top.add_column(t["model"], no_wrap=True)
    for p in (1, 5, 10):
        top.add_column(t["top"].format(p=f"{p} %"), no_wrap=True)
    for label, m in rows:
        top.add_row(label, *[f"{_num(r['sensitivity'], 2, lang)} / {_num(r['ppv'], 2, lang)}" for r in m["top"]])
    console.print(top)
    r = ev["rule"]
    rt = Table(title=t["rule"].format(s=settings["patina_share"], w=settings["patina_weeks"]))
    for col in ("", t["flagged"], t["sens"], t["ppv"]):
        rt.add_column(col, no_wrap=True)
    for name, row in r.items():
        if isinstance(row, dict):
            rt.add_row(name, render_count(row["flagged"], False, lang=lang), _num(row["sensitivity"], 3, lang),
                       _num(row["ppv"], 3, lang))
    console.print(rt)
    console.print(f"{t['eligible']}: {render_count(r['eligible'], False, lang=lang)}")


def _print_subgroups(ev: dict[str, Any], by: str, lang: str) -> None:
    """The gated subgroup rows of one dimension: AUC, and sensitivity and PPV of the top 5 %."""
    rows = [r for r in ev["subgroups"] if r["dimension"] == by]
    table = Table(title=f"{by}: AUC, top 5 % (sens. / PPV)")
    for col in ("model", "group", "n", "events", "AUC", "sens. / PPV"):
        table.add_column(col, no_wrap=True)
    for r in rows:
        table.add_row(r["model"], r["group"], render_count(r["persons"], r["persons_suppressed"], lang=lang),
                      render_count(r["events"], r["events_suppressed"], lang=lang),
                      render_value(r["auc"], r["auc_suppressed"], 3, lang=lang),
                      f"{render_value(r['sensitivity'], r['sensitivity_suppressed'], 2, lang=lang)} / "
                      f"{render_value(r['ppv'], r['ppv_suppressed'], 2, lang=lang)}")
    console.print(table)


@app.command()
def train(
    warehouse: Annotated[Path, typer.Option(help="Warehouse folder.")],
    seed: Annotated[int, typer.Option(help="Random state.")] = 2026,
    max_train_rows: Annotated[int, typer.Option(help="Subsample training rows (0: all).")] = 0,
    hgb_max_iter: Annotated[int, typer.Option(help="Boosting iterations.")] = 200,
    threads: Annotated[int, typer.Option(help="Threads for fitting (0: all cores; 1 is faster on a busy machine).")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    lang: Annotated[str, typer.Option(help="da or en.")] = "da",
) -> None:
    """Fit the risk models on the earlier period, validate on the later one, save models, cards and scores.

    Example: klynge risk train --warehouse wh --max-train-rows 200000
    """
    from klynge.risk import train as run

    r = run(warehouse, seed=seed, max_train_rows=max_train_rows or None, hgb_max_iter=hgb_max_iter,
            threads=threads or None)
    if as_json:
        print(json.dumps({k: r[k] for k in ("folder", "settings", "evaluation", "timings")}, default=str).replace("NaN", "null"))
        return
    _print_evaluation(r["evaluation"], r["settings"], lang)
    console.print(f"Gemt i / saved in {r['folder']}")


@app.command()
def evaluate(
    warehouse: Annotated[Path, typer.Option(help="Warehouse folder.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    lang: Annotated[str, typer.Option(help="da or en.")] = "da",
    by: Annotated[str, typer.Option(help="Also print subgroups: sex, age_band or municipality_code.")] = "",
) -> None:
    """Evaluate the saved models on their test period (and the true risks of a synthetic source).

    Example: klynge risk evaluate --warehouse wh --json
    """
    from klynge.risk import evaluate as run
    from klynge.risk import risk_dir

    try:
        ev = run(warehouse)
    except FileNotFoundError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    if as_json:
        print(json.dumps(ev, default=str).replace("NaN", "null"))
        return
    settings = json.loads((risk_dir(warehouse) / "settings.json").read_text(encoding="utf-8"))["settings"]
    _print_evaluation(ev, settings, lang)
    if by:
        _print_subgroups(ev, by, lang)


@app.command()
def rule(
    warehouse: Annotated[Path, typer.Option(help="Warehouse folder.")],
    start: Annotated[str, typer.Option(help="First check day (ISO date); default 13 weeks before the end.")] = "",
    weeks: Annotated[int, typer.Option(help="Number of weekly check days.")] = 13,
    share: Annotated[float, typer.Option(help="Rise over the baseline that flags (0.2 = 20 %).")] = 0.2,
    baseline_weeks: Annotated[int, typer.Option(help="How many weeks back the baseline lies.")] = 8,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The home-care rule per municipality and cluster, summed over weekly check days (gated).

    Example: klynge risk rule --warehouse wh --start 2025-09-01 --weeks 8
    """
    from klynge.marts._periods import study_period
    from klynge.risk import rule_counts
    from klynge.warehouse import open_warehouse

    con = open_warehouse(warehouse)
    end = study_period(con)[1]
    first = dt.date.fromisoformat(start) if start else end - dt.timedelta(weeks=weeks + 5)
    days = [first + dt.timedelta(weeks=i) for i in range(weeks)]
    frame = rule_counts(con, days, share=share, weeks=baseline_weeks).frame
    frame = frame[frame["check_day"] == "all"]
    if as_json:
        print(frame.to_json(orient="records"))
        return
    t = Table(title=f"Hjemmeplejereglen {days[0]} - {days[-1]}")
    for col in ("area", "eligible", "flagged", "admitted", "flagged_admitted", "sensitivity", "ppv"):
        t.add_column(col)
    for r in frame.itertuples():
        t.add_row(r.area, *(render_count(getattr(r, c), getattr(r, f"{c}_suppressed"))
                            for c in ("eligible", "flagged", "admitted", "flagged_admitted")),
                  render_value(r.sensitivity, r.sensitivity_suppressed, 2), render_value(r.ppv, r.ppv_suppressed, 2))
    console.print(t)


@app.command()
def segments(
    warehouse: Annotated[Path, typer.Option(help="Warehouse folder.")],
    date: Annotated[str, typer.Option(help="Reference date (ISO); default the last 1 January with a year after it.")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    lang: Annotated[str, typer.Option(help="da or en.")] = "da",
    write: Annotated[bool, typer.Option(help="Also write risk__segment and risk__segment_summary.")] = False,
) -> None:
    """Segments: sizes, cost and trajectories per segment (gated).

    Example: klynge risk segments --warehouse wh --date 2025-01-01
    """
    from klynge.risk._segments import SEGMENT_TITLES, segment_report, write_segments
    from klynge.warehouse import open_warehouse

    con = open_warehouse(warehouse)
    r = segment_report(con, dt.date.fromisoformat(date) if date else None)
    if write:
        write_segments(warehouse, r)
    sizes = r["sizes"].frame
    total = sizes[sizes["municipality_code"] == "all"]
    if as_json:
        print(json.dumps({"reference_date": str(r["reference_date"]), "sizes": json.loads(total.to_json(orient="records")),
                          "transitions": json.loads(r["transitions"].frame.to_json(orient="records"))}))
        return
    t = _T[lang]
    table = Table(title=f"Segmenter {r['reference_date']}" if lang == "da" else f"Segments {r['reference_date']}")
    for col in (t["segment"], t["persons"], t["cost"], t["mort"], t["adm"]):
        table.add_column(col)
    for row in total.itertuples():
        name = SEGMENT_TITLES.get(row.segment, {}).get(lang, row.segment)
        table.add_row(name, render_count(row.persons, row.persons_suppressed),
                      render_value(row.cost_per_person_before, row.cost_per_person_before_suppressed, 0, lang=lang),
                      render_value(row.mortality_12m, row.mortality_12m_suppressed, 3, lang=lang),
                      render_count(row.acute_admissions, row.acute_admissions_suppressed))
    console.print(table)
