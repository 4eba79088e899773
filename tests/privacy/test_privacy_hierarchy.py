"""Hierarchies and the relations the gate finds in a long table with cells at several levels."""

from __future__ import annotations

import pandas as pd
import pytest

from klynge.privacy import Hierarchy, gate
from klynge.privacy._relations import build_relations


def _relations(table: pd.DataFrame, hierarchies: list[Hierarchy], base: list[str] | None = None) -> set:
    """{(parent key, frozenset of child keys)} for readable assertions."""
    r = build_relations(table, hierarchies, base or [])
    key = [*(h.column for h in hierarchies), *(base or [])]
    labels = [tuple(row) if len(key) > 1 else row[0] for row in table[key].itertuples(index=False, name=None)]
    parents, children = {}, {}
    for rel, row, is_parent in zip(r.rel, r.row, r.is_parent, strict=True):
        if is_parent:
            parents[rel] = labels[row]
        else:
            children.setdefault(rel, set()).add(labels[row])
    return {(parents[rel], frozenset(members)) for rel, members in children.items()}


def test_flat():
    h = Hierarchy.flat("sex")
    assert (h.parent("F"), h.parent("all"), h.ancestors("M")) == ("all", None, ["all"])


def test_from_parent_map_with_several_levels_and_a_grand_total():
    h = Hierarchy.from_parent_map("area", {"101": "C1", "147": "C1", "C1": "R1084"}, total="DK")
    assert h.ancestors("101") == ["C1", "R1084", "DK"]
    assert h.ancestors("R1084") == ["DK"] and h.ancestors("DK") == []


def test_from_levels_of_a_reference_table():
    ref = pd.DataFrame(
        {
            "municipality": ["101", "147", "153"],
            "cluster": ["C1", "C1", "C2"],
            "region": ["R84", "R84", "R84"],
        }
    )
    h = Hierarchy.from_levels("area", ref, ["municipality", "cluster", "region"], total="DK")
    assert h.ancestors("153") == ["C2", "R84", "DK"]
    clash = pd.DataFrame({"municipality": ["101", "101"], "cluster": ["C1", "C2"]})
    with pytest.raises(ValueError, match="two parents"):
        Hierarchy.from_levels("area", clash, ["municipality", "cluster"])


def test_periods():
    h = Hierarchy.periods("period")
    assert [h.parent(p) for p in ["2024-01", "2024-03", "2024-04", "2024-12", "2024-Q3", "2024"]] == [
        "2024-Q1",
        "2024-Q1",
        "2024-Q2",
        "2024-Q4",
        "2024",
        None,
    ]
    assert Hierarchy.periods("period", total="all").ancestors("2023-07") == ["2023-Q3", "2023", "all"]
    with pytest.raises(ValueError, match="not a period label"):
        h.parent("2024-W05")
    with pytest.raises(ValueError, match="not a period label"):
        h.parent("2024-13")


def test_a_cycle_is_refused():
    with pytest.raises(ValueError, match="cycle"):
        Hierarchy.from_parent_map("area", {"a": "b", "b": "a"}).ancestors("a")


def test_each_level_relates_to_the_nearest_level_present():
    table = pd.DataFrame(
        {"period": ["2024-01", "2024-02", "2024-04", "2024-Q2", "2024"], "n": [1, 2, 3, 3, 6]}
    )
    # No 2024-Q1 row: its months belong straight to the year, beside the quarter that is there.
    assert _relations(table, [Hierarchy.periods("period")]) == {
        ("2024-Q2", frozenset({"2024-04"})),
        ("2024", frozenset({"2024-01", "2024-02", "2024-Q2"})),
    }


def test_relations_hold_the_other_dimensions_equal_and_follow_each_context():
    table = pd.DataFrame(
        {
            "area": ["101", "147", "C1", "101", "C1"],
            "sex": ["F", "F", "F", "M", "M"],  # no 147 row for men: a zero the group-by left out
            "n": [1, 2, 3, 4, 4],
        }
    )
    rels = _relations(table, [Hierarchy.flat("area", "C1"), Hierarchy.flat("sex")])
    assert rels == {
        (("C1", "F"), frozenset({("101", "F"), ("147", "F")})),
        (("C1", "M"), frozenset({("101", "M")})),
    }


def test_base_columns_split_independent_tables():
    table = pd.DataFrame(
        {"sex": ["F", "all", "F", "M", "all"], "indicator": ["a", "a", "b", "b", "b"], "n": [5, 5, 2, 3, 5]}
    )
    rels = _relations(table, [Hierarchy.flat("sex")], ["indicator"])
    assert rels == {
        (("all", "a"), frozenset({("F", "a")})),
        (("all", "b"), frozenset({("F", "b"), ("M", "b")})),
    }


def test_a_long_table_with_municipality_cluster_region_and_country_rows():
    geo = {"101": "C1", "147": "C1", "151": "C2", "153": "C2", "C1": "R", "C2": "R"}
    values = {"101": 3, "147": 20, "151": 30, "153": 40}
    rows = [*values.items(), ("C1", 23), ("C2", 70), ("R", 93), ("DK", 93)]
    table = pd.DataFrame(rows, columns=["area", "n"])
    out = gate(table, ["n"], hierarchies=[Hierarchy.from_parent_map("area", geo, total="DK")])
    # R = DK (a single region): hiding either would not help, so the smallest sibling goes.
    assert set(out.loc[out["n_suppressed"], "area"]) == {"101", "147"}
