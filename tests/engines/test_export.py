"""A Spark build's tables reach its DuckDB file, also when part of them is loaded in the background."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import ibis
import pytest

pytestmark = pytest.mark.spark


@pytest.fixture
def build(spark_session: Any, tmp_path: Path) -> Any:
    from klynge.ingest._engine_spark import connect

    con = connect(tmp_path / "build", tmp_path / "scratch")
    yield con
    con.disconnect()


def _tables(database: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(database), read_only=True) as con:
        names = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        return {n: sorted(con.execute(f'SELECT * FROM "{n}"').fetchall()) for n in names}


def test_tables_changed_after_the_background_load_are_loaded_as_they_end(build: Any, tmp_path: Path) -> None:
    database = tmp_path / "klynge.duckdb"
    build.create_table("kept", ibis.memtable({"a": [1, 2, 3]}))
    build.create_table("rewritten", ibis.memtable({"a": [1]}))
    build.create_table("dropped", ibis.memtable({"a": [1]}))
    build.export_in_background(database)
    build.create_table("rewritten", ibis.memtable({"a": [7, 8]}), overwrite=True)
    build.drop_table("dropped")
    build.create_table("later", ibis.memtable({"b": ["x"]}))
    build.create_table("_staging", ibis.memtable({"a": [0]}), temp=True)  # never stored, never loaded

    counts = build.export(database)

    assert counts == {"kept": 3, "rewritten": 2, "later": 1}
    assert _tables(database) == {"kept": [(1,), (2,), (3,)], "rewritten": [(7,), (8,)], "later": [("x",)]}


def test_a_failed_build_stops_the_background_load(build: Any, tmp_path: Path) -> None:
    for index in range(5):
        build.create_table(f"t{index}", ibis.memtable({"a": list(range(1000))}))
    build.export_in_background(tmp_path / "klynge.duckdb")
    exporter = build.exporter
    build.disconnect()  # what the build does when a later step fails
    assert build.exporter is None
    assert not exporter.is_alive()


def test_an_error_in_the_background_load_reaches_the_build(build: Any, tmp_path: Path) -> None:
    build.create_table("t", ibis.memtable({"a": [1]}))
    for part in build.stored["t"].glob("*.parquet"):
        part.write_bytes(b"not parquet")
    build.export_in_background(tmp_path / "klynge.duckdb")
    with pytest.raises(duckdb.Error):
        build.export(tmp_path / "klynge.duckdb")
