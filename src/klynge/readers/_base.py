"""What every reader shares: the staging folder it writes canonical rows into, and its counts.

A reader turns a source in a foreign format (LPR3 extract, FHIR, OMOP CDM) into canonical
tables. It does not validate them against the model: the build does that afterwards, exactly
as for a canonical source. A reader only decides, for every source record, one of three things:

* **mapped**: the record becomes one row of one canonical table (`Staging.add`);
* **quarantined**: the record is damaged or cannot be mapped although it should be
  (`Staging.quarantine`, with a reason; the record is kept, CPR-masked, for inspection);
* **out of scope**: the record is well-formed but not something klynge models, e.g. a FHIR
  ``Observation`` of category ``social-history`` (`Staging.out_of_scope`, with a reason).

Each source record is attributed to exactly one canonical table, so per table
``read = mapped + quarantined + out_of_scope`` and, after validation,
``read = accepted + quarantined + out_of_scope`` in ``manifest.json``.

Mapped rows carry the canonical columns as text (ISO dates, ISO instants with offset, decimal
numbers, ``true``/``false``), exactly like a canonical CSV source, plus ``source_record``,
which says where the row came from (``kontakter.csv:17``, ``Encounter/8f2c``). Text keeps the
readers simple and leaves every type rule to the one validation of the build.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from klynge.contracts import CPR_PATTERN, TABLES

SOURCE_RECORD = "source_record"
"""The column of a staged row that names the source record it was mapped from."""

_CPR = re.compile(CPR_PATTERN)
_CHUNK = 100_000


def as_text(value: Any) -> str | None:
    """A Python value in the text form of a canonical CSV source (None stays missing).

    Aware datetimes keep their offset (``2024-03-01T09:30:00+00:00``); naive ones are written
    as they are and read as Danish local time by the build; floats without needless zeros.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value) if value == value else None
    return str(value)


def mask_cpr(text: str) -> str:
    """Replace every digit of a text that contains a CPR number by ``X`` (as the build does)."""
    return re.sub(r"[0-9]", "X", text) if _CPR.search(text) else text


@dataclass
class TableReport:
    """A reader's counts for one canonical table."""

    mapped: int = 0
    quarantined: Counter[str] = field(default_factory=Counter)
    out_of_scope: Counter[str] = field(default_factory=Counter)

    @property
    def read(self) -> int:
        """Source records attributed to this table."""
        return self.mapped + sum(self.quarantined.values()) + sum(self.out_of_scope.values())

    def as_dict(self) -> dict[str, Any]:
        """The manifest form."""
        return {
            "read": self.read,
            "mapped": self.mapped,
            "quarantined": sum(self.quarantined.values()),
            "quarantine_reasons": dict(self.quarantined.most_common()),
            "out_of_scope": sum(self.out_of_scope.values()),
            "out_of_scope_reasons": dict(self.out_of_scope.most_common()),
        }


@dataclass
class ReaderReport:
    """What a reader did: its format, the files it read, and its counts per canonical table."""

    format: str
    files: list[str] = field(default_factory=list)
    tables: dict[str, TableReport] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The manifest form (``manifest["reader"]``)."""
        return {
            "format": self.format,
            "files": self.files,
            "tables": {name: report.as_dict() for name, report in self.tables.items()},
            "notes": self.notes,
        }


class Staging:
    """The folder a reader writes canonical tables into, one folder of Parquet parts per table.

    Rows are buffered and written in parts of 100,000, so a reader can stream large sources.
    Call `close` once at the end (the build does this).

    Parameters
    ----------
    folder
        Where ``<table>/part-NNNNN.parquet`` are written; the build reads it as a canonical
        source folder.
    quarantine
        Where ``source__<table>.parquet`` with the reader's quarantined records is written.
    report
        The report to count into.
    """

    def __init__(self, folder: Path, quarantine: Path, report: ReaderReport) -> None:
        self.folder, self.quarantine_folder, self.report = Path(folder), Path(quarantine), report
        self._rows: dict[str, list[dict[str, str | None]]] = {}
        self._parts: Counter[str] = Counter()
        self._bad: dict[str, list[dict[str, str]]] = {}

    def _table(self, table: str) -> TableReport:
        if table not in TABLES:
            raise ValueError(f"unknown canonical table {table!r}; expected one of {', '.join(TABLES)}")
        return self.report.tables.setdefault(table, TableReport())

    def add(self, table: str, row: Mapping[str, Any], source_record: str) -> None:
        """Stage one mapped row of ``table``: canonical columns (missing ones stay empty)."""
        counts = self._table(table)
        unknown = set(row) - set(TABLES[table].column_names)
        if unknown:
            raise ValueError(f"{table}: not canonical column(s) {sorted(unknown)}")
        staged = {name: as_text(value) for name, value in row.items()}
        staged[SOURCE_RECORD] = mask_cpr(source_record)
        rows = self._rows.setdefault(table, [])
        rows.append(staged)
        counts.mapped += 1
        if len(rows) >= _CHUNK:
            self._flush(table)

    def add_many(self, table: str, rows: Iterable[tuple[Mapping[str, Any], str]]) -> None:
        """Stage many ``(row, source_record)`` pairs of one table."""
        for row, source_record in rows:
            self.add(table, row, source_record)

    def quarantine(self, table: str, source_record: str, reason: str, record: Any = None) -> None:
        """Quarantine one source record that belongs to ``table`` but cannot be mapped.

        ``record`` (the raw record, a dict or text) is kept as CPR-masked JSON text.
        """
        self._table(table).quarantined[mask_cpr(reason)] += 1
        text = record if isinstance(record, str) else json.dumps(record, ensure_ascii=False, default=str)
        self._bad.setdefault(table, []).append(
            {SOURCE_RECORD: mask_cpr(source_record), "reason": mask_cpr(reason), "record": mask_cpr(text or "")}
        )

    def out_of_scope(self, table: str, reason: str, count: int = 1) -> None:
        """Count ``count`` well-formed source records of ``table`` that klynge does not model."""
        if count:
            self._table(table).out_of_scope[reason] += count

    def note(self, text: str) -> None:
        """A remark for the manifest (a mapping decision worth knowing about)."""
        self.report.notes.append(text)

    def _flush(self, table: str) -> None:
        rows = self._rows.get(table)
        if not rows:
            return
        columns = [*TABLES[table].column_names, SOURCE_RECORD]
        arrays = {c: pa.array([r.get(c) for r in rows], pa.string()) for c in columns}
        target = self.folder / table
        target.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.table(arrays), target / f"part-{self._parts[table]:05d}.parquet")
        self._parts[table] += 1
        self._rows[table] = []

    def close(self) -> ReaderReport:
        """Write what is buffered and the quarantine files; return the report."""
        for table in list(self._rows):
            self._flush(table)
        for table, bad in self._bad.items():
            self.quarantine_folder.mkdir(parents=True, exist_ok=True)
            frame = pa.table({c: pa.array([b[c] for b in bad], pa.string()) for c in (SOURCE_RECORD, "reason", "record")})
            pq.write_table(frame, self.quarantine_folder / f"source__{table}.parquet")
        return self.report

    @property
    def tables(self) -> set[str]:
        """The canonical tables this reader staged rows for (or counted records of)."""
        return set(self.report.tables)
