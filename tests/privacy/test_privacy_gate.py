"""The gate's rules one by one: primary suppression, zero and missing, derived values, rounding,
the GatedTable that renderers require, and the tables the gate refuses."""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest

from klynge import privacy
from klynge.privacy import DEFAULT_POLICY, GatedTable, Hierarchy, Policy, assert_gated, gate, gate_table


def test_public_api_is_explicit_and_sorted():
    assert privacy.__all__ == sorted(privacy.__all__)
    public = {n for n, v in vars(privacy).items() if not n.startswith("_") and not inspect.ismodule(v)}
    assert public - {"annotations"} == set(privacy.__all__)
    assert list(inspect.signature(gate_table).parameters) == [
        "table",
        "counts",
        "policy",
        "hierarchies",
        "derived",
        "base",
        "margins",
    ]


def test_counts_from_one_to_four_are_suppressed_zero_is_published_and_missing_stays_missing():
    out = gate(pd.DataFrame({"n": [0, 1, 4, 5, None, 1234]}), ["n"])
    assert out["n"].tolist() == [0, pd.NA, pd.NA, 5, pd.NA, 1234]
    assert out["n_suppressed"].tolist() == [False, True, True, False, False, False]
    assert out["suppressed"].tolist() == [False, True, True, False, False, False]
    assert str(out["n"].dtype) == "Int64" and out.attrs["privacy_policy"] == DEFAULT_POLICY


@pytest.mark.parametrize(
    ("min_cell", "flags"),
    [(1, [False] * 4), (3, [False, True, False, False]), (10, [False, True, True, True])],
)
def test_the_threshold_is_configurable(min_cell, flags):
    out = gate(pd.DataFrame({"n": [0, 2, 5, 9]}), ["n"], policy=Policy(min_cell=min_cell))
    assert out["n_suppressed"].tolist() == flags


def test_derived_values_resting_on_a_suppressed_count_are_suppressed():
    table = pd.DataFrame(
        {
            "area": ["101", "147", "151", "C1"],
            "numerator": [3, 20, 40, 63],
            "denominator": [100, 200, 300, 600],
            "value": [0.03, 0.10, 0.133, 0.105],
            "ci_low": [0.01, 0.06, 0.1, 0.08],
            "standardised_value": [0.02, 0.11, 0.13, 0.1],
            "persons_per_gp": [1.5, 2.0, 2.5, 2.1],  # rests on the denominator only
        }
    )
    out = gate(
        table,
        ["numerator", "denominator"],
        hierarchies=[Hierarchy.flat("area", "C1")],
        derived={
            "value": ["numerator", "denominator"],
            "ci_low": ["numerator", "denominator"],
            "standardised_value": ["numerator"],
            "persons_per_gp": ["denominator"],
        },
    )
    hidden = out["numerator_suppressed"].tolist()
    assert hidden == [True, True, False, False]  # 3 and the smallest sibling, 20
    for col in ("value", "ci_low", "standardised_value"):
        assert out[col].isna().tolist() == hidden and out[f"{col}_suppressed"].tolist() == hidden
    assert out["persons_per_gp"].notna().all() and not out["denominator_suppressed"].any()
    assert out["suppressed"].tolist() == hidden


def test_counts_are_rounded_to_five_when_asked():
    out = gate(pd.DataFrame({"n": [0, 3, 5, 7, 8, 12, 13, 1234]}), ["n"], policy=Policy(round_to=5))
    assert out["n"].tolist() == [0, pd.NA, 5, 5, 10, 10, 15, 1235]
    low = gate(pd.DataFrame({"n": [1, 2, 3]}), ["n"], policy=Policy(min_cell=1, round_to=5))
    assert low["n"].tolist() == [5, 5, 5]  # a non-zero count never becomes 0


def test_suppression_does_not_depend_on_row_order():
    table = pd.DataFrame({"area": ["101", "147", "151", "153", "C1"], "n": [2, 30, 30, 30, 92]})
    first = gate(table, ["n"], hierarchies=[Hierarchy.flat("area", "C1")])
    again = gate(table.iloc[::-1], ["n"], hierarchies=[Hierarchy.flat("area", "C1")])
    assert first.set_index("area")["n_suppressed"].equals(
        again.set_index("area")["n_suppressed"].loc[first["area"]]
    )
    assert first["n_suppressed"].sum() == 2


def test_gate_keeps_other_columns_index_and_does_not_touch_the_input():
    table = pd.DataFrame({"name": ["a", "b"], "n": [2, 9]}, index=[10, 20])
    before = table.copy()
    out = gate(table, ["n"])
    pd.testing.assert_frame_equal(table, before)
    assert out.index.tolist() == [10, 20] and out["name"].tolist() == ["a", "b"]


def test_complementary_suppression_can_be_switched_off():
    table = pd.DataFrame({"sex": ["F", "M", "all"], "n": [3, 40, 43]})
    out = gate(table, ["n"], hierarchies=[Hierarchy.flat("sex")], policy=Policy(complementary=False))
    assert out["n_suppressed"].tolist() == [True, False, False]


def test_a_missing_count_counts_as_unknown_to_the_attacker():
    # 3 + missing = 50: two unknowns, so nothing more needs to go.
    table = pd.DataFrame({"sex": ["F", "M", "all"], "n": [3, None, 50]})
    out = gate(table, ["n"], hierarchies=[Hierarchy.flat("sex")])
    assert out["n_suppressed"].tolist() == [True, False, False] and out["n"].isna().tolist() == [
        True,
        True,
        False,
    ]


def test_gated_table_is_made_only_by_the_gate():
    gated = gate_table(pd.DataFrame({"n": [0, 3, 12]}), ["n"])
    assert assert_gated(gated) is gated and gated.passed_gate and len(gated) == 3
    assert gated.policy == DEFAULT_POLICY and gated.counts == ("n",)
    assert "GatedTable(3 rows" in repr(gated)
    with pytest.raises(TypeError, match="made only by"):
        GatedTable(pd.DataFrame({"n": [3]}), DEFAULT_POLICY, ["n"], {})
    with pytest.raises(TypeError, match="only a GatedTable"):
        assert_gated(pd.DataFrame({"n": [3]}))


def test_changing_the_frame_of_a_gated_table_does_not_change_the_table():
    gated = gate_table(pd.DataFrame({"n": [3, 12]}), ["n"])
    frame = gated.frame
    frame.loc[0, "n"] = 3
    frame["n_suppressed"] = False
    assert gated.frame["n"].isna().tolist() == [True, False] and gated.frame["n_suppressed"].tolist() == [
        True,
        False,
    ]


@pytest.mark.parametrize("column", ["person_id", "CPR", "patient_id"])
def test_person_level_rows_never_leave(column):
    with pytest.raises(ValueError, match="person-level"):
        gate(pd.DataFrame({column: ["a"], "n": [7]}), ["n"])


def test_a_table_is_gated_only_once():
    once = gate(pd.DataFrame({"n": [3, 12]}), ["n"])
    with pytest.raises(ValueError, match="gated before"):
        gate(once, ["n"])
    with pytest.raises(TypeError, match="DataFrame"):
        gate(gate_table(pd.DataFrame({"n": [3]}), ["n"]), ["n"])  # type: ignore[arg-type]


def test_each_row_must_be_one_cell():
    table = pd.DataFrame({"area": ["101", "101", "C1"], "indicator": ["a", "b", "a"], "n": [3, 4, 9]})
    with pytest.raises(ValueError, match="do not identify the rows"):
        gate(table, ["n"], hierarchies=[Hierarchy.flat("area", "C1")])
    gate(table, ["n"], hierarchies=[Hierarchy.flat("area", "C1")], base=["indicator"])


@pytest.mark.parametrize(("values", "message"), [([1.5], "whole numbers"), ([-1], "negative")])
def test_counts_are_whole_numbers_at_least_zero(values, message):
    with pytest.raises(ValueError, match=message):
        gate(pd.DataFrame({"n": values}), ["n"])


def test_declared_columns_must_exist_and_rest_on_counts():
    table = pd.DataFrame({"n": [3], "rate": [0.1]})
    with pytest.raises(KeyError, match="not in the table"):
        gate(table, ["m"])
    with pytest.raises(ValueError, match="rest on count columns"):
        gate(table, ["n"], derived={"rate": ["rate"]})


@pytest.mark.parametrize("kwargs", [{"min_cell": 0}, {"min_cell": 2.5}, {"round_to": 0}, {"round_to": True}])
def test_policy_validates_itself(kwargs):
    with pytest.raises(ValueError):
        Policy(**kwargs)


def test_several_count_columns_are_protected_each_in_its_own_relations():
    table = pd.DataFrame({"sex": ["F", "M", "all"], "events": [3, 40, 43], "persons": [120, 130, 250]})
    out = gate(table, ["events", "persons"], hierarchies=[Hierarchy.flat("sex")])
    assert out["events_suppressed"].tolist() == [True, True, False]
    assert not out["persons_suppressed"].any()
    assert out["suppressed"].tolist() == [True, True, False]


def test_wide_tables_protect_their_total_column_when_declared():
    wide = pd.DataFrame({"area": ["101"], "young": [2], "old": [30], "total": [32]})
    plain = gate(wide, ["young", "old", "total"])
    assert plain[["young_suppressed", "old_suppressed"]].values.tolist() == [[True, False]]
    out = gate(wide, ["young", "old", "total"], margins={"total": ["young", "old"]})
    assert out[["young_suppressed", "old_suppressed", "total_suppressed"]].values.tolist() == [
        [True, True, False]
    ]


def test_gate_is_deterministic():
    rng = np.random.default_rng(0)
    areas = [f"{i:03d}" for i in range(12)]
    table = pd.DataFrame({"area": areas, "n": rng.integers(0, 9, 12)})
    table = pd.concat([table, pd.DataFrame({"area": ["C"], "n": [table["n"].sum()]})], ignore_index=True)
    runs = [gate(table, ["n"], hierarchies=[Hierarchy.flat("area", "C")])["n_suppressed"] for _ in range(3)]
    assert runs[0].equals(runs[1]) and runs[1].equals(runs[2])


def test_the_audit_can_be_left_out_for_the_counting_rule_alone():
    assert Policy().audit and not Policy(audit=False).audit
    table = pd.DataFrame({"sex": ["F", "M", "all"], "n": [3, 40, 43]})
    out = gate(table, ["n"], hierarchies=[Hierarchy.flat("sex")], policy=Policy(audit=False))
    assert out["n_suppressed"].tolist() == [True, True, False]
