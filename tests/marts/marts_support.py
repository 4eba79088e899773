"""Hand-made tiny warehouses for the mart tests: a few persons written as source CSV files and
built with `klynge.ingest.build_warehouse`, so the marts read real ``input__*`` and ``core__*``
tables. Times are Danish local wall-clock times, as council sources give them.

The build's own marts step (indicator catalogue and overview) is left out: the tests call the
mart functions themselves, and `write_overview` on a writable connection.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import ibis
import pytest

from klynge.contracts import TABLES
from klynge.ingest import build_warehouse
from klynge.warehouse import current_build, open_warehouse

# One FSIII service code per service group.
SERVICE_CODES = {
    "personal_care": "H1.1", "practical_help": "H1.8", "home_nursing": "G1.20",
    "rehabilitation": "H5.1", "temporary_stay": "H4.1", "respite": "H3.1",
    "nursing_home": "PLEJEBOLIG", "preventive": "FOREBYG",
}


class Source:
    """Canonical source rows, added person by person; unset columns are empty."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, str]]] = {name: [] for name in TABLES}
        self._ids = itertools.count(1)

    def _add(self, table: str, **values: Any) -> str:
        self.rows[table].append({c.name: str(values.get(c.name) or "") for c in TABLES[table].columns})
        return str(values.get("contact_id") or values.get("service_id") or "")

    def _id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids)}"

    def person(self, pid: str, birth: str = "1950-01-01", *, sex: str = "F", death: str = "",
               municipality: str = "101", resident_from: str = "", resident_to: str = "") -> None:
        """A person living in ``municipality`` from ``resident_from`` (default: birth)."""
        self._add("person", person_id=pid, birth_date=birth, sex=sex, death_date=death)
        self._add("residence", person_id=pid, municipality_code=municipality,
                  valid_from=resident_from or birth, valid_to=resident_to)

    def move(self, pid: str, municipality: str, valid_from: str, valid_to: str = "") -> None:
        """A further residence span."""
        self._add("residence", person_id=pid, municipality_code=municipality,
                  valid_from=valid_from, valid_to=valid_to)

    def contact(self, pid: str, start: str, end: str, *, kind: str = "ALCA00", priority: str = "ATA3",
                diagnoses: tuple[str, ...] = (), refuted: bool = False) -> str:
        """A hospital contact with type-A diagnoses; returns its id."""
        cid = self._add("hospital_contact", contact_id=self._id("C"), person_id=pid, start_time=start,
                        end_time=end, contact_type=kind, priority=priority, hospital_id="H1",
                        unit_id="U1", specialty="internal_medicine", branch="somatic")
        for code in diagnoses:
            self._add("diagnosis", contact_id=cid, diagnosis_code=code, diagnosis_type="A",
                      refuted="true" if refuted else "false")
        return cid

    def service(self, pid: str, group: str, start: str, end: str = "", minutes: float | None = None) -> None:
        """A municipal service of ``group`` from ``start`` to ``end`` (exclusive)."""
        self._add("municipal_service", service_id=self._id("S"), person_id=pid, municipality_code="101",
                  service_code=SERVICE_CODES[group], service_group=group, start_date=start,
                  end_date=end, minutes_per_week="" if minutes is None else minutes)

    def gp(self, pid: str, day: str, kind: str = "consultation") -> None:
        """A contact with general practice."""
        self._add("gp_contact", contact_id=self._id("G"), person_id=pid, contact_date=day, kind=kind,
                  clinic_id="K1")

    def rx(self, pid: str, day: str, atc: str, ddd: float | None = None) -> None:
        """A redeemed prescription."""
        self._add("prescription", person_id=pid, dispensing_date=day, atc=atc,
                  ddd="" if ddd is None else ddd)

    def build(self, folder: Path, period: tuple[str, str] = ("2023-01-01", "2024-12-31")) -> Path:
        """Write the non-empty tables as CSV under ``folder`` and build a warehouse; return it."""
        source = folder / "source"
        source.mkdir(parents=True)
        for table, rows in self.rows.items():
            if rows:
                with (source / f"{table}.csv").open("w", encoding="utf-8", newline="") as f:
                    writer = csv.DictWriter(f, fieldnames=list(rows[0]))
                    writer.writeheader()
                    writer.writerows(rows)
        return build_source(source, folder / "warehouse", period)


def build_source(source: Path, warehouse: Path, period: tuple[str, str]) -> Path:
    """Build ``source`` into ``warehouse`` (input and core tables only); return the warehouse."""
    days = (date.fromisoformat(period[0]), date.fromisoformat(period[1]))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("klynge.ingest._build._build_marts", lambda con, start, end: {"indicators": {"rows": 0}})
        build_warehouse(source, warehouse, period=days)
    return warehouse


@contextmanager
def opened(warehouse: Path, *, writable: bool = False) -> Iterator[Any]:
    """The current build, read-only (`open_warehouse`) or writable, closed afterwards."""
    if writable:
        con = ibis.duckdb.connect(str(current_build(warehouse) / "klynge.duckdb"))
        con.raw_sql("SET TimeZone = 'Europe/Copenhagen'")
    else:
        con = open_warehouse(warehouse)
    try:
        yield con
    finally:
        con.disconnect()


def rows(frame: Any, *columns: str) -> list[tuple[Any, ...]]:
    """The chosen columns of a DataFrame as plain tuples, in its order."""
    return [tuple(v.item() if hasattr(v, "item") else v for v in r)
            for r in frame[list(columns)].itertuples(index=False)]
