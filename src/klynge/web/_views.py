"""One view function per page: the data behind both the HTML page and its JSON API answer.

Each view takes the dashboard state and the filters and returns a JSON-ready dict: gated
numbers, their texts in the chosen language ("<5" where suppressed), the Vega-Lite specs of
the page's charts and the rows of the table behind each chart. Pages render exactly these
dicts, so a number on a page is the number in the API.
"""

from __future__ import annotations

import hashlib

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from klynge.privacy import DEFAULT_POLICY, Hierarchy, gate_table
from klynge.web import _charts as charts
from klynge.web._filters import AGE_GROUPS, SEXES, Filters, Geography
from klynge.web._i18n import CONDITION_NAMES, fmt_count, fmt_number, fmt_period, t
from klynge.web._indicators import IndicatorInfo, IndicatorStore, compare, spc
from klynge.web._overview import COMBINATIONS, MM_CLASSES, OVERVIEW_POLICY, SECTORS, OverviewStore
from klynge.web._targets import Target, load_targets, quarter_end, status


@dataclass
class Dashboard:
    """Everything the app loads once at start-up (the expensive part is gating the overview)."""

    warehouse: Path
    geo: Geography
    overview: OverviewStore
    indicators: IndicatorStore
    targets: list[Target]
    risk_tables: list[str] = field(default_factory=list)
    evaluation_tables: list[str] = field(default_factory=list)
    risk_counts: list[dict] = field(default_factory=list)
    risk_summary: pd.DataFrame | None = None

    @classmethod
    def load(cls, warehouse: Path, targets: str | Path | None = None) -> Dashboard:
        from klynge.warehouse import current_build, open_warehouse

        con = open_warehouse(Path(warehouse))
        raw = con.con
        geo = Geography.load(raw)
        build = current_build(Path(warehouse)).name
        policy = hashlib.sha256(repr(OVERVIEW_POLICY).encode()).hexdigest()[:8]
        cache = Path(warehouse) / "cache" / f"overview-{build}-{policy}.parquet"
        overview = OverviewStore.from_warehouse(raw, geo, cache)
        indicators = IndicatorStore(raw)
        tables = raw.sql("select table_name from information_schema.tables").df()["table_name"].tolist()
        tables += _attach_risk(con, Path(warehouse))
        risk = sorted({n for n in tables if n.startswith(("risk__", "marts__risk_"))})
        evaluation = sorted(n for n in tables if n.startswith(("evaluation__", "marts__evaluation")))
        dash = cls(Path(warehouse), geo, overview, indicators,
                   load_targets(targets, known=set(indicators.info)), risk, evaluation)
        if "risk__segment_summary" in risk:
            # The risk module's own gated sizes table: shown as it is, never recounted (a second
            # gate of the same counts could hide other cells and give suppressed ones away).
            dash.risk_summary = raw.sql("select * from risk__segment_summary").df()
        else:
            dash.risk_counts = _risk_counts(raw, [n for n in risk if n != "risk__score"])
        return dash


def _attach_risk(con, warehouse: Path) -> list[str]:
    """The risk module's results (Parquet beside the build) as views, when it has run."""
    try:
        from klynge.risk import attach_risk
    except ImportError:
        return []
    return list(attach_risk(con, warehouse))


# ---------------------------------------------------------------- helpers

def _n(x) -> float | None:
    if x is None:
        return None
    try:
        if pd.isna(x):
            return None
    except (TypeError, ValueError):
        pass
    v = float(x)
    return None if math.isnan(v) else v


def decimals_for(info: IndicatorInfo) -> int:
    return 3 if info.multiplier == 1 and "0-1" in info.unit["en"] else 1


def _count_cell(value, suppressed: bool, lang: str) -> dict:
    v = _n(value)
    hidden = bool(suppressed) or (v is None)
    return {"value": None if hidden else round(v), "suppressed": bool(suppressed),
            "text": fmt_count(None if hidden else v, lang, suppressed=bool(suppressed))}


def _value_cell(value, suppressed: bool, lang: str, decimals: int = 1) -> dict:
    v = _n(value)
    hidden = bool(suppressed) or v is None
    return {"value": None if hidden else v, "suppressed": bool(suppressed),
            "text": fmt_number(None if hidden else v, decimals, lang, suppressed=bool(suppressed))}


def meta(dash: Dashboard, f: Filters) -> dict:
    """The filter choices and the privacy policy (for forms and API clients)."""
    lang = f.lang
    return {
        "filters": {"period_type": f.period_type, "period": f.period, "geo": f.geo, "age": f.age, "sex": f.sex,
                    "lang": lang},
        "periods": dash.indicators.periods,
        "overview_years": dash.overview.periods,
        "geographies": [{"level": lv, "label": t(lv, lang), "options": [{"key": k, "name": n} for k, n in opts]}
                        for lv, opts in dash.geo.options(lang) if opts],
        "ages": [{"key": "all", "label": t("all_ages", lang)}] + [{"key": a, "label": a} for a in AGE_GROUPS],
        "sexes": [{"key": "all", "label": t("all", lang)}] + [{"key": s, "label": t(s, lang)} for s in SEXES],
        "privacy": {"min_cell": DEFAULT_POLICY.min_cell, "mark": f"<{DEFAULT_POLICY.min_cell}",
                    "legend": t("suppressed_legend", lang)},
    }


def _period(dash: Dashboard, f: Filters) -> str | None:
    periods = dash.indicators.periods.get(f.period_type, [])
    if f.period and f.period in periods:
        return f.period
    return periods[-1] if periods else None


# ---------------------------------------------------------------- overview

def overview(dash: Dashboard, f: Filters) -> dict:
    """Population pyramid, sector overlap, prevalence, multimorbidity and cost per citizen."""
    lang = f.lang
    years = dash.overview.periods
    year = f.period[:4] if f.period else (years[-1] if years else None)
    if year not in years:
        year = years[-1] if years else None
    notes = [t("overview_year_note", lang)]
    out = {"year": year, "geo": f.geo, "geo_name": dash.geo.name(f.geo, lang), "notes": notes}
    if year is None:
        return out | {"empty": True, "charts": {}, "tables": {}}
    cells = dash.overview.cells(year, f.geo)
    idx = {(r.age, r.sex, r.measure): r for r in cells.itertuples(index=False)}

    def cell(age, sex, measure):
        return idx.get((age, sex, measure))

    def count(age, sex, measure) -> dict:
        r = cell(age, sex, measure)
        if r is None:
            return _count_cell(None, False, lang)
        return _count_cell(r.n, r.n_suppressed, lang)

    def share(num: dict, den: dict) -> dict:
        if num["value"] is None or den["value"] in (None, 0):
            return _value_cell(None, num["suppressed"] or den["suppressed"], lang)
        return _value_cell(100 * num["value"] / den["value"], False, lang)

    total = count(f.age, f.sex, "population")
    out["population"] = total
    # Pyramid: 5-year bands by sex.
    pyr = []
    for r in cells[(cells["measure"] == "population") & cells["sex"].isin(SEXES)
                   & ~cells["age"].isin([*AGE_GROUPS, "all"])].itertuples(index=False):
        c = _count_cell(r.n, r.n_suppressed, lang)
        start = int(str(r.age).split("-")[0].rstrip("+"))
        pyr.append({"age": r.age, "start": start, "sex": r.sex, "n": c["value"], "suppressed": c["suppressed"],
                    "text": c["text"]})
    pyr.sort(key=lambda r: (-r["start"], r["sex"]))
    # Sector overlap (no sex breakdown in the mart).
    period_pop = count(f.age, "all", "period_population")
    overlap = []
    for comb in COMBINATIONS:
        c = count(f.age, "all", f"overlap:{comb}")
        s = share(c, period_pop)
        overlap.append({"combination": comb, "label": _combination_label(comb, lang), "persons": c, "share": s})
    # Conditions.
    prevalence = []
    for cond, names in CONDITION_NAMES.items():
        c = count(f.age, f.sex, f"condition:{cond}")
        prevalence.append({"condition": cond, "label": names[lang], "persons": c, "share": share(c, total)})
    mm = []
    pop_all_sex = count(f.age, "all", "population")
    for k in MM_CLASSES:
        c = count(f.age, "all", f"mm:{k}")
        mm.append({"conditions": k, "persons": c, "share": share(c, pop_all_sex)})
    # Cost per citizen by sector and age group.
    cost = []
    for age in ([f.age] if f.age != "all" else [*AGE_GROUPS, "all"]):
        den = count(age, "all", "period_population")
        for sector in SECTORS:
            r = cell(age, "all", f"cost:{sector}")
            hidden = r is None or bool(r.amount_suppressed) or den["value"] in (None, 0) or pd.isna(r.amount)
            per = None if hidden else float(r.amount) / den["value"]
            cost.append({"age": age if age != "all" else t("all_ages", lang), "age_key": age, "sector": sector,
                         "sector_name": _sector_label(sector, lang),
                         "users": _count_cell(None if r is None else r.n, False if r is None else r.n_suppressed, lang),
                         "cost_per_citizen": per, "cost_per_citizen_text": fmt_number(
                             per, 0, lang, suppressed=per is None and (r is not None and bool(r.n_suppressed)
                                                                      or den["suppressed"]))})
    if f.sex != "all":
        notes.append(t("no_sex_note", lang))
    specs = {
        "pyramid": charts.pyramid(pyr, lang),
        "overlap": charts.bars([{"label": o["label"], "share": None if o["share"]["value"] is None
                                 else o["share"]["value"] / 100} for o in overlap],
                               "label", "share", t("overlap", lang), t("share", lang), lang),
        "prevalence": charts.bars([{"label": p["label"], "share": None if p["share"]["value"] is None
                                    else p["share"]["value"] / 100} for p in prevalence],
                                  "label", "share", t("prevalence", lang), t("share", lang), lang, fmt=".1%",
                                  colour=charts.ORANGE),
        "multimorbidity": charts.bars([{"label": m["conditions"], "share": None if m["share"]["value"] is None
                                        else m["share"]["value"] / 100} for m in mm],
                                      "label", "share", t("multimorbidity", lang), t("share", lang), lang,
                                      colour=charts.GREEN, sort=None),
        "cost": charts.grouped_bars([c for c in cost if c["age_key"] != "all"] or cost, lang),
    }
    return out | {"period_population": period_pop, "pyramid": pyr, "overlap": overlap, "prevalence": prevalence,
                  "multimorbidity": mm, "cost": cost, "charts": specs}


def _combination_label(comb: str, lang: str) -> str:
    if comb == "none":
        return t("none", lang)
    return " + ".join(_sector_label(p, lang) for p in comb.split("+"))


def _sector_label(sector: str, lang: str) -> str:
    return t("municipality_care" if sector == "municipality" else sector, lang)


# ---------------------------------------------------------------- indicators

def _value_row(info: IndicatorInfo, r: dict | None, lang: str) -> dict:
    dec = decimals_for(info)
    if r is None:
        empty = _value_cell(None, False, lang, dec)
        return {"value": empty, "ci_low": empty, "ci_high": empty, "std_value": empty, "n_units": _count_cell(
            None, False, lang), "n_events": _count_cell(None, False, lang), "suppressed": False, "missing": True}
    hidden = bool(r.get("suppressed"))
    return {
        "value": _value_cell(r.get("value"), hidden, lang, dec),
        "ci_low": _value_cell(r.get("ci_low"), hidden, lang, dec),
        "ci_high": _value_cell(r.get("ci_high"), hidden, lang, dec),
        "std_value": _value_cell(r.get("std_value"), hidden, lang, dec),
        "std_ci_low": _value_cell(r.get("std_ci_low"), hidden, lang, dec),
        "std_ci_high": _value_cell(r.get("std_ci_high"), hidden, lang, dec),
        "n_units": _count_cell(r.get("n_units"), bool(r.get("n_units_suppressed")), lang),
        "n_events": _count_cell(r.get("n_events"), bool(r.get("n_events_suppressed")), lang),
        "suppressed": hidden, "missing": False,
    }


def catalogue(dash: Dashboard, f: Filters) -> dict:
    """Every indicator: latest value (crude and standardised) for the filters, and its trend signal."""
    lang = f.lang
    period = _period(dash, f)
    stratum = f.stratum
    series = dash.indicators.series(f.period_type, f.geo, stratum)
    cols = {c: series[c].to_numpy() for c in series.columns}
    ids = cols.get("indicator_id", np.array([], dtype=object))
    bounds: dict[str, tuple[int, int]] = {}
    if len(ids):
        starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
        ends = np.r_[starts[1:], len(ids)]
        bounds = {ids[a]: (int(a), int(b)) for a, b in zip(starts, ends, strict=True)}
    rows = []
    for ind_id, info in dash.indicators.info.items():
        cur = None
        trend: dict = {"signal": None}
        if ind_id in bounds:
            a, b = bounds[ind_id]
            periods = cols["period"][a:b]
            if period:
                b = a + int(np.searchsorted(periods, period, side="right"))
            part = {c: cols[c][a:b] for c in ("period", "value", "numerator", "denominator", "suppressed")}
            if b > a and cols["period"][b - 1] == period:
                cur = {c: cols[c][b - 1] for c in cols}
            trend = spc(info, part, points=False)
        rows.append({"indicator": info.as_dict(lang), "period": period, **_value_row(info, cur, lang),
                     "signal": trend.get("signal"),
                     "signal_text": _signal_text(trend.get("signal"), lang)})
    notes = [t("stratum_note", lang)] if f.age != "all" and f.sex != "all" else []
    return {"period_type": f.period_type, "period": period, "period_text": fmt_period(period, lang) if period else "",
            "geo": f.geo, "geo_name": dash.geo.name(f.geo, lang), "stratum": list(stratum), "indicators": rows,
            "notes": notes}


def _signal_text(signal: str | None, lang: str) -> str:
    return {"runs": t("signal_runs", lang), "sigma": t("signal_sigma", lang),
            "none": t("signal_none", lang)}.get(signal or "", "")


def indicator(dash: Dashboard, ind_id: str, f: Filters, chart: str = "control") -> dict:
    """One indicator: trend with SPC, and municipalities compared (funnel, tile map, crude vs standardised)."""
    if ind_id not in dash.indicators.info:
        raise KeyError(ind_id)
    if chart not in ("control", "run"):
        raise ValueError("chart must be 'control' or 'run'")
    lang = f.lang
    info = dash.indicators.info[ind_id]
    period = _period(dash, f)
    stratum = f.stratum
    dec = decimals_for(info)
    s = dash.indicators.series(f.period_type, f.geo, stratum, [ind_id])
    trend = spc(info, s, chart)
    for p in trend["points"]:
        p["value_text"] = fmt_number(p["value"], dec, lang, suppressed=p["suppressed"])
        p["cl_text"] = fmt_number(p["cl"], dec, lang)
        p["period_text"] = fmt_period(p["period"], lang)
    national = dash.indicators.cell(ind_id, f.period_type, period, "country:DK", stratum) if period else None
    units = dash.indicators.units(ind_id, f.period_type, period, stratum) if period else pd.DataFrame()
    selected = _municipalities_in(dash.geo, f.geo)
    rows, curve = compare(info, units, national) if len(units) else ([], None)
    names = {k.split(":", 1)[1]: v for k, v in dash.geo.names.items() if k.startswith("municipality:")}
    for r in rows:
        r["name"] = names.get(r["geo_code"], r["geo_code"])
        r["selected"] = r["geo_code"] in selected
        r["value_text"] = fmt_number(r["value"], dec, lang, suppressed=r["suppressed"])
        r["std_text"] = fmt_number(r["std_value"], dec, lang, suppressed=r["suppressed"])
        r["ci_text"] = "" if r["suppressed"] or r["ci_low"] is None else \
            f"{fmt_number(r['ci_low'], dec, lang)} – {fmt_number(r['ci_high'], dec, lang)}"
        r["denominator_text"] = fmt_number(r["denominator"], 0 if info.family != "rate" else 1, lang,
                                           suppressed=r["suppressed"])
        r["n_units_text"] = fmt_count(r["n_units"], lang, suppressed=r["suppressed"])
        r["category_text"] = t(r["category"], lang)
    rows.sort(key=lambda r: r["name"])
    unit = info.unit[lang]
    cur = dash.indicators.cell(ind_id, f.period_type, period, f.geo, stratum) if period else None
    title = info.title[lang]
    specs = {
        "trend": charts.spc_chart(trend["points"], f"{title}: {dash.geo.name(f.geo, lang)}", unit, lang, chart == "run"),
        "funnel": charts.funnel_chart(rows, curve, names, t("funnel", lang), unit, lang),
        "tilemap": charts.tile_map(rows, dash.geo.tiles.to_dict("records"), names, t("tilemap", lang), unit, lang),
        "crude_std": charts.crude_vs_std([r for r in rows if r["selected"]] if f.level != "country" else rows, names,
                                         f"{t('crude', lang)} / {t('standardised', lang)}", unit, lang),
    }
    outliers = [r["name"] for r in rows if r["category"] in ("above", "below")]
    return {"indicator": info.as_dict(lang), "period_type": f.period_type, "period": period,
            "period_text": fmt_period(period, lang) if period else "", "geo": f.geo, "geo_name": dash.geo.name(f.geo, lang),
            "stratum": list(stratum), "chart": chart, "current": _value_row(info, cur, lang),
            "national": _value_row(info, national, lang), "trend": trend,
            "signal_text": _signal_text(trend.get("signal"), lang), "municipalities": rows,
            "funnel_kind": "funnel" if curve else "ci", "outliers": outliers, "charts": specs,
            "notes": [t("stratum_note", lang)] if f.age != "all" and f.sex != "all" else []}


def _municipalities_in(geo: Geography, key: str) -> set[str]:
    level, code = key.split(":", 1)
    m = geo.municipalities
    if level == "country":
        return set(m["municipality_code"])
    col = {"region": "region_code", "cluster": "cluster_id", "council": "council_id",
           "municipality": "municipality_code"}[level]
    return set(m.loc[m[col] == code, "municipality_code"])


# ---------------------------------------------------------------- targets

def targets(dash: Dashboard, f: Filters) -> dict:
    """Each target with its status (on track / off track) and chart, from quarterly published values."""
    lang = f.lang
    out = []
    for tg in dash.targets:
        info = dash.indicators.info[tg.indicator]
        dec = decimals_for(info)
        geo = tg.geo if tg.geo in dash.geo.names else "country:DK"
        s = dash.indicators.series("quarter", geo, ("all", "all"), [tg.indicator])
        periods = s["period"].tolist()
        values = [None if bool(h) else _n(v) for v, h in zip(s["value"], s["suppressed"], strict=True)]
        st = status(tg, periods, values)
        points = [{"period": p, "date": quarter_end(p).isoformat(), "value": v,
                   "value_text": fmt_number(v, dec, lang, suppressed=v is None)}
                  for p, v in zip(periods, values, strict=True)]
        title = (tg.title or {}).get(lang) or info.title[lang]
        entry = {"id": tg.id, "title": title, "indicator": info.as_dict(lang), "geo": geo,
                 "geo_name": dash.geo.name(geo, lang), "target": tg.target,
                 "target_text": fmt_number(tg.target, dec, lang), "date": tg.date.isoformat(),
                 "date_text": _date_text(tg.date, lang), "direction": tg.direction,
                 "direction_text": t(tg.direction, lang), **st,
                 "latest_text": fmt_number(st["latest"], dec, lang),
                 "projected_text": fmt_number(st["projected"], dec, lang),
                 "latest_period_text": fmt_period(st["latest_period"], lang) if st["latest_period"] else "",
                 "status_text": t(st["status"], lang), "points": points}
        entry["chart"] = charts.target_chart(points, entry, title, info.unit[lang], lang)
        out.append(entry)
    return {"targets": out, "rule": t("targets_rule", lang)}


def _date_text(day, lang: str) -> str:
    from klynge.web._i18n import fmt_date

    return fmt_date(day, lang)


# ---------------------------------------------------------------- risk and evaluation

_SEGMENT_COLUMNS = ("segment", "risk_segment", "risk_group", "risk_band", "band", "decile", "tier")


def _risk_counts(raw, tables: list[str]) -> list[dict]:
    """Persons by risk segment in each risk table that has one, gated (segments -> all)."""
    out = []
    for name in tables:
        cols = raw.sql(f'describe "{name}"').df()["column_name"].tolist()
        seg = next((c for c in _SEGMENT_COLUMNS if c in cols), None)
        if seg is None:
            out.append({"table": name, "segments": [], "columns": cols})
            continue
        who = "count(distinct person_id)" if "person_id" in cols else "count(*)"
        df = raw.sql(f'select cast("{seg}" as varchar) segment, {who} n from "{name}" group by 1 order by 1').df()
        total = int(df["n"].sum())
        df = pd.concat([df, pd.DataFrame({"segment": ["all"], "n": [total]})], ignore_index=True)
        g = gate_table(df, ["n"], hierarchies=[Hierarchy.flat("segment", "all")]).frame
        out.append({"table": name, "column": seg,
                    "segments": [{"segment": r.segment, "n": None if pd.isna(r.n) else int(r.n),
                                  "suppressed": bool(r.n_suppressed)} for r in g.itertuples()]})
    return out


def risk(dash: Dashboard, f: Filters) -> dict:
    """Cohorts and risk: gated counts by segment once the risk module has written its tables."""
    lang = f.lang
    if not dash.risk_tables:
        return {"available": False, "message": t("risk_pending", lang), "tables": []}
    if dash.risk_summary is not None:
        return risk_segments(dash.risk_summary, f)
    tables = []
    for entry in dash.risk_counts:
        segs = [s | {"text": fmt_count(s["n"], lang, suppressed=s["suppressed"])} for s in entry["segments"]]
        tables.append({"table": entry["table"], "column": entry.get("column"), "segments": segs})
    return {"available": True, "message": "", "tables": tables}


def risk_segments(summary: pd.DataFrame, f: Filters) -> dict:
    """Segments of the risk module's gated summary for a municipality or the whole population.

    The summary is by segment and municipality (``municipality_code`` 'all' for the whole
    population); other areas show the whole population, with a note.
    """
    lang = f.lang
    level, code = f.geo.split(":", 1)
    key = code if level == "municipality" else "all"
    rows = summary[summary["municipality_code"].astype(str) == key]
    notes = [] if level in ("municipality", "country") else [t("risk_area_note", lang)]
    total = rows[rows["segment"] == "all"]
    total_n = None if total.empty or bool(total["persons_suppressed"].iat[0]) else _n(total["persons"].iat[0])
    segments = []
    for r in rows.to_dict("records"):
        persons = _count_cell(r.get("persons"), bool(r.get("persons_suppressed")), lang)
        share = None if persons["value"] is None or not total_n else 100 * persons["value"] / total_n
        segments.append({
            "segment": r["segment"], "persons": persons,
            "share": _value_cell(share, persons["suppressed"], lang),
            "persons_admitted": _count_cell(r.get("persons_admitted"), bool(r.get("persons_admitted_suppressed")), lang),
            "acute_admissions": _count_cell(r.get("acute_admissions"), bool(r.get("acute_admissions_suppressed")),
                                            lang),
            "cost_per_person_before": _value_cell(r.get("cost_per_person_before"),
                                                  bool(r.get("cost_per_person_before_suppressed")), lang, 0),
            "mortality_12m": _value_cell(None if r.get("mortality_12m") is None else 100 * r["mortality_12m"],
                                         bool(r.get("mortality_12m_suppressed")), lang),
        })
    reference = str(rows["reference_date"].iat[0])[:10] if "reference_date" in rows and len(rows) else None
    return {"available": True, "message": "", "geo": f.geo, "reference_date": reference, "segments": segments,
            "notes": notes, "tables": []}


def evaluation(dash: Dashboard, f: Filters) -> dict:
    """Evaluation: filled when evaluation results exist in the warehouse."""
    lang = f.lang
    if not dash.evaluation_tables:
        return {"available": False, "message": t("evaluation_pending", lang), "tables": []}
    return {"available": True, "message": "", "tables": [{"table": n} for n in dash.evaluation_tables]}


def to_json(obj):
    """Replace NaN and numpy scalars so the answer is strict JSON."""
    if isinstance(obj, dict):
        return {str(k): to_json(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_json(v) for v in obj]
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        v = float(obj)
        return None if math.isnan(v) or math.isinf(v) else v
    if obj is pd.NA or obj is pd.NaT:
        return None
    return obj
