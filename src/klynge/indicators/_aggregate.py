"""From unit rows to the long indicator table: periods, geographies, strata, intervals, standardisation.

1. In the engine: attach sex, age and municipality of residence on the unit date to every unit,
   and sum to the finest grid (month x municipality x sex x 5-year age band).
2. In pandas (the grid is small): roll up to quarter and year, to cluster, council, region and
   the whole population, and to the strata all / sex / age group; then crude intervals (exact
   binomial or Poisson where the numerator is a count) and age-sex standardisation.
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
from scipy import stats

from klynge.core import age_band_start, age_on, input_table, person_time_expr
from klynge.indicators._definition import Definition
from klynge.stats import standardise_direct_frame, standardise_indirect_frame

GRID = ["month", "municipality_code", "sex", "age_band_start"]
# Age groups follow the 5-year bands of person-time, so that numerators and denominators
# always fall in the same group (the conventional 0-17 / 18-64 split cannot be made exactly).
AGE_GROUPS = [(0, "0-19"), (20, "20-64"), (65, "65-79"), (80, "80+")]


def unit_rows(con, units: ibis.Table, d: Definition) -> ibis.Table:
    """Units with sex, age, age band and municipality of residence on the unit date."""
    person = input_table(con, "person").select("person_id", "sex", "birth_date")
    residence = input_table(con, "residence")
    u = units.join(person, "person_id")
    u = u.mutate(age=age_on(u.birth_date, u.date))
    if d.min_age is not None:
        u = u.filter(u.age >= d.min_age)
    if d.max_age is not None:
        u = u.filter(u.age <= d.max_age)
    r = residence.select(rp=residence.person_id, municipality_code=residence.municipality_code,
                         valid_from=residence.valid_from, valid_to=residence.valid_to)
    u = u.join(r, [u.person_id == r.rp, r.valid_from <= u.date, r.valid_to.isnull() | (r.valid_to > u.date)])
    return u.mutate(age_band_start=age_band_start(u.age), month=u.date.truncate("M"))


def grid(con, units: ibis.Table, d: Definition, start, end) -> pd.DataFrame:
    """Sum the units to month x municipality x sex x age band (and add person-time for rates)."""
    u = unit_rows(con, units, d)
    agg = u.group_by(GRID).agg(
        numerator=u.numerator.sum(), denominator=u.denominator.sum(), numerator_sq=(u.numerator ** 2).sum(),
        n_units=u.count(), n_events=(u.numerator > 0).cast("int64").sum(),
    ).execute()
    if d.family == "rate":
        pt = _person_time(con, d, start, end)
        if pt.empty:
            return pt.iloc[0:0]
        if agg.empty:
            agg = pt.assign(numerator=0.0, numerator_sq=0.0, n_units=0, n_events=0)
        else:
            agg = agg.drop(columns="denominator").merge(pt, on=GRID, how="outer")
        for c in ("numerator", "numerator_sq", "n_units", "n_events"):
            agg[c] = agg[c].fillna(0)
        agg["denominator"] = agg["denominator"].fillna(0.0)
    if d.family == "mean":
        # Every unit of a mean carries a value, zero included: all units are events.
        agg["n_events"] = agg["n_units"]
    agg["month"] = pd.to_datetime(agg["month"])
    return agg


def _person_time(con, d: Definition, start, end) -> pd.DataFrame:
    spec = d.person_time
    if spec.condition is None:
        pt = con.table("core__person_time")
    else:
        # Person-time of persons with the condition: residence spans clipped to start on the
        # condition's first date ("once diagnosed, always diagnosed").
        cond = con.table("marts__conditions")
        cond = cond.filter(cond.condition == spec.condition).select(cp=cond.person_id, first_date=cond.first_date)
        res = input_table(con, "residence")
        res = res.join(cond, res.person_id == cond.cp)
        res = res.mutate(valid_from=ibis.greatest(res.valid_from, res.first_date)).drop("cp", "first_date")
        res = res.filter(res.valid_to.isnull() | (res.valid_to > res.valid_from))
        pt = person_time_expr(input_table(con, "person"), res, start, end)
    if spec.min_age is not None:
        pt = pt.filter(pt.age_band_start >= spec.min_age - spec.min_age % 5)
    if spec.max_age is not None:
        pt = pt.filter(pt.age_band_start <= spec.max_age)
    pt = pt.group_by(GRID).agg(denominator=pt.person_years.sum())
    return pt.execute()


def _period_labels(month: pd.Series) -> dict[str, pd.Series]:
    return {
        "month": month.dt.strftime("%Y-%m"),
        "quarter": month.dt.year.astype(str) + "-Q" + month.dt.quarter.astype(str),
        "year": month.dt.year.astype(str),
    }


def _age_group(band: pd.Series) -> pd.Series:
    edges = [a for a, _ in AGE_GROUPS]
    labels = [lbl for _, lbl in AGE_GROUPS]
    return pd.Series(np.array(labels)[np.searchsorted(edges, band.to_numpy(), side="right") - 1], index=band.index)


def rollup(g: pd.DataFrame, geography: pd.DataFrame, d: Definition) -> pd.DataFrame:
    """Every period type x geography level x stratum, with the age-sex strata kept for standardising.

    `geography` maps municipality_code to cluster_id, council_id and region_code.
    """
    g = g.merge(geography, on="municipality_code", how="left")
    g["country"] = "DK"
    g["age_group"] = _age_group(g["age_band_start"])
    g["std_stratum"] = g["sex"].astype(str) + ":" + g["age_band_start"].astype(int).astype(str)
    periods = _period_labels(g["month"])
    levels = {"municipality": "municipality_code", "cluster": "cluster_id", "council": "council_id",
              "region": "region_code", "country": "country"}
    if "geography" not in d.breakdowns:
        levels = {"country": "country"}
    strata = {"all": None}
    if "sex" in d.breakdowns:
        strata["sex"] = "sex"
    if "age_group" in d.breakdowns:
        strata["age_group"] = "age_group"
    sums = ["numerator", "denominator", "numerator_sq", "n_units", "n_events"]
    out = []
    for ptype, plabel in periods.items():
        if ptype not in d.periods:
            continue
        for level, gcol in levels.items():
            for stype, scol in strata.items():
                keys = [plabel.rename("period"), g[gcol].rename("geo_code"), g["std_stratum"]]
                keys.append(g[scol].rename("stratum") if scol else pd.Series("all", index=g.index, name="stratum"))
                part = g[sums].groupby(keys, dropna=False).sum().reset_index()
                part["period_type"], part["level"], part["stratum_type"] = ptype, level, stype
                out.append(part)
    return pd.concat(out, ignore_index=True)


KEYS = ["period_type", "period", "level", "geo_code", "stratum_type", "stratum"]


def finish(strata: pd.DataFrame, d: Definition, conf: float = 0.95) -> pd.DataFrame:
    """Crude values with intervals, and direct and indirect age-sex standardisation."""
    cells = strata.groupby(KEYS, dropna=False)[["numerator", "denominator", "numerator_sq", "n_units", "n_events"]].sum()
    cells = cells.reset_index()
    cells["value"], cells["ci_low"], cells["ci_high"] = _crude(cells, d, conf)
    for col in ("value", "ci_low", "ci_high"):
        cells[col] = cells[col] * d.multiplier
    cells[["std_value", "std_ci_low", "std_ci_high", "expected", "smr", "smr_ci_low", "smr_ci_high"]] = np.nan
    if d.standardise and d.family != "mean":
        _standardise(strata, cells, d, conf)
    return cells


def _crude(c: pd.DataFrame, d: Definition, conf: float):
    alpha = 1 - conf
    num, den = c["numerator"].to_numpy(float), c["denominator"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(den > 0, num / den, np.nan)
        if d.family == "proportion":
            # Clopper-Pearson exact binomial interval.
            low = np.where(num > 0, stats.beta.ppf(alpha / 2, num, den - num + 1), 0.0)
            high = np.where(num < den, stats.beta.ppf(1 - alpha / 2, num + 1, den - num), 1.0)
        elif d.family == "rate" and d.numerator_is_count:
            # Exact Poisson interval for the count, divided by the person-time.
            low = np.where(num > 0, stats.chi2.ppf(alpha / 2, 2 * num) / 2, 0.0) / den
            high = stats.chi2.ppf(1 - alpha / 2, 2 * num + 2) / 2 / den
        else:
            # Normal approximation: a sum of per-unit amounts (rate) or a mean of unit values.
            z = stats.norm.ppf(1 - alpha / 2)
            if d.family == "rate":
                se = np.sqrt(c["numerator_sq"].to_numpy(float)) / den
            else:
                n = c["n_units"].to_numpy(float)
                var = (c["numerator_sq"].to_numpy(float) - num**2 / np.maximum(n, 1)) / np.maximum(n - 1, 1)
                se = np.sqrt(np.maximum(var, 0) / np.maximum(n, 1))
            low, high = value - z * se, value + z * se
    value = np.where(den > 0, value, np.nan)
    return value, np.where(den > 0, low, np.nan), np.where(den > 0, high, np.nan)


def _cell_key(df: pd.DataFrame) -> pd.Series:
    key = df[KEYS[0]].astype(str)
    for col in KEYS[1:]:
        key = key + "|" + df[col].astype(str)
    return key


def _standardise(strata: pd.DataFrame, cells: pd.DataFrame, d: Definition, conf: float) -> None:
    """Direct (standard: the whole population's denominators by age and sex over the whole period)
    and indirect (standard rates: the whole population's, same period) for the 'all' stratum."""
    # Strata without population cannot carry a rate: events there (e.g. on the day of death, which
    # person-time leaves out) count in the crude value but not in the standardised one.
    s = strata[(strata["stratum_type"] == "all") & (strata["denominator"] > 0)].copy()
    s["cell"] = _cell_key(s)
    whole = s[(s["level"] == "country") & (s["period_type"] == "year")]
    standard = whole.groupby("std_stratum")["denominator"].sum()
    standard = standard[standard > 0]
    s = s[s["std_stratum"].isin(standard.index)]
    s = s[s.groupby("cell")["denominator"].transform("sum") > 0]
    if s.empty:
        return
    direct = standardise_direct_frame(s, "cell", "std_stratum", "numerator", "denominator", standard, conf)
    ref = s[s["level"] == "country"].groupby(["period_type", "period", "std_stratum"])[["numerator", "denominator"]].sum()
    ref_rate = (ref["numerator"] / ref["denominator"]).rename("ref_rate").reset_index()
    s = s.merge(ref_rate, on=["period_type", "period", "std_stratum"], how="left")
    s["ref_rate"] = s["ref_rate"].fillna(0.0)
    s = s[s.groupby("cell")["ref_rate"].transform(lambda r: (r > 0).any())]
    expected_ok = s.assign(e=s["denominator"] * s["ref_rate"]).groupby("cell")["e"].transform("sum") > 0
    indirect = standardise_indirect_frame(s[expected_ok], "cell", "std_stratum", "numerator", "denominator",
                                          "ref_rate", conf)
    key = _cell_key(cells)
    m = d.multiplier
    cells["std_value"] = key.map(direct["rate"]) * m
    cells["std_ci_low"] = key.map(direct["ci_low"]) * m
    cells["std_ci_high"] = key.map(direct["ci_high"]) * m
    cells["expected"] = key.map(indirect["expected"])
    cells["smr"] = key.map(indirect["smr"])
    cells["smr_ci_low"] = key.map(indirect["ci_low"])
    cells["smr_ci_high"] = key.map(indirect["ci_high"])
