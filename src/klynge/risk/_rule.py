"""The PATINA-style home-care rule, counted per municipality and health cluster.

PATINA (Lancet Healthy Longevity 2023; domain reference §6) flagged home-care recipients aged
65+ whose weekly home-care minutes rose against their own recent baseline, for a nurse's
structured assessment. Here the baseline is the granted personal-care minutes ``weeks`` weeks
before the check day and the rise must exceed ``share`` (default 20 % over 8 weeks; the trial's
exact threshold is not published, see §6.3). The rule is checked weekly.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from klynge.privacy import Hierarchy, gate_table
from klynge.risk._evaluate import patina_rule
from klynge.risk._features import features_at, outcomes_at


def rule_counts(con: Any, days: list[dt.date], *, share: float = 0.2, weeks: int = 8):
    """Eligible and flagged citizens, and acute admissions within 30 days, per check day and area.

    Parameters
    ----------
    con
        Ibis connection to a warehouse.
    days
        The check days (e.g. every Monday of a quarter).
    share, weeks
        The rule: minutes now > (1 + share) x minutes ``weeks`` weeks earlier.

    Returns
    -------
    GatedTable
        ``area`` (municipality code, ``C<cluster id>`` or ``DK``) x ``check_day`` (ISO date, or
        ``all`` summed over the days): ``eligible``, ``flagged``, ``admitted`` (eligible with an
        acute admission within 30 days), ``flagged_admitted``; ``sensitivity`` and ``ppv``.
        Summed over several days a citizen counts once per day.
    """
    f = features_at(con, days, weeks=weeks)
    eligible, flagged = patina_rule(f, share)
    f = f.loc[eligible].assign(flagged=flagged[eligible].astype(int))
    o = outcomes_at(con, days)
    f = f.merge(o[["person_id", "index_date", "acute_30d"]], on=["person_id", "index_date"], how="left")
    f["admitted"] = f["acute_30d"].fillna(0).astype(int)
    f["flagged_admitted"] = f["flagged"] * f["admitted"]
    ref = con.table("ref__municipality").select("municipality_code", "cluster_id").to_pyarrow().to_pandas()
    f = f.merge(ref, on="municipality_code", how="left")
    f["cluster"] = "C" + f["cluster_id"].astype(str)
    f["country"] = "DK"
    f["day"] = f["index_date"].astype(str)
    f["all_days"] = "all"
    parts = []
    for area in ("municipality_code", "cluster", "country"):
        for day in ("day", "all_days"):
            t = f.groupby([area, day]).agg(eligible=("person_id", "size"), flagged=("flagged", "sum"),
                                           admitted=("admitted", "sum"),
                                           flagged_admitted=("flagged_admitted", "sum")).reset_index()
            parts.append(t.rename(columns={area: "area", day: "check_day"}))
    t = pd.concat(parts, ignore_index=True)
    t["sensitivity"] = t["flagged_admitted"] / t["admitted"].where(t["admitted"] > 0)
    t["ppv"] = t["flagged_admitted"] / t["flagged"].where(t["flagged"] > 0)
    parents = {m: f"C{c}" for m, c in ref.itertuples(index=False)}
    parents.update({f"C{c}": "DK" for c in ref["cluster_id"].unique()})
    hierarchy = Hierarchy.from_parent_map("area", parents, total="DK")
    return gate_table(t, ["eligible", "flagged", "admitted", "flagged_admitted"],
                      hierarchies=[hierarchy, Hierarchy.flat("check_day")],
                      derived={"sensitivity": ["admitted", "flagged_admitted"], "ppv": ["flagged", "flagged_admitted"]})
