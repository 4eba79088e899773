"""Reading the current build: `current_build`, `read_manifest` and `open_warehouse`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from ingest_support import Built, minimal_rows

from klynge.warehouse import current_build, open_warehouse, read_manifest


def test_an_empty_warehouse_has_no_current_build(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="holds no finished build"):
        current_build(tmp_path)
    with pytest.raises(FileNotFoundError, match="run `klynge build"):
        open_warehouse(tmp_path)


def test_open_warehouse_is_read_only_in_danish_time(build: Callable[..., Built]) -> None:
    built = build(minimal_rows())
    assert read_manifest(built.warehouse)["run_id"] == built.result.run_id
    con = open_warehouse(built.warehouse)
    try:
        assert con.raw_sql("SELECT current_setting('TimeZone')").fetchall() == [("Europe/Copenhagen",)]
        contacts = con.table("input__hospital_contact")
        days = contacts.select("contact_id", day=contacts.start_time.date()).to_pyarrow().to_pylist()
        assert {d["contact_id"]: d["day"].isoformat() for d in days} == {
            "C1": "2024-03-01",
            "C2": "2024-05-10",
        }
        with pytest.raises(duckdb.InvalidInputException, match="read-only"):
            con.raw_sql("CREATE TABLE scratch (x INTEGER)")
    finally:
        con.disconnect()


def test_an_open_connection_keeps_its_build_when_a_new_one_is_published(build: Callable[..., Built]) -> None:
    first = build(minimal_rows())
    con = open_warehouse(first.warehouse)
    try:
        more = minimal_rows()
        more["person"].append({"person_id": "P4", "birth_date": "2001-01-01", "sex": "M", "death_date": ""})
        second = build(more)
        assert current_build(first.warehouse) == second.result.path
        assert con.table("input__person").count().execute() == 3
    finally:
        con.disconnect()
    reopened = open_warehouse(first.warehouse)
    try:
        assert reopened.table("input__person").count().execute() == 4
    finally:
        reopened.disconnect()
