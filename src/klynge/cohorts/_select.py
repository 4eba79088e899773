"""Who is in a target group on its index date; gated counts and descriptions; the person list.

Members are selected from the features at the index date (`klynge.risk.features_at`: only data
before that date), the segment (`klynge.risk.assign_segments`) and, when the definition has a
risk criterion, the saved risk model of the current build (``klynge risk train``).

Counts and descriptions leave through the privacy gate. The person list (pseudonymous ids) is
written only for a principal that `klynge.access.authorize` allows ``cohort.export``, and each
export is appended to the warehouse's audit log with the ids it contained.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from klynge.cohorts._definition import TargetGroup
from klynge.privacy import GatedTable, Hierarchy, gate_table
from klynge.risk._asof import AsOf
from klynge.risk._evaluate import age_band
from klynge.risk._features import features_at
from klynge.risk._model import predict
from klynge.risk._run import score_date_of
from klynge.risk._segments import assign_segments
from klynge.risk._store import load_models, risk_dir
from klynge.warehouse import open_warehouse, read_manifest

DESCRIBE_DIMENSIONS = ("municipality_code", "sex", "age_band", "segment")


def index_date(tg: TargetGroup, con: Any) -> dt.date:
    """The group's index date: as given, or the day after the data end for ``latest``."""
    return score_date_of(con) if tg.index_date == "latest" else tg.index_date


def _services(con: Any, day: dt.date) -> pd.DataFrame:
    """person_id x service group: services active on the day before ``day`` (data before it)."""
    s = AsOf(con, day).table("input__municipal_service")
    s = s.filter(s.end_date.isnull())
    return s.select("person_id", "service_group").distinct().to_pyarrow().to_pandas()


def population(con: Any, tg: TargetGroup, warehouse: Path | None = None) -> pd.DataFrame:
    """Everyone alive and resident on the index date with the columns the criteria use, and
    ``member`` (bool): whether they meet every criterion."""
    day = index_date(tg, con)
    f = features_at(con, day)
    f["segment"] = assign_segments(f)
    f["age_band"] = age_band(f["age"])
    ref = con.table("ref__municipality").select("municipality_code", "cluster_id", "region_code")
    f = f.merge(ref.to_pyarrow().to_pandas(), on="municipality_code", how="left")
    keep = np.ones(len(f), dtype=bool)
    if tg.age:
        if tg.age.min is not None:
            keep &= f["age"].to_numpy() >= tg.age.min
        if tg.age.max is not None:
            keep &= f["age"].to_numpy() <= tg.age.max
    if tg.sex:
        keep &= (f["sex"] == tg.sex).to_numpy()
    if tg.conditions:
        c = tg.conditions
        has = {n: f[f"has_{n}"].to_numpy() > 0 for n in {*c.any, *c.all, *c.none}}
        if c.any:
            keep &= np.logical_or.reduce([has[n] for n in c.any])
        for n in c.all:
            keep &= has[n]
        for n in c.none:
            keep &= ~has[n]
        if c.min_count is not None:
            keep &= f["n_conditions"].to_numpy() >= c.min_count
    if tg.services:
        s = _services(con, day)
        if tg.services.any:
            ids = set(s.loc[s["service_group"].isin(tg.services.any), "person_id"])
            keep &= f["person_id"].isin(ids).to_numpy()
        if tg.services.none:
            ids = set(s.loc[s["service_group"].isin(tg.services.none), "person_id"])
            keep &= ~f["person_id"].isin(ids).to_numpy()
    if tg.segment:
        keep &= f["segment"].isin(tg.segment.in_).to_numpy()
    if tg.geography:
        g = tg.geography
        geo = np.zeros(len(f), dtype=bool) if (g.municipalities or g.clusters or g.regions) else np.ones(len(f), bool)
        geo |= f["municipality_code"].isin(g.municipalities).to_numpy()
        geo |= f["cluster_id"].astype(str).isin(g.clusters).to_numpy()
        geo |= f["region_code"].astype(str).isin(g.regions).to_numpy()
        keep &= geo
    if tg.activity:
        a = tg.activity
        lo = day - dt.timedelta(days=a.within_days)
        s = AsOf(con, day).table("core__stay")
        s = s.filter(s.is_admission, s.acute, s.admission_date >= lo)
        n = s.group_by("person_id").aggregate(n=s.count()).to_pyarrow().to_pandas()
        ids = set(n.loc[n["n"] >= a.min_acute_admissions, "person_id"])
        keep &= f["person_id"].isin(ids).to_numpy()
    if tg.risk:
        if warehouse is None:
            raise ValueError("a target group with a risk criterion needs the warehouse folder (for the saved models)")
        models = load_models(warehouse)
        outcome, algorithm = tg.risk.model.split("/")
        if (outcome, algorithm) not in models:
            raise FileNotFoundError(f"model {tg.risk.model} is not in {risk_dir(warehouse)}; run `klynge risk train`")
        import json

        settings = json.loads((risk_dir(warehouse) / "settings.json").read_text(encoding="utf-8"))["settings"]
        f["risk"] = predict(models[(outcome, algorithm)], f, tuple(settings["features"]))
        # Percentile among everyone alive and resident on the index date.
        f["risk_percentile"] = f["risk"].rank(pct=True, method="max") * 100
        if tg.risk.min_percentile is not None:
            keep &= f["risk_percentile"].to_numpy() >= tg.risk.min_percentile
        if tg.risk.min_risk is not None:
            keep &= f["risk"].to_numpy() >= tg.risk.min_risk
    f["member"] = keep
    f["index_date"] = day
    return f


def count(con: Any, tg: TargetGroup, warehouse: Path | None = None) -> GatedTable:
    """Members and population by municipality (with the total ``all``), gated.

    Columns ``municipality_code``, ``members``, ``population``, ``share`` (members / population).
    """
    p = population(con, tg, warehouse)
    return _by(p, "municipality_code")


def _by(p: pd.DataFrame, column: str) -> GatedTable:
    t = p.groupby(column, observed=True).agg(members=("member", "sum"), population=("member", "size")).reset_index()
    total = pd.DataFrame({column: ["all"], "members": [int(p["member"].sum())], "population": [len(p)]})
    t = pd.concat([t.astype({column: str}), total], ignore_index=True)
    t["members"] = t["members"].astype("int64")
    t["share"] = t["members"] / t["population"]
    return gate_table(t, ["members", "population"], hierarchies=[Hierarchy.flat(column)],
                      derived={"share": ["members", "population"]})


def describe(con: Any, tg: TargetGroup, warehouse: Path | None = None) -> dict[str, Any]:
    """The members by municipality, sex, age band and segment (one gated long table), the
    conditions they live with (gated, each condition alone), and means of key features.

    Returns a dict: ``index_date``, ``by`` (GatedTable: dimension, group, members, population,
    share), ``conditions`` (GatedTable: condition, members), ``means`` (GatedTable: measure,
    members, mean; a mean rests on the member count).
    """
    p = population(con, tg, warehouse)
    m = p[p["member"]]
    parts = []
    for dim in DESCRIBE_DIMENSIONS:
        t = p.groupby(dim, observed=True).agg(members=("member", "sum"), population=("member", "size")).reset_index()
        t = t.rename(columns={dim: "group"}).astype({"group": str})
        t = pd.concat([t, pd.DataFrame({"group": ["all"], "members": [len(m)], "population": [len(p)]})])
        parts.append(t.assign(dimension=dim))
    by = pd.concat(parts, ignore_index=True)[["dimension", "group", "members", "population"]]
    by["members"] = by["members"].astype("int64")
    by["share"] = by["members"] / by["population"]
    gated_by = gate_table(by, ["members", "population"], hierarchies=[Hierarchy.flat("group")], base=["dimension"],
                          derived={"share": ["members", "population"]})
    from klynge.risk._features import condition_names

    cond = pd.DataFrame({"condition": condition_names(),
                         "members": [int((m[f"has_{c}"] > 0).sum()) for c in condition_names()]})
    gated_cond = gate_table(cond, ["members"], base=["condition"])
    measures = ["age", "n_conditions", "acute_admissions_12m", "bed_days_12m", "gp_contacts_12m",
                "home_care_minutes", "n_medicines_12m", *(["risk"] if "risk" in m else [])]
    means = pd.DataFrame({"measure": measures, "members": len(m),
                          "mean": [float(m[c].mean()) if len(m) else float("nan") for c in measures]})
    gated_means = gate_table(means, ["members"], base=["measure"], derived={"mean": ["members"]})
    return {"index_date": p["index_date"].iloc[0] if len(p) else None, "by": gated_by,
            "conditions": gated_cond, "means": gated_means}


def export(warehouse: Path, tg: TargetGroup, principal: Any, *, purpose: str, out: Path) -> dict[str, Any]:
    """Write the members' pseudonymous ids to ``out`` (CSV) for an authorised principal; log it.

    The principal must be allowed ``cohort.export`` (`klynge.access.authorize`: pseudonymised
    analysts and data stewards); otherwise `klynge.access.AccessDenied` is raised, nothing is
    written, and the refusal is logged. The list holds ``person_id`` (pseudonym), municipality,
    age band, segment and, with a risk criterion, the risk; never a CPR number or a name.

    Returns the audit entry.
    """
    from klynge.access import AccessDenied, audit_log, authorize

    if not purpose.strip():
        raise ValueError("an export needs a purpose (why the list is needed)")
    log = audit_log(warehouse)
    what = f"target group {tg.id} v{tg.version}"
    try:
        authorize(principal, "cohort.export", target_group=tg.id)
    except AccessDenied as exc:
        log.append(principal, "cohort.export", purpose=purpose, what=f"{what}: refused ({exc})", outcome="denied")
        raise
    con = open_warehouse(warehouse)
    p = population(con, tg, warehouse)
    m = p[p["member"]]
    cols = ["person_id", "index_date", "municipality_code", "age_band", "segment", *(["risk"] if "risk" in m else [])]
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    m[cols].sort_values("person_id").to_csv(out, index=False)
    build = read_manifest(warehouse)["run_id"]
    return log.append(principal, "cohort.export", purpose=purpose, subjects=m["person_id"].tolist(),
                      what=f"{what}: {len(m)} persons -> {out.name}", build_run_id=build, outcome="allowed")

