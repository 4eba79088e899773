"""Compute the catalogue: unit rows, the long table, the privacy gate, the warehouse tables."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, date, datetime

import pandas as pd

from klynge._version import __version__
from klynge.core import map_queries, replace_table
from klynge.indicators._aggregate import KEYS, finish, grid, rollup
from klynge.indicators._codelists import codelist_version
from klynge.indicators._conditions import conditions_expr
from klynge.indicators._context import Context
from klynge.indicators._registry import Indicator, registry
from klynge.privacy import Hierarchy, Policy, gate

LONG_COLUMNS = [
    "indicator_id", "indicator_version", *KEYS, "geo_name", "n_units", "n_events", "numerator", "denominator",
    "value", "ci_low", "ci_high", "std_value", "std_ci_low", "std_ci_high", "expected", "smr", "smr_ci_low",
    "smr_ci_high", "unit", "multiplier",
]


_TEXT = ["indicator_id", "indicator_version", "period_type", "period", "level", "geo_code", "stratum_type", "stratum",
         "geo_name", "unit"]


def _typed(long: pd.DataFrame) -> pd.DataFrame:
    """Fixed column types, so that even an empty result can be stored."""
    out = long.reindex(columns=LONG_COLUMNS)
    for col in LONG_COLUMNS:
        out[col] = out[col].astype("string") if col in _TEXT else pd.to_numeric(out[col]).astype("float64")
    return out


def geography(con) -> tuple[pd.DataFrame, dict[tuple[str, str], str]]:
    """Municipality -> cluster, council, region; and names for every (level, code)."""
    m = con.table("ref__municipality").execute()
    council = con.table("ref__health_council").execute()
    clusters = con.table("ref__health_cluster").execute()
    regions = con.table("ref__region").execute()
    geo = m[["municipality_code", "cluster_id", "region_code"]].merge(
        council[["municipality_code", "council_id"]], on="municipality_code", how="left")
    names = {("municipality", r.municipality_code): r.name for r in m.itertuples()}
    names |= {("cluster", r.cluster_id): r.name for r in clusters.itertuples()}
    names |= {("council", r.council_id): r.council_name for r in council.itertuples()}
    names |= {("region", r.region_code): r.name for r in regions.itertuples()}
    names[("country", "DK")] = "Danmark"
    return geo, names


def period_of(con) -> tuple[date, date]:
    pt = con.table("core__person_time")
    lo, hi = pt.month.min().execute(), pt.month.max().execute()
    hi = (pd.Timestamp(hi) + pd.offsets.MonthEnd(0)).date()
    return pd.Timestamp(lo).date(), hi


def compute_indicator(con, ind: Indicator, start: date, end: date, geo=None) -> pd.DataFrame:
    """The long table of one indicator, before the privacy gate."""
    d = ind.definition
    ctx = Context(con, start, end, dict(d.params))
    units = ind.units()(ctx)
    g = grid(con, units.select("person_id", "date", "numerator", "denominator"), d, start, end)
    if geo is None:
        geo = geography(con)
    geo_map, names = geo
    if g.empty:
        return pd.DataFrame(columns=LONG_COLUMNS)
    cells = finish(rollup(g, geo_map, d), d)
    cells["geo_name"] = [names.get((lv, str(c)), str(c)) for lv, c in zip(cells["level"], cells["geo_code"], strict=True)]
    cells["indicator_id"], cells["indicator_version"] = d.id, d.version
    cells["unit"], cells["multiplier"] = d.unit.da, d.multiplier
    return cells[LONG_COLUMNS]


def _hierarchies(frame: pd.DataFrame, geo: pd.DataFrame | None) -> list[Hierarchy]:
    """The additive relations of one indicator's long table (see `gate_long`)."""
    # Sex and age group are two separate margins of the same total: F + M = all, and the age
    # groups sum to all. (One flat hierarchy over all strata would claim a relation that does
    # not hold and miss the two that do.)
    strata = frame[["stratum_type", "stratum_key"]].drop_duplicates()
    by_type = {t: dict.fromkeys(strata.loc[strata.stratum_type == t, "stratum_key"], "all:all")
               for t in strata.stratum_type.unique() if t != "all"}
    hierarchies = [Hierarchy.periods("period"),
                   *(Hierarchy.from_parent_map("stratum_key", children) for _, children in sorted(by_type.items()))]
    if geo is not None:
        up: dict[str, str] = {}
        council: dict[str, str] = {}
        for r in geo.itertuples():
            up[f"municipality:{r.municipality_code}"] = f"cluster:{r.cluster_id}"
            up[f"cluster:{r.cluster_id}"] = f"region:{r.region_code}"
            up[f"region:{r.region_code}"] = "country:DK"
            council[f"municipality:{r.municipality_code}"] = f"council:{r.council_id}"
        hierarchies += [Hierarchy.from_parent_map("geo", up), Hierarchy.from_parent_map("geo", council)]
    return hierarchies


_DERIVED = ["numerator", "denominator", "value", "ci_low", "ci_high", "std_value", "std_ci_low", "std_ci_high", "expected", "smr",
            "smr_ci_low", "smr_ci_high"]


def _gate_one(long: pd.DataFrame, geo: pd.DataFrame | None, policy: Policy) -> tuple[pd.DataFrame, list[str]]:
    """Gate one indicator's table; if the audit cannot protect it, publish coarser periods.

    Returns the gated rows and the period types left out (empty when all were published).
    """
    frame = long.copy()
    frame["geo"] = frame["level"].astype(str) + ":" + frame["geo_code"].astype(str)
    frame["stratum_key"] = frame["stratum_type"].astype(str) + ":" + frame["stratum"].astype(str)
    dropped: list[str] = []
    for coarser in ([], ["month"], ["month", "quarter"]):
        part = frame[~frame["period_type"].isin(coarser)]
        try:
            out = gate(part, ["n_events", "n_units"], hierarchies=_hierarchies(part, geo), policy=policy,
                       derived={c: ["n_events", "n_units"] for c in _DERIVED}, base=["indicator_id"])
        except RuntimeError:   # some small count cannot be protected: leave out the finest periods
            continue
        dropped = coarser
        break
    else:
        raise RuntimeError(f"indicator {long['indicator_id'].iloc[0]} cannot be published even by year")
    out = pd.DataFrame(out).drop(columns=["geo", "stratum_key"])
    out.attrs.clear()
    return out, dropped


def gate_long(long: pd.DataFrame, geo: pd.DataFrame | None = None, *, policy: Policy | None = None) -> pd.DataFrame:
    """Every indicator result passes the privacy gate on its way out.

    Each indicator is its own table with three additive dimensions: geography (municipality ->
    cluster -> region -> country, and municipality -> council), period (month -> quarter ->
    year) and stratum (F + M = all; the age groups sum to all). Complementary suppression runs
    over all of them at once, and the audit (``Policy(audit=True)``, the default) proves that
    no suppressed cell can be recovered by differencing any combination of published cells.
    An indicator that cannot be protected that way is published without months (then without
    quarters); the left-out period types are listed in ``attrs["left_out"]``.
    """
    policy = policy or Policy()
    parts = [g for _, g in long.groupby("indicator_id", sort=True)] if len(long) else []
    results = [_gate_one(p, geo, policy) for p in parts]
    if not results:
        out = long.assign(**{f"{c}_suppressed": pd.Series(dtype=bool) for c in ["n_events", "n_units", *_DERIVED]},
                          suppressed=pd.Series(dtype=bool))
    else:
        out = pd.concat([r[0] for r in results], ignore_index=True)
    out.attrs["left_out"] = {p["indicator_id"].iloc[0]: r[1] for p, r in zip(parts, results, strict=True) if r[1]}
    return out


def compute_catalogue(con, ids: list[str] | None = None, progress=None,
                      period: tuple[date, date] | None = None) -> tuple[pd.DataFrame, dict]:
    """Compute (ungated) all or some indicators; return the long table and run metadata."""
    reg = registry()
    unknown = sorted(set(ids or []) - set(reg))
    if unknown:
        raise KeyError(f"unknown indicator(s): {', '.join(unknown)}")
    chosen = [reg[i] for i in (ids or list(reg))]
    start, end = period or period_of(con)
    replace_table(con, "marts__conditions", conditions_expr(con))
    geo = geography(con)

    def one(ind: Indicator) -> tuple[pd.DataFrame, float]:
        t0 = time.perf_counter()
        part = compute_indicator(con, ind, start, end, geo)
        return part, round(time.perf_counter() - t0, 3)

    # Indicators are independent: on an engine that runs queries side by side (Spark), a few
    # at a time (each one's time then overlaps the others'); results in catalogue order.
    parts, timings = [], {}
    results = map_queries(con, one, chosen)
    for k, (ind, (part, seconds)) in enumerate(zip(chosen, results, strict=True), 1):
        parts.append(part)
        timings[ind.id] = seconds
        if progress:
            progress(k, len(chosen), ind.id)
    long = _typed(pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts)
                  else pd.DataFrame(columns=LONG_COLUMNS))
    codelists = sorted({c for ind in chosen for c in ind.definition.codelists})
    meta = {"run_id": uuid.uuid4().hex[:12], "run_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "package_version": __version__, "engine": con.name,
            "codelist_versions": ";".join(f"{c}={codelist_version(c)}" for c in codelists),
            "period": [start.isoformat(), end.isoformat()], "timings": timings}
    return long, meta


def write_indicators(con, ids: list[str] | None = None, progress=None,
                     period: tuple[date, date] | None = None, policy: Policy | None = None) -> dict:
    """Compute the catalogue, gate it and write `marts__indicator_long`; return the run metadata."""
    long, meta = compute_catalogue(con, ids, progress, period)
    gated = gate_long(long, geography(con)[0], policy=policy)
    meta["left_out"] = gated.attrs.get("left_out", {})
    gated = pd.DataFrame(gated)
    gated.attrs.clear()
    for key in ("run_id", "run_at", "package_version", "engine", "codelist_versions"):
        gated[key] = meta[key]
    import ibis

    replace_table(con, "marts__indicator_long", ibis.memtable(gated))
    meta["rows"] = len(gated)
    return meta
