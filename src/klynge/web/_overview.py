"""The overview tables as one long table, gated once at start-up.

The overview marts (`marts__population`, `marts__sector_overlap`, `marts__condition_prevalence`,
`marts__multimorbidity`, `marts__cost`) are stored ungated in the warehouse. They share counts:
the persons at the start of the year are the denominator of the prevalences and the sum of the
multimorbidity classes; the year's population is the sum of the sector combinations and the
denominator of the cost per citizen. Gated one by one, a cell hidden in one table could be
recovered from another (docs/privacy.md, "Queries outside the gated table"). So every count of
the overview goes into one long table, one row per (period, area, age, sex, measure), with all
its additive relations declared, and passes the gate once:

* area: municipality -> health cluster -> region -> country, and municipality -> council;
* age: 5-year band -> age group (0-19, 20-64, 65-79, 80+) -> all (5-year bands only for the
  population, the pyramid's counts);
* sex: F, M -> all (population and conditions; the other marts have no sex);
* measure: the eight sector combinations sum to the year's population (``period_population``)
  and the four multimorbidity classes to the population at the start (``population``);
* period: the years of the marts.

Every page and API answer of the overview then only selects rows of the gated table, so no
request can combine cells in a way the gate did not consider.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pandas as pd

from klynge.privacy import GatedTable, Hierarchy, Policy, gate_table
from klynge.web._filters import AGE_GROUPS, Geography, age_group_of

COMBINATIONS = ("hospital+municipality+gp", "hospital+municipality", "hospital+gp", "municipality+gp", "hospital",
                "municipality", "gp", "none")
MM_CLASSES = ("0", "1", "2", "3+")
SECTORS = ("hospital", "municipality", "gp", "medicine")
KEY = ["period", "geo", "age", "sex", "measure"]

# The full policy, the linear-programming audit included, as for the indicator table. Gating
# takes a while (about a minute at 40,000 persons in 98 municipalities), so the gated table is
# kept per build in `<warehouse>/cache/` and reused by later starts.
OVERVIEW_POLICY = Policy()


_BASE = """
    select period, municipality_code, age_band band, age_band_start band_start, sex, 'population' measure,
           persons_at_start n, null::double amount from marts__population
    union all
    select period, municipality_code, age_band, age_band_start, 'all', 'overlap:' || combination, persons, null
    from marts__sector_overlap
    union all
    select period, municipality_code, age_band, age_band_start, 'all', 'period_population', max(population), null
    from marts__sector_overlap group by all
    union all
    select period, municipality_code, age_band, age_band_start, sex, 'condition:' || condition, persons, null
    from marts__condition_prevalence
    union all
    select period, municipality_code, age_band, age_band_start, 'all', 'mm:' || conditions, persons, null
    from marts__multimorbidity
    union all
    select period, municipality_code, age_band, age_band_start, 'all', 'cost:' || sector, users, cost
    from marts__cost
"""
_AREAS = {"municipality": "municipality_code", "cluster": "cluster_id", "council": "council_id",
          "region": "region_code", "country": None}
_AGES = {"band": "band", "group": "grp", "all": None}


def build_overview_long(raw, geo: Geography) -> pd.DataFrame:
    """The ungated long table of the overview (kept inside the app; only its gated copy leaves).

    The municipality rows of every mart are summed to every area level, age level (5-year bands
    only for the population) and sex total in one DuckDB query with grouping sets.
    """
    sets, cases_geo = [], []
    for acol in _AREAS.values():
        for agecol in _AGES.values():
            for sex in (True, False):
                sets.append("(" + ", ".join(["period", "measure", *(c for c in (acol, agecol) if c),
                                             *(["sex"] if sex else [])]) + ")")
    for level, acol in _AREAS.items():
        if acol:
            cases_geo.append(f"when grouping({acol}) = 0 then '{level}:' || {acol}")
    geo_expr = "case " + " ".join(cases_geo) + " else 'country:DK' end"
    age_expr = "case when grouping(band) = 0 then band when grouping(grp) = 0 then grp else 'all' end"
    query = f"""
        with base as ({_BASE}),
        b as (
            select base.*, m.cluster_id::varchar cluster_id, m.region_code::varchar region_code,
                   c.council_id::varchar council_id,
                   case when band_start < 20 then '0-19' when band_start < 65 then '20-64'
                        when band_start < 80 then '65-79' else '80+' end grp
            from base join ref__municipality m using (municipality_code)
            left join ref__health_council c using (municipality_code))
        select period, {geo_expr} geo, {age_expr} age,
               case when grouping(sex) = 0 then sex else 'all' end sex, measure,
               sum(n)::bigint n, sum(amount) amount
        from b
        group by grouping sets ({", ".join(sets)})
        having not (grouping(band) = 0 and measure <> 'population')
           and not (grouping(sex) = 0 and sex = 'all')
    """
    long = raw.sql(query).df()
    long["n"] = long["n"].astype("int64")
    return long.sort_values(KEY, kind="stable").reset_index(drop=True)


def overview_hierarchies(geo: Geography) -> list[Hierarchy]:
    """The additive relations of the overview's long table (see the module docstring)."""
    up, council = geo.parents()
    band_parent = {f"{s}-{s + 4}": age_group_of(s) for s in range(0, 95, 5)} | {"95+": "80+"}
    measure_parent = {f"overlap:{c}": "period_population" for c in COMBINATIONS}
    measure_parent |= {f"mm:{k}": "population" for k in MM_CLASSES}
    return [
        Hierarchy.periods("period"),
        Hierarchy.from_parent_map("geo", up),
        Hierarchy.from_parent_map("geo", council),
        Hierarchy.from_parent_map("age", band_parent, total="all"),
        Hierarchy.flat("sex", "all"),
        Hierarchy.from_parent_map("measure", measure_parent),
    ]


def gate_overview(long: pd.DataFrame, geo: Geography, policy: Policy = OVERVIEW_POLICY) -> GatedTable:
    """Pass the overview's long table through the privacy gate, all relations at once."""
    return gate_table(long, ["n"], hierarchies=overview_hierarchies(geo), derived={"amount": ["n"]}, policy=policy)


class OverviewStore:
    """The gated overview, split by (period, area) for fast look-ups."""

    def __init__(self, gated: GatedTable | pd.DataFrame, seconds: float) -> None:
        frame = gated.frame if isinstance(gated, GatedTable) else gated
        self.gated = gated
        self.frame = frame
        self.seconds = seconds
        self.periods = sorted(frame["period"].unique().tolist())
        self._parts = {k: g.reset_index(drop=True) for k, g in frame.groupby(["period", "geo"], sort=False)}

    @classmethod
    def from_warehouse(cls, raw, geo: Geography, cache: Path | None = None) -> OverviewStore:
        """Gate the overview of the open build, or read the gated table kept in ``cache`` (a
        file written by an earlier start on the same build, by this code only)."""
        t0 = time.perf_counter()
        if cache is not None and cache.exists():
            return cls(pd.read_parquet(cache), time.perf_counter() - t0)
        store = cls._gate(raw, geo)
        if cache is not None:
            try:   # written whole or not at all; a read-only warehouse folder just means no cache
                cache.parent.mkdir(parents=True, exist_ok=True)
                partial = cache.with_suffix(".partial")
                frame = store.frame.copy()
                frame.attrs = {}   # the policy object is in the file name, not the file
                frame.to_parquet(partial, index=False)
                os.replace(partial, cache)
            except OSError:
                pass
        store.seconds = time.perf_counter() - t0
        return store

    @classmethod
    def _gate(cls, raw, geo: Geography) -> OverviewStore:
        t0 = time.perf_counter()
        if not _has_tables(raw, ["marts__population", "marts__sector_overlap", "marts__condition_prevalence",
                                 "marts__multimorbidity", "marts__cost"]):
            empty = pd.DataFrame({c: pd.Series(dtype="string") for c in KEY} | {"n": pd.Series(dtype="int64"),
                                                                                "amount": pd.Series(dtype=float)})
            return cls(gate_overview(empty, geo), 0.0)
        gated = gate_overview(build_overview_long(raw, geo), geo)
        return cls(gated, time.perf_counter() - t0)

    def cells(self, period: str, geo: str) -> pd.DataFrame:
        """The gated rows of one year and area (empty when there are none)."""
        part = self._parts.get((period, geo))
        return part if part is not None else self.frame.iloc[0:0]


def _has_tables(raw, names: list[str]) -> bool:
    have = set(raw.sql("select table_name from information_schema.tables").df()["table_name"])
    return all(n in have for n in names)


__all__ = ["AGE_GROUPS", "COMBINATIONS", "MM_CLASSES", "SECTORS", "OverviewStore", "build_overview_long",
           "gate_overview", "overview_hierarchies"]
