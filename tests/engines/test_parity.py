"""The same build on every engine gives the same warehouse: every table, row and value.

The oracle is the DuckDB build of the same small synthetic population. Tables are compared
as sets of rows; floats to a relative 1e-9 (engines sum in different orders); the columns
naming the run (``run_id``, ``run_at``, ``engine``) are left out.
"""

from __future__ import annotations

from collections.abc import Callable

from engines_support import column_types, differences, warehouse_tables

from klynge.ingest import BuildResult
from klynge.warehouse._layout import DATABASE

LAYERS = ("input__", "ref__", "core__", "marts__")


def test_every_table_is_identical_to_duckdb(engine: str, synthetic_builds: Callable[[str], BuildResult]) -> None:
    oracle = warehouse_tables(synthetic_builds("duckdb").path / DATABASE)
    built = warehouse_tables(synthetic_builds(engine).path / DATABASE)
    assert sorted(built) == sorted(oracle)
    assert all(any(name.startswith(layer) for name in built) for layer in LAYERS)
    assert len(built["marts__indicator_long"]) > 1_000
    problems = {name: found for name in oracle if (found := differences(oracle[name], built[name]))}
    assert not problems


def test_column_types_are_those_of_duckdb(engine: str, synthetic_builds: Callable[[str], BuildResult]) -> None:
    oracle = column_types(synthetic_builds("duckdb").path / DATABASE)
    assert column_types(synthetic_builds(engine).path / DATABASE) == oracle


def test_manifest_counts_agree(engine: str, synthetic_builds: Callable[[str], BuildResult]) -> None:
    oracle, built = synthetic_builds("duckdb").manifest, synthetic_builds(engine).manifest
    assert built["engine"] == engine
    assert built["tables"] == oracle["tables"]
    assert built["core"] == oracle["core"] and built["period"] == oracle["period"]
    assert built["marts"]["overview"] == oracle["marts"]["overview"]
    assert built["marts"]["indicators"]["rows"] == oracle["marts"]["indicators"]["rows"]
    assert built["marts"]["indicators"]["left_out"] == oracle["marts"]["indicators"]["left_out"]
