"""A person-sorted copy of the tables the citizen record reads, for fast one-citizen lookups.

The warehouse's event tables are ordered as they were loaded, so finding one citizen's rows scans
every table (about 1.5 s per record at a million persons). This index copies the tables the record
and the care relations read into ``<state>/citizen-index/<run_id>.duckdb``, sorted by person_id,
so that DuckDB's per-row-group min/max statistics skip almost everything. Diagnoses and procedures
get the person_id of their contact. The index belongs to one build (its run id); the service uses it
only while that build is current, and reads the warehouse otherwise.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from klynge.warehouse import current_build
from klynge.warehouse._layout import DATABASE
from klynge.warehouse._open import DANISH_TIME_ZONE

BY_PERSON = ("input__person", "input__residence", "input__gp_listing", "input__hospital_contact",
             "input__municipal_service", "input__functional_assessment", "input__gp_contact", "input__lab_result",
             "input__prescription", "input__vaccination", "input__message", "input__appointment", "core__stay")
BY_CONTACT = ("input__diagnosis", "input__procedure")
WHOLE = ("input__hospital_unit", "ref__municipality")


def index_path(warehouse_dir: Path | str, state_dir: Path | str) -> Path:
    """Where the index of the warehouse's current build lives."""
    return Path(state_dir) / "citizen-index" / f"{current_build(Path(warehouse_dir)).name}.duckdb"


def build_person_index(warehouse_dir: Path | str, state_dir: Path | str) -> Path:
    """Write the person-sorted index of the current build (atomically) and remove older ones.

    Examples
    --------
    >>> build_person_index("wh", "wh")  # doctest: +SKIP
    PosixPath('wh/citizen-index/20261123T172251Z-18b386.duckdb')
    """
    target = index_path(warehouse_dir, state_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    for leftover in (partial, partial.with_name(partial.name + ".wal")):
        leftover.unlink(missing_ok=True)
    source = current_build(Path(warehouse_dir)) / DATABASE
    con = duckdb.connect(str(partial))
    try:
        con.execute(f"SET TimeZone = '{DANISH_TIME_ZONE}'")
        con.execute("SET preserve_insertion_order = true")
        con.execute(f"ATTACH '{source}' AS wh (READ_ONLY)")
        for table in BY_PERSON:
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM wh.{table} ORDER BY person_id")
        for table in BY_CONTACT:
            con.execute(f"CREATE TABLE {table} AS SELECT t.*, c.person_id FROM wh.{table} t "
                        f"JOIN wh.input__hospital_contact c USING (contact_id) ORDER BY c.person_id")
        for table in WHOLE:
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM wh.{table}")
        con.execute("DETACH wh")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.replace(partial, target)
    for old in target.parent.glob("*.duckdb"):
        if old != target:
            old.unlink(missing_ok=True)
    return target


def open_person_index(warehouse_dir: Path | str, state_dir: Path | str):
    """A read-only DuckDB connection to the current build's index, or None when there is none."""
    path = index_path(warehouse_dir, state_dir)
    if not path.exists():
        return None
    con = duckdb.connect(str(path), read_only=True)
    con.execute(f"SET TimeZone = '{DANISH_TIME_ZONE}'")
    return con
