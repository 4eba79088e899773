"""Staging tables (`klynge.core.stage_table`) behave alike on both engines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ibis
import pytest

from klynge.core import drop_staged, stage_table


def _connect(engine: str, tmp_path: Path) -> Any:
    if engine == "duckdb":
        return ibis.duckdb.connect(str(tmp_path / "staging.duckdb"))
    from klynge.ingest._engine_spark import connect

    return connect(tmp_path / "build", tmp_path / "scratch")


def test_a_staged_table_is_replaced_and_dropped(engine: str, tmp_path: Path) -> None:
    con = _connect(engine, tmp_path)
    assert stage_table(con, "_staged", ibis.memtable({"a": [1, 2]})).count().execute() == 2
    assert stage_table(con, "_staged", ibis.memtable({"a": [1, 2, 3]})).count().execute() == 3
    drop_staged(con, "_staged")
    drop_staged(con, "_staged")  # dropping what is gone is no error
    with pytest.raises(Exception):  # noqa: B017 - each engine has its own "no such table" error
        con.table("_staged").count().execute()
    if engine == "spark":
        assert "_staged" not in con.cached  # the cached rows are freed
        con.disconnect()
