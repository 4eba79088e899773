"""Attacks on the published indicator table (`marts__indicator_long`) of the test warehouse.

The attacker here is written independently of klynge.privacy: it derives the additive
relations of the long table from its columns with plain pandas (F + M = all; the age groups
sum to all; months -> quarter -> year; municipalities -> cluster and -> council; clusters ->
region; regions -> country) and then tries to recover suppressed counts:

* by peeling: any relation with one unknown cell gives that cell, repeated until nothing new;
* by linear programming: the smallest and largest value of a suppressed cell that agree with
  every published cell and every relation, the hidden counts being >= 0 (the audit's model; an
  attacker who also uses that a suppressed count is >= 1 is a known gap, see docs/privacy.md).

A suppressed count that the attacker pins to a value from 1 to 4 is a disclosure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog
from scipy.sparse import csr_array

COUNTS = ["n_events", "n_units"]


@pytest.fixture(scope="module")
def published(sql):
    return sql("select * from marts__indicator_long")


@pytest.fixture(scope="module")
def parents(sql):
    """(level, code) -> list of (parent level, parent code), from the reference tables."""
    m = sql("""select m.municipality_code, m.cluster_id, m.region_code, c.council_id
               from ref__municipality m left join ref__health_council c using (municipality_code)""")
    up: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for r in m.itertuples():
        up[("municipality", str(r.municipality_code))] = [("cluster", str(r.cluster_id)),
                                                          ("council", str(r.council_id))]
        up[("cluster", str(r.cluster_id))] = [("region", str(r.region_code))]
        up[("region", str(r.region_code))] = [("country", "DK")]
    return up


def _period_parent(period_type: str, period: str, present: set[tuple[str, str]]) -> tuple[str, str] | None:
    year = period[:4]
    if period_type == "month":
        quarter = f"{year}-Q{(int(period[5:7]) - 1) // 3 + 1}"
        return ("quarter", quarter) if ("quarter", quarter) in present else ("year", year)
    if period_type == "quarter":
        return "year", year
    return None


def relations(table: pd.DataFrame, parents) -> list[tuple[int, np.ndarray]]:
    """(parent row, child rows) of one indicator's table, by plain pandas."""
    t = table.reset_index(drop=True)
    key = ["period_type", "period", "level", "geo_code", "stratum_type", "stratum"]
    where = {k: i for i, k in enumerate(t[key].astype(str).itertuples(index=False, name=None))}
    periods = set(t[["period_type", "period"]].astype(str).itertuples(index=False, name=None))
    out: dict[tuple, list[int]] = {}
    for i, (pt, p, lv, g, st, s) in enumerate(t[key].astype(str).itertuples(index=False, name=None)):
        ups = []
        if (pp := _period_parent(pt, p, periods)) is not None:
            ups.append(("period", (*pp, lv, g, st, s)))
        for plv, pg in parents.get((lv, g), []):
            ups.append((plv, (pt, p, plv, pg, st, s)))
        if st != "all":
            ups.append((st, (pt, p, lv, g, "all", "all")))
        for dim, parent_key in ups:
            if parent_key in where:
                out.setdefault((dim, where[parent_key]), []).append(i)
    return [(parent, np.array(children)) for (_, parent), children in out.items()]


def _peel(values: np.ndarray, hidden: np.ndarray, rels) -> dict[int, float]:
    """Cells recovered by repeatedly solving relations with a single unknown."""
    known = np.where(hidden, np.nan, values)
    recovered: dict[int, float] = {}
    changed = True
    while changed:
        changed = False
        for parent, children in rels:
            cells = np.r_[parent, children]
            unknown = cells[np.isnan(known[cells])]
            if len(unknown) != 1:
                continue
            u = unknown[0]
            total = known[parent] if u != parent else np.nansum(known[children])
            rest = np.nansum(known[children]) if u != parent else 0.0
            known[u] = total - rest if u != parent else total
            recovered[int(u)] = float(known[u])
            changed = True
    return recovered


def test_the_gate_left_its_marks(published):
    assert published["suppressed"].any() and (~published["suppressed"]).any()
    hidden = published["n_events_suppressed"] | published["n_units_suppressed"]
    # Nothing derived from a suppressed count is shown: not the rate, not the denominator.
    for col in ["value", "ci_low", "ci_high", "numerator", "denominator", "std_value", "smr"]:
        assert published.loc[hidden, col].isna().all(), col
    # No published count is a small one.
    for c in COUNTS:
        shown = published[c].dropna()
        assert not shown.between(1, 4).any(), c


def test_no_suppressed_count_can_be_recovered_by_peeling_relations(published, parents):
    found = []
    for ind, table in published.groupby("indicator_id"):
        t = table.reset_index(drop=True)
        rels = relations(t, parents)
        assert len(rels) > 1000, ind   # the relations are really there
        for c in COUNTS:
            values = t[c].to_numpy(dtype=float, na_value=np.nan)
            recovered = _peel(values, t[f"{c}_suppressed"].to_numpy() | np.isnan(values), rels)
            found += [(ind, c, i, v) for i, v in recovered.items() if 0.5 < v < 4.5]
    assert found == []


def _lp_bounds(table: pd.DataFrame, count: str, rels, targets: np.ndarray) -> np.ndarray:
    values = table[count].to_numpy(dtype=float, na_value=np.nan)
    hidden = np.flatnonzero(np.isnan(values))
    var = np.full(len(values), -1)
    var[hidden] = np.arange(len(hidden))
    rows, cols, data, rhs = [], [], [], []
    for parent, children in rels:
        cells = np.r_[parent, children]
        coef = np.r_[1.0, -np.ones(len(children))]
        inside = var[cells] >= 0
        if not inside.any():
            continue
        rows += [len(rhs)] * int(inside.sum())
        cols += var[cells[inside]].tolist()
        data += coef[inside].tolist()
        rhs.append(-float(np.dot(coef[~inside], values[cells[~inside]])))
    a = csr_array((data, (rows, cols)), shape=(len(rhs), len(hidden)))
    bounds = np.c_[np.zeros(len(hidden)), np.full(len(hidden), np.inf)]
    out = []
    for t in targets:
        objective = np.zeros(len(hidden))
        low_high = []
        for sign in (1.0, -1.0):
            objective[var[t]] = sign
            lp = linprog(objective, A_eq=a, b_eq=rhs, bounds=bounds, method="highs")
            assert lp.status in (0, 3), lp.message
            low_high.append(sign * lp.fun if lp.status == 0 else np.inf)
        out.append(low_high)
    return np.array(out)


@pytest.mark.slow
@pytest.mark.parametrize("indicator", ["readmission_30d", "acute_admissions_65"])
def test_a_linear_programming_attacker_pins_no_small_count(published, parents, indicator):
    # One indicator, one year, one region's geography with the other regions and the country:
    # every relation among these cells is the attacker's.
    t = published[published["indicator_id"] == indicator]
    region = parents[("municipality", "461")][0]
    region = parents[region][0][1]
    keep_geo = {g for g, ups in parents.items() if g[0] == "municipality"
                and parents[ups[0]][0][1] == region}
    keep_geo |= {p for g in keep_geo for p in parents[g]} | {("country", "DK")}
    keep_geo |= {g for g in parents if g[0] == "region"}
    in_geo = [(lv, g) in keep_geo for lv, g in zip(t["level"], t["geo_code"].astype(str), strict=True)]
    t = t[np.array(in_geo) & t["period"].str.startswith("2024")].reset_index(drop=True)
    rels = relations(t, parents)
    rng = np.random.default_rng(5)
    pinned = []
    for c in COUNTS:
        suppressed = np.flatnonzero(t[f"{c}_suppressed"].to_numpy())
        if not len(suppressed):
            continue
        targets = rng.choice(suppressed, size=min(40, len(suppressed)), replace=False)
        bounds = _lp_bounds(t, c, rels, targets)
        pinned += [(c, int(i), lo) for i, (lo, hi) in zip(targets, bounds, strict=True)
                   if hi - lo < 0.5 and 0.5 < lo < 4.5]
        assert np.isfinite(bounds[:, 0]).all()
    assert pinned == []
