"""Indicator results for the dashboard: series, comparisons of municipalities, SPC and funnels.

Everything is read from `marts__indicator_long`, which the indicator build has already passed
through the privacy gate with all its relations (area, period, stratum). The dashboard only
selects published rows of it; what it computes (centre lines, control limits, funnel limits,
trend projections) rests on published numbers only. As a second line of defence, a count is
shown only when its own flag is clear, and the denominator only when ``n_units`` is published
(the stored table publishes the denominator beside a suppressed ``n_units``; for proportions
and means they are the same count).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from klynge.indicators import registry
from klynge.stats import funnel, qic

COLUMNS = ["indicator_id", "period_type", "period", "level", "geo_code", "stratum_type", "stratum", "n_units",
           "n_events", "numerator", "denominator", "value", "ci_low", "ci_high", "std_value", "std_ci_low",
           "std_ci_high", "smr", "smr_ci_low", "smr_ci_high", "unit", "multiplier", "n_units_suppressed",
           "n_events_suppressed", "numerator_suppressed", "value_suppressed", "std_value_suppressed",
           "smr_suppressed", "suppressed"]


@dataclass(frozen=True)
class IndicatorInfo:
    """What the dashboard shows about an indicator besides its numbers."""

    id: str
    title: dict[str, str]
    description: dict[str, str]
    family: str
    unit: dict[str, str]
    multiplier: float
    better: str
    numerator_is_count: bool
    source: str
    approximation: str | None

    def as_dict(self, lang: str) -> dict:
        return {"id": self.id, "title": self.title[lang], "description": self.description[lang],
                "family": self.family, "unit": self.unit[lang], "multiplier": self.multiplier,
                "better": self.better, "source": self.source, "approximation": self.approximation}


def catalogue_info() -> dict[str, IndicatorInfo]:
    """The indicator definitions of the registry, in catalogue order."""
    out = {}
    for ind_id, ind in registry().items():
        d = ind.definition
        out[ind_id] = IndicatorInfo(
            ind_id, {"da": d.title.da, "en": d.title.en}, {"da": d.description.da, "en": d.description.en},
            d.family, {"da": d.unit.da, "en": d.unit.en}, float(d.multiplier), d.better, d.numerator_is_count,
            d.source.name, d.approximation)
    return out


class IndicatorStore:
    """Queries on the gated indicator table (kept in an in-memory DuckDB copy, sorted for look-ups)."""

    def __init__(self, raw) -> None:
        import duckdb

        self.info = catalogue_info()
        self.db = duckdb.connect(":memory:")
        have = set(raw.sql("select table_name from information_schema.tables").df()["table_name"])
        if "marts__indicator_long" in have:
            arrow = raw.sql(f"select {', '.join(COLUMNS)} from marts__indicator_long "
                            "order by period_type, level, stratum_type, stratum, geo_code, indicator_id, period"
                            ).to_arrow_table()
        else:
            arrow = None
        if arrow is None or arrow.num_rows == 0:
            self.db.execute(f"create table il as select * from (select {', '.join('null::varchar ' + c for c in COLUMNS)}) "
                            "where false")
        else:
            self.db.register("il_arrow", arrow)
            self.db.execute(f"create table il as select {_MASKED} from il_arrow")
            self.db.unregister("il_arrow")
        self.periods = {pt: [r[0] for r in self.db.execute(
            "select distinct period from il where period_type = ? order by 1", [pt]).fetchall()]
            for pt in ("year", "quarter", "month")}
        self.available = [r[0] for r in self.db.execute("select distinct indicator_id from il").fetchall()]

    def query(self, sql: str, params: list) -> pd.DataFrame:
        cur = self.db.cursor()
        try:
            return cur.execute(sql, params).df()
        finally:
            cur.close()

    def series(self, period_type: str, geo: str, stratum: tuple[str, str], ids: list[str] | None = None) -> pd.DataFrame:
        """All periods of one area and stratum, for all (or some) indicators."""
        level, code = geo.split(":", 1)
        sql = ("select * from il where period_type = ? and level = ? and geo_code = ? and stratum_type = ? "
               "and stratum = ?")
        params = [period_type, level, code, *stratum]
        if ids:
            sql += f" and indicator_id in ({', '.join('?' for _ in ids)})"
            params += ids
        return self.query(sql + " order by indicator_id, period", params)

    def units(self, indicator_id: str, period_type: str, period: str, stratum: tuple[str, str],
              level: str = "municipality") -> pd.DataFrame:
        """One period of every area of a level (municipalities by default)."""
        return self.query(
            "select * from il where indicator_id = ? and period_type = ? and period = ? and level = ? "
            "and stratum_type = ? and stratum = ? order by geo_code",
            [indicator_id, period_type, period, level, *stratum])

    def cell(self, indicator_id: str, period_type: str, period: str, geo: str,
             stratum: tuple[str, str]) -> dict | None:
        level, code = geo.split(":", 1)
        df = self.query("select * from il where indicator_id = ? and period_type = ? and period = ? and level = ? "
                        "and geo_code = ? and stratum_type = ? and stratum = ?",
                        [indicator_id, period_type, period, level, code, *stratum])
        return df.iloc[0].to_dict() if len(df) else None


# What rests on a suppressed count is masked once, when the table is loaded, whatever the stored
# table left published (its denominator is published beside a suppressed n_units).
_HIDE_ROW = "coalesce(suppressed, false)"
_MASKED = ", ".join([
    "indicator_id", "period_type", "period", "level", "geo_code", "stratum_type", "stratum",
    "case when coalesce(n_units_suppressed, false) then null else n_units end::double n_units",
    "case when coalesce(n_events_suppressed, false) then null else n_events end::double n_events",
    (f"case when coalesce(n_events_suppressed, false) or {_HIDE_ROW} or coalesce(numerator_suppressed, false) "
     "then null else numerator end numerator"),
    f"case when coalesce(n_units_suppressed, false) or {_HIDE_ROW} then null else denominator end denominator",
    *[f"case when {_HIDE_ROW} or coalesce(value_suppressed, false) then null else {c} end {c}"
      for c in ("value", "ci_low", "ci_high")],
    *[f"case when {_HIDE_ROW} or coalesce(std_value_suppressed, false) then null else {c} end {c}"
      for c in ("std_value", "std_ci_low", "std_ci_high")],
    *[f"case when {_HIDE_ROW} or coalesce(smr_suppressed, false) then null else {c} end {c}"
      for c in ("smr", "smr_ci_low", "smr_ci_high")],
    "unit", "multiplier", "coalesce(n_units_suppressed, false) n_units_suppressed",
    "coalesce(n_events_suppressed, false) n_events_suppressed",
    "coalesce(numerator_suppressed, false) numerator_suppressed", "coalesce(value_suppressed, false) value_suppressed",
    "coalesce(std_value_suppressed, false) std_value_suppressed", "coalesce(smr_suppressed, false) smr_suppressed",
    f"{_HIDE_ROW} suppressed",
])


def _num(x) -> float | None:
    if x is None or (isinstance(x, float) and math.isnan(x)) or pd.isna(x):
        return None
    return float(x)


def _f(v: float) -> float | None:
    return None if np.isnan(v) else float(v)


def _arr(series, col: str) -> np.ndarray:
    return np.asarray(series[col], dtype=float)


def spc(info: IndicatorInfo, series, chart: str = "control", points: bool = True) -> dict:
    """Run or control chart of a published series, with the Anhøj rules (klynge.stats.qic).

    ``series`` is a DataFrame or a mapping of equal-length arrays (period, value, numerator,
    denominator, suppressed). Proportions get a P chart, rates of counts a U chart (events over
    person-time), other values (means, rates of amounts) an I chart; ``chart="run"`` gives a
    run chart of the values. Suppressed periods are missing points (they take no part in the
    centre line or the runs analysis). ``points=False`` returns the summary only.
    """
    x = list(series["period"])
    if not x:
        return {"chart": chart, "points": [], "signal": None}
    value = _arr(series, "value")
    if chart == "run":
        kind, q = "run", qic(value, x=x, chart="run")
    elif info.family == "proportion" or (info.family == "rate" and info.numerator_is_count):
        kind = "p" if info.family == "proportion" else "u"
        q = qic(_arr(series, "numerator"), _arr(series, "denominator"), x=x, chart=kind, multiply=info.multiplier)
    else:
        kind, q = "i", qic(value, x=x, chart="i")
    summary = q.summary.iloc[-1]
    runs = bool(summary["runs_signal"])
    sigma = int(summary["n_sigma_signals"]) if not pd.isna(summary["n_sigma_signals"]) else 0
    out = {"chart": kind, "runs_signal": runs, "sigma_signals": sigma,
           "longest_run": _num(summary["longest_run"]), "longest_run_max": _num(summary["longest_run_max"]),
           "n_crossings": _num(summary["n_crossings"]), "n_crossings_min": _num(summary["n_crossings_min"]),
           "signal": "runs" if runs else ("sigma" if sigma else "none")}
    if not points:
        return out
    values = value
    pts = q.points.reset_index(drop=True)
    published = ~np.asarray(series["suppressed"], dtype=bool) & ~np.isnan(values)
    cols = {c: pts[c].astype(float).to_numpy() if c in pts else np.full(len(pts), np.nan)
            for c in ("cl", "lcl", "ucl")}
    sigma_flag = pts["sigma_signal"].astype(bool).to_numpy() & published
    runs_flag = pts["runs_signal"].astype(bool).to_numpy()
    points = [{"period": x[i], "value": float(values[i]) if published[i] else None, "suppressed": not published[i],
               "cl": _f(cols["cl"][i]), "lcl": _f(cols["lcl"][i]), "ucl": _f(cols["ucl"][i]),
               "sigma_signal": bool(sigma_flag[i]), "runs_signal": bool(runs_flag[i])}
              for i in range(len(pts))]
    return out | {"points": points}


def compare(info: IndicatorInfo, units: pd.DataFrame, national: dict | None) -> tuple[list[dict], dict | None]:
    """Municipalities compared with the national value: funnel limits (proportions, rates of
    counts) or confidence intervals (means), from published numbers only.

    Returns one row per municipality with its category (``above``, ``below``, ``above95``,
    ``below95``, ``within``, ``hidden``) and the funnel's curves for the chart.
    """
    rows = []
    target = _num(national.get("value")) if national else None
    mult = info.multiplier
    published = units[units["value"].notna() & ~units["suppressed"].astype(bool)].copy()
    use_funnel = info.family == "proportion" or (info.family == "rate" and info.numerator_is_count)
    if target is not None and use_funnel:
        # Funnel limits need a target strictly inside (0, 1) for proportions and above 0 for
        # rates; a national value of 0 (or 100 %) leaves nothing to draw limits around.
        ratio = target / mult
        if ratio <= 0 or (info.family == "proportion" and ratio >= 1):
            use_funnel = False
    limits: dict[str, dict] = {}
    curve = None
    if use_funnel and target is not None and len(published):
        ok = published[published["denominator"].notna() & (published["denominator"] > 0)
                       & published["numerator"].notna()]
        if len(ok):
            kind = "binomial" if info.family == "proportion" else "poisson"
            den = ok["denominator"].astype(float).to_numpy()
            if kind == "binomial":
                den = np.round(den)
            f = funnel(ok["numerator"].astype(float).to_numpy(), den, target=target / mult, kind=kind,
                       units=ok["geo_code"].tolist())
            for code, r in f.iterrows():
                limits[str(code)] = {k: float(r[k]) * mult for k in ("lower_95", "upper_95", "lower_998", "upper_998")}
            grid = np.unique(np.round(np.geomspace(max(den.min() * 0.8, 1.0), den.max() * 1.2, 60)))
            fc = funnel(np.full(len(grid), 0.0), grid, target=target / mult, kind=kind)
            curve = {"denominator": grid.tolist(), "target": target,
                     **{k: (fc[k] * mult).tolist() for k in ("lower_95", "upper_95", "lower_998", "upper_998")}}
    for r in units.to_dict("records"):
        code = str(r["geo_code"])
        value = _num(r["value"])
        hidden = bool(r["suppressed"]) or value is None
        cat = "hidden"
        lim = limits.get(code)
        if not hidden and target is not None:
            if lim:
                cat = ("above" if value > lim["upper_998"] else "below" if value < lim["lower_998"]
                       else "above95" if value > lim["upper_95"] else "below95" if value < lim["lower_95"] else "within")
            elif not use_funnel and _num(r["ci_low"]) is not None:
                cat = "above95" if r["ci_low"] > target else "below95" if r["ci_high"] < target else "within"
            else:
                cat = "within"
        rows.append({"geo_code": code, "value": None if hidden else value,
                     "ci_low": None if hidden else _num(r["ci_low"]), "ci_high": None if hidden else _num(r["ci_high"]),
                     "std_value": _num(r["std_value"]), "std_ci_low": _num(r["std_ci_low"]),
                     "std_ci_high": _num(r["std_ci_high"]), "smr": _num(r["smr"]),
                     "n_units": None if hidden else _num(r["n_units"]),
                     "n_events": None if hidden else _num(r["n_events"]),
                     "denominator": None if hidden else _num(r["denominator"]),
                     "suppressed": hidden, "category": cat, **(lim or {})})
    return rows, curve
