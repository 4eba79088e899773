"""Segments: every citizen in exactly one segment by transparent, ordered rules.

The rules are applied in order and the first that holds wins (features at the reference date,
data before it only; see docs/risk.md):

1. ``end_of_life``: aged 65+ with a functional state of severity B5 (total) assessed in the
   last 12 months, or aged 75+ with 2+ acute admissions in the last 90 days and 2+ chronic
   conditions.
2. ``frail_municipal_care``: in a nursing home, or receiving home help or home nursing.
3. ``complex_multimorbid``: 3+ chronic conditions, or 2 with 2+ acute admissions in 12 months.
4. ``chronic_stable``: at least one chronic condition.
5. ``healthy``: everyone else.

Cost (unit prices of `klynge.marts`) is counted over the 12 months before and, where the data
reach, after the reference date; trajectories are the segment 12 months later (or ``died`` /
``moved_away``), deaths and acute admissions in those 12 months.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis
import numpy as np
import pandas as pd

from klynge.marts._cost import gp_costs, hospital_costs, medicine_costs, municipal_costs
from klynge.marts._periods import periods_table, study_period
from klynge.marts._prices import load_unit_prices
from klynge.privacy import Hierarchy, gate_table
from klynge.risk._features import features_at

SEGMENTS = ("end_of_life", "frail_municipal_care", "complex_multimorbid", "chronic_stable", "healthy")
SEGMENT_TITLES = {
    "end_of_life": {"da": "Sidste levetid", "en": "End of life"},
    "frail_municipal_care": {"da": "Skrøbelige i kommunal pleje", "en": "Frail in municipal care"},
    "complex_multimorbid": {"da": "Kompleks multisygdom", "en": "Complex multimorbidity"},
    "chronic_stable": {"da": "Kronisk sygdom, stabil", "en": "Chronic, stable"},
    "healthy": {"da": "Raske", "en": "Healthy"},
}
LEAVERS = ("died", "moved_away")


def assign_segments(f: pd.DataFrame) -> pd.Series:
    """The segment of each feature row (columns of `klynge.risk.features_at`), by the rules above."""
    rules = [
        ((f["age"] >= 65) & (f["max_severity_12m"] >= 5))
        | ((f["age"] >= 75) & (f["acute_admissions_90d"] >= 2) & (f["n_conditions"] >= 2)),
        (f["nursing_home"] > 0) | (f["home_care_minutes"] > 0) | (f["home_nursing"] > 0),
        (f["n_conditions"] >= 3) | ((f["n_conditions"] >= 2) & (f["acute_admissions_12m"] >= 2)),
        f["n_conditions"] >= 1,
    ]
    return pd.Series(np.select(rules, SEGMENTS[:-1], default=SEGMENTS[-1]), index=f.index, name="segment")


def segments_at(con: Any, day: dt.date) -> pd.DataFrame:
    """``person_id``, ``municipality_code``, ``age``, ``segment`` of everyone alive and resident on ``day``."""
    f = features_at(con, day)
    return f[["person_id", "municipality_code", "age"]].assign(segment=assign_segments(f), reference_date=day)


def person_costs(con: Any, lo: dt.date, hi: dt.date, prices: Any = None) -> pd.DataFrame:
    """Cost per person over the days ``[lo, hi)`` (all sectors, `klynge.marts` unit prices)."""
    unit = load_unit_prices(prices)
    periods = periods_table((lo, hi - dt.timedelta(days=1)), "year")
    parts = (hospital_costs(con, unit, "year", periods), municipal_costs(con, unit, periods),
             gp_costs(con, unit, "year", periods), medicine_costs(con, unit, "year", periods))
    u = ibis.union(*(p.select("person_id", "cost") for p in parts), distinct=False)
    return u.group_by("person_id").aggregate(cost=u.cost.sum()).to_pyarrow().to_pandas()


def default_reference_date(con: Any) -> dt.date:
    """The last 1 January with 12 months of data after it (else the last quarter start)."""
    start, end = study_period(con)
    year = end.year if dt.date(end.year, 12, 31) <= end else end.year - 1
    day = dt.date(year, 1, 1)
    return max(start, day)


def segment_report(con: Any, day: dt.date | None = None, prices: Any = None) -> dict[str, Any]:
    """Sizes, cost and trajectories per segment at ``day``; every table gated.

    Returns
    -------
    dict
        ``reference_date``; ``sizes`` (a `GatedTable`: segment x municipality with ``all``
        rows: persons, cost before and after, deaths, acute admissions, persons admitted in
        the next 12 months); ``transitions`` (a `GatedTable`: segment now x segment 12 months
        later, incl. ``died`` and ``moved_away``); ``follow_up`` (whether 12 months after
        ``day`` lie within the data).
    """
    day = day or default_reference_date(con)
    start, end = study_period(con)
    later = day + dt.timedelta(days=365)
    follow = later <= end + dt.timedelta(days=1)
    seg = segments_at(con, day)
    before = person_costs(con, max(start, day - dt.timedelta(days=365)), day, prices).rename(columns={"cost": "cost_before"})
    seg = seg.merge(before, on="person_id", how="left")
    if follow:
        after = person_costs(con, day, later, prices).rename(columns={"cost": "cost_after"})
        seg = seg.merge(after, on="person_id", how="left")
        person = con.table("input__person")
        dead = person.filter(person.death_date >= day, person.death_date < later).select("person_id").to_pyarrow().to_pandas()
        s = con.table("core__stay")
        adm = s.filter(s.is_admission, s.acute, s.admission_date >= day, s.admission_date < later)
        adm = adm.group_by("person_id").aggregate(acute_admissions=adm.count()).to_pyarrow().to_pandas()
        seg = seg.merge(adm, on="person_id", how="left")
        seg["died"] = seg["person_id"].isin(dead["person_id"]).astype(int)
        nxt = segments_at(con, later)[["person_id", "segment"]].rename(columns={"segment": "segment_later"})
        seg = seg.merge(nxt, on="person_id", how="left")
        seg["segment_later"] = np.where(seg["segment_later"].notna(), seg["segment_later"],
                                        np.where(seg["died"] == 1, "died", "moved_away"))
    else:
        seg = seg.assign(cost_after=np.nan, acute_admissions=np.nan, died=0, segment_later="unknown")
    seg = seg.fillna({"cost_before": 0.0, "cost_after": 0.0 if follow else np.nan, "acute_admissions": 0})
    seg["admitted"] = (seg["acute_admissions"] > 0).astype(int)
    g = seg.assign(_sall="all", _mall="all", _lall="all")
    rows = []
    for mun_col in ("municipality_code", "_mall"):
        for seg_col in ("segment", "_sall"):
            t = g.groupby([seg_col, mun_col]).agg(
                persons=("person_id", "size"), cost_before=("cost_before", "sum"), cost_after=("cost_after", "sum"),
                deaths=("died", "sum"), acute_admissions=("acute_admissions", "sum"),
                persons_admitted=("admitted", "sum")).reset_index()
            rows.append(t.rename(columns={seg_col: "segment", mun_col: "municipality_code"}))
    sizes = pd.concat(rows, ignore_index=True)
    for c in ("deaths", "acute_admissions", "persons_admitted"):
        sizes[c] = sizes[c].astype("int64")
    sizes["cost_per_person_before"] = sizes["cost_before"] / sizes["persons"]
    sizes["cost_per_person_after"] = sizes["cost_after"] / sizes["persons"]
    sizes["mortality_12m"] = sizes["deaths"] / sizes["persons"]
    derived = {"cost_before": ["persons"], "cost_after": ["persons"], "cost_per_person_before": ["persons"],
               "cost_per_person_after": ["persons"], "mortality_12m": ["persons", "deaths"]}
    gated_sizes = gate_table(sizes, ["persons", "deaths", "acute_admissions", "persons_admitted"],
                             hierarchies=[Hierarchy.flat("segment"), Hierarchy.flat("municipality_code")],
                             derived=derived)
    trans = []
    for a in ("segment", "_sall"):
        for b in ("segment_later", "_lall"):
            t = g.groupby([a, b]).size().rename("persons").reset_index()
            trans.append(t.rename(columns={a: "segment", b: "segment_later"}))
    transitions = pd.concat(trans, ignore_index=True)
    gated_trans = gate_table(transitions, ["persons"],
                             hierarchies=[Hierarchy.flat("segment"), Hierarchy.flat("segment_later")])
    return {"reference_date": day, "follow_up": follow, "sizes": gated_sizes, "transitions": gated_trans,
            "persons": seg}


def write_segments(warehouse: Any, report: dict[str, Any]) -> None:
    """Write ``risk__segment`` (person_id, reference_date, segment: pseudonymous ids only) and
    ``risk__segment_summary`` (the gated sizes table) into the build's risk folder."""
    from pathlib import Path

    from klynge.risk._store import risk_dir, save_parquet

    folder = risk_dir(Path(warehouse))
    persons = report["persons"][["person_id", "reference_date", "segment"]].copy()
    persons["segment_later"] = report["persons"]["segment_later"]
    save_parquet(folder / "risk__segment.parquet", persons)
    summary = report["sizes"].frame.assign(reference_date=report["reference_date"])
    save_parquet(folder / "risk__segment_summary.parquet", summary)
