"""A national indicator table of about 65,000 rows: the gate's rules hold at scale.

A smoke test, not a timing test: docs/privacy.md gives measured times for larger tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from privacy_support import relations

from klynge.contracts import load_reference
from klynge.privacy import Hierarchy, gate_table


def _national_table(indicators: int = 10, seed: int = 7) -> tuple[pd.DataFrame, list[Hierarchy], dict]:
    """Municipality, cluster, region and country x month, quarter and year x sex, per indicator."""
    ref = load_reference()["municipality"]
    rng = np.random.default_rng(seed)
    months = [f"2024-{m:02d}" for m in range(1, 13)]
    leaf = pd.MultiIndex.from_product(
        [ref["municipality_code"], months, ["F", "M"], [f"ind{i}" for i in range(indicators)]],
        names=["area", "period", "sex", "indicator"],
    ).to_frame(index=False)
    population = (
        leaf["area"].map(ref.set_index("municipality_code")["population_thousands_approx"]).to_numpy()
    )
    rate = np.exp(rng.uniform(np.log(0.002), np.log(0.05), indicators))[leaf["indicator"].str[3:].astype(int)]
    leaf["numerator"] = rng.poisson(population * rate * 8)
    leaf["denominator"] = rng.poisson(population * 40)
    geo = dict(zip(ref["municipality_code"], "C" + ref["cluster_id"].astype(str), strict=True))
    geo |= dict(zip("C" + ref["cluster_id"].astype(str), "R" + ref["region_code"].astype(str), strict=True))
    hierarchies = [
        Hierarchy.from_parent_map("area", geo, total="DK"),
        Hierarchy.periods("period"),
        Hierarchy.flat("sex"),
    ]
    table = leaf
    for h in hierarchies:  # add every aggregate level of each dimension
        level, parts = table, [table]
        while (parent := level[h.column].map(h.parent)).notna().any():
            keep = parent.notna()
            level = (
                level[keep]
                .assign(**{h.column: parent[keep]})
                .groupby(["area", "period", "sex", "indicator"], as_index=False)[["numerator", "denominator"]]
                .sum()
            )
            parts.append(level)
        table = pd.concat(parts, ignore_index=True)
    table["value"] = table["numerator"] / table["denominator"]
    trees = {h.column: {v: h.parent(v) for v in table[h.column].unique()} for h in hierarchies}
    return table, hierarchies, trees


def test_a_national_indicator_table():
    table, hierarchies, trees = _national_table()
    assert len(table) > 60_000
    gated = gate_table(
        table,
        ["numerator", "denominator"],
        hierarchies=hierarchies,
        base=["indicator"],
        derived={"value": ["numerator", "denominator"]},
    )
    out = gated.frame
    for col in ("numerator", "denominator"):
        shown = out[col].dropna()
        assert not ((shown > 0) & (shown < 5)).any()
        assert (out[f"{col}_suppressed"] == out[col].isna()).all()
    assert (out["value"].isna() == (out["numerator_suppressed"] | out["denominator_suppressed"])).all()
    assert 0 < out["numerator_suppressed"].mean() < 0.5
    # No relation has exactly one suppressed cell (checked with the tests' own relation finder).
    hidden = out["numerator_suppressed"].to_numpy()
    for parent, children in relations(table, trees, ["indicator"]):
        assert hidden[[parent, *children]].sum() != 1
