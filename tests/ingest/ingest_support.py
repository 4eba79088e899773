"""Helpers for the build tests: a minimal hand-made source, a stand-in core layer, and a
one-call build with ways to look at what it wrote.

The minimal source has three persons (P3 died on 2024-06-30), their residences, and one table
of each kind: a hospital contact with a diagnosis, a GP contact, a municipal service and a
prescription.
"""

from __future__ import annotations

import copy
import csv
import io
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from klynge.ingest import BuildResult, build_warehouse
from klynge.warehouse import open_warehouse

Rows = dict[str, list[dict[str, str]]]

_MINIMAL: Rows = {
    "person": [
        {"person_id": "P1", "birth_date": "1950-01-01", "sex": "F", "death_date": ""},
        {"person_id": "P2", "birth_date": "1980-06-15", "sex": "M", "death_date": ""},
        {"person_id": "P3", "birth_date": "1940-03-03", "sex": "F", "death_date": "2024-06-30"},
    ],
    "residence": [
        {"person_id": "P1", "municipality_code": "101", "valid_from": "1950-01-01", "valid_to": ""},
        {"person_id": "P2", "municipality_code": "147", "valid_from": "1980-06-15", "valid_to": ""},
        {"person_id": "P3", "municipality_code": "851", "valid_from": "1940-03-03", "valid_to": ""},
    ],
    "hospital_contact": [
        {
            "contact_id": "C1",
            "person_id": "P1",
            "start_time": "2024-03-01T10:00:00+01:00",
            "end_time": "2024-03-03 12:00:00",
            "contact_type": "ALCA00",
            "priority": "ATA1",
            "contact_reason": "ALCC01",
            "hospital_id": "H1",
            "unit_id": "U1",
            "specialty": "internal_medicine",
            "branch": "somatic",
        },
        {
            "contact_id": "C2",
            "person_id": "P3",
            "start_time": "2024-05-10 08:00:00",
            "end_time": "2024-05-12 09:30:00",
            "contact_type": "ALCA00",
            "priority": "ATA3",
            "contact_reason": "",
            "hospital_id": "H1",
            "unit_id": "U2",
            "specialty": "surgery",
            "branch": "somatic",
        },
    ],
    "diagnosis": [
        {"contact_id": "C1", "diagnosis_code": "DI500", "diagnosis_type": "A", "refuted": "false"},
        {"contact_id": "C2", "diagnosis_code": "DS720", "diagnosis_type": "A", "refuted": ""},
    ],
    "gp_contact": [
        {
            "contact_id": "G1",
            "person_id": "P1",
            "contact_date": "2024-01-15",
            "kind": "consultation",
            "clinic_id": "K1",
            "provider_id": "",
        },
        {
            "contact_id": "G2",
            "person_id": "P2",
            "contact_date": "2024-02-20",
            "kind": "phone",
            "clinic_id": "K1",
            "provider_id": "D7",
        },
    ],
    "municipal_service": [
        {
            "service_id": "S1",
            "person_id": "P3",
            "municipality_code": "851",
            "service_code": "H1.1",
            "service_group": "personal_care",
            "start_date": "2024-02-01",
            "end_date": "2024-06-30",
            "minutes_per_week": "90.5",
        },
    ],
    "prescription": [
        {"person_id": "P2", "dispensing_date": "2024-04-02", "atc": "C07AB02", "ddd": "30"},
    ],
}


def minimal_rows() -> Rows:
    """A fresh copy of the minimal source rows; tests add or change rows in it."""
    return copy.deepcopy(_MINIMAL)


def csv_text(rows: list[dict[str, str]], delimiter: str = ",") -> str:
    """The rows as CSV text with a header line."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), delimiter=delimiter, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def write_source(folder: Path, rows: Rows, *, fmt: str = "csv") -> Path:
    """Write one file per table (``<table>.csv`` or ``<table>.parquet``, all text) to ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for table, table_rows in rows.items():
        if fmt == "csv":
            (folder / f"{table}.csv").write_text(csv_text(table_rows), encoding="utf-8")
        else:
            pq.write_table(pa.Table.from_pylist(table_rows), folder / f"{table}.parquet")
    return folder


@contextmanager
def stand_in_core() -> Iterator[list[tuple[date, date]]]:
    """Replace ``klynge.core`` by a tiny stand-in, so that the tests check the build alone.

    The stand-in writes one table, ``core__person``, and records each period it is given; the
    marts step is skipped.
    """
    calls: list[tuple[date, date]] = []

    def build_core(con: Any, period_start: date, period_end: date) -> dict[str, int]:
        calls.append((period_start, period_end))
        table = con.create_table("core__person", con.table("input__person").select("person_id"))
        return {"core__person": int(table.count().execute())}

    module = types.ModuleType("klynge.core")
    module.build_core = build_core  # type: ignore[attr-defined]
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(sys.modules, "klynge.core", module)
        # The marts stand on the real core; the build tests leave them out.
        patch.setattr("klynge.ingest._build._build_marts", lambda con, start, end: {"indicators": {"rows": 0}})
        yield calls


@dataclass
class Built:
    """A finished test build, with helpers to look at what it wrote."""

    result: BuildResult
    warehouse: Path

    def quarantine(self, table: str) -> list[dict[str, Any]]:
        """The quarantined rows of ``table`` (none when there is no quarantine file)."""
        path = self.result.path / "quarantine" / f"{table}.parquet"
        return pq.read_table(path).to_pylist() if path.exists() else []

    def reasons(self, table: str) -> dict[int, str]:
        """Quarantine reason by source row number."""
        return {row["_row"]: row["reason"] for row in self.quarantine(table)}

    def accepted(self, table: str, *columns: str) -> list[dict[str, Any]]:
        """The accepted rows of ``table`` (selected columns, sorted), read through `open_warehouse`."""
        con = open_warehouse(self.warehouse)
        try:
            expr = con.table(f"input__{table}")
            expr = expr.select(*(columns or expr.columns))
            return expr.order_by(*expr.columns).to_pyarrow().to_pylist()
        finally:
            con.disconnect()

    def accepted_ids(self, table: str, column: str) -> set[Any]:
        """The values of ``column`` among accepted rows."""
        return {row[column] for row in self.accepted(table, column)}


def build_into(
    source: Path,
    warehouse: Path,
    rows: Rows,
    *,
    fmt: str = "csv",
    files: dict[str, bytes] | None = None,
    **options: Any,
) -> Built:
    """Write ``rows`` (and raw ``files``) as a source folder and build it into ``warehouse``."""
    write_source(source, rows, fmt=fmt)
    for name, data in (files or {}).items():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_bytes(data)
    return Built(build_warehouse(source, warehouse, **options), warehouse)
