"""Fixtures and small readable tables for the core tests (used through the ``tables`` fixture).

Tables are written as pipe-separated text; ``-`` is a missing value. Times are Danish local
wall-clock times (``2024-03-31 12:00``) unless they carry an explicit offset
(``2024-10-27 02:30+01:00``); they are stored as UTC instants, as in the warehouse.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pytest

from klynge.contracts import TABLES

DK = ZoneInfo("Europe/Copenhagen")

# Values of the canonical columns a test leaves out.
DEFAULTS = {
    "hospital_contact": {"contact_type": "ALCA00", "priority": "ATA3", "contact_reason": None,
                         "hospital_id": "H1", "unit_id": "U1", "specialty": "internal_medicine",
                         "branch": "somatic"},
    "person": {"birth_date": dt.date(1950, 1, 1), "sex": "F", "death_date": None},
    "residence": {"municipality_code": "101", "valid_to": None},
    "diagnosis": {"diagnosis_type": "A", "refuted": None},
}
_ARROW = {"string": pa.string(), "date": pa.date32(), "timestamp": pa.timestamp("us", tz="UTC"),
          "bool": pa.bool_(), "float": pa.float64(), "int": pa.int64()}


def local_time(text: str) -> dt.datetime:
    """A Danish local time (or one with an explicit offset) as an aware datetime."""
    value = dt.datetime.fromisoformat(text)
    return value if value.tzinfo is not None else value.replace(tzinfo=DK)


_PARSERS: dict[str, Callable[[str], Any]] = {
    "string": str, "date": dt.date.fromisoformat, "timestamp": local_time,
    "bool": lambda v: v == "true", "float": float, "int": int,
}


def parse_rows(text: str, types: dict[str, str]) -> list[dict[str, Any]]:
    """Rows of a pipe-separated table; ``types`` maps a column to a canonical type (else string)."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    header = [h.strip() for h in lines[0].split("|")]
    rows = []
    for line in lines[1:]:
        cells = [c.strip() for c in line.split("|")]
        assert len(cells) == len(header), f"wrong number of cells in {line!r}"
        rows.append({h: None if c == "-" else _PARSERS[types.get(h, "string")](c)
                     for h, c in zip(header, cells, strict=True)})
    return rows


def canonical(name: str, text: str = "", rows: Iterable[dict[str, Any]] = ()) -> ir.Table:
    """A canonical table (full schema) from text and/or rows; left-out columns get DEFAULTS."""
    columns = TABLES[name].columns
    types = {c.name: c.dtype for c in columns}
    all_rows = (parse_rows(text, types) if text else []) + list(rows)
    data = {c.name: pa.array([r.get(c.name, DEFAULTS[name].get(c.name)) for r in all_rows],
                             _ARROW[c.dtype]) for c in columns}
    return ibis.memtable(pa.table(data))


class Tables:
    """Builds the canonical input tables of a test and runs expressions on one connection."""

    def __init__(self, con: Any) -> None:
        self.con = con

    canonical = staticmethod(canonical)
    rows = staticmethod(parse_rows)

    def fetch(self, expr: ir.Table, order_by: str | list[str]) -> list[dict[str, Any]]:
        """Execute ``expr`` and return its rows as dicts, in a fixed order."""
        return self.con.to_pyarrow(expr.order_by(order_by)).to_pylist()


@pytest.fixture(scope="session")
def con() -> Any:
    """A DuckDB connection in the Danish time zone, as the warehouse sets it."""
    connection = ibis.duckdb.connect()
    connection.raw_sql("SET TimeZone = 'Europe/Copenhagen'")
    return connection


@pytest.fixture(scope="session")
def tables(con: Any) -> Tables:
    """Helpers to write input tables as text and fetch results on the DuckDB connection."""
    return Tables(con)
