"""Builds from a foreign source format: run its reader, then build from the staged tables.

The reader (`klynge.readers`) writes canonical tables into a temporary folder; the build then
validates them like any canonical source. Its counts are added to the build's, so that per
table ``read = accepted + quarantined + out_of_scope``, where ``read`` counts source records,
``quarantined`` those the reader could not map plus the staged rows the validation refused,
and ``out_of_scope`` the well-formed records klynge does not model.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from klynge.ingest._errors import BuildError, ReconciliationError
from klynge.ingest._input import TableCounts
from klynge.ingest._sources import SOURCE_METADATA, find_sources

if TYPE_CHECKING:
    from klynge.ingest._build import BuildResult
    from klynge.readers import ReaderReport


@dataclass(frozen=True)
class ReaderOutput:
    """A reader's work, handed to the build: its report and where its quarantine lies."""

    source: Path
    report: ReaderReport
    quarantine: Path

    def add_counts(self, table: str, counts: TableCounts, quarantine: Path) -> TableCounts:
        """The table's counts with the reader's quarantined and out-of-scope records added.

        The reader's quarantine file moves into the build's quarantine folder.

        Raises
        ------
        ReconciliationError
            When the build read another number of staged rows than the reader mapped (a bug).
        """
        mine = self.report.tables.get(table)
        if mine is None:  # a canonical file beside the foreign ones, or an absent table
            return counts
        if counts.read != mine.mapped:
            raise ReconciliationError(
                f"internal error in table {table}: the reader mapped {mine.mapped} rows but the build read {counts.read}"
            )
        staged = self.quarantine / f"source__{table}.parquet"
        if staged.exists():
            quarantine.mkdir(parents=True, exist_ok=True)
            shutil.move(staged, quarantine / staged.name)
        bad, unmodelled = sum(mine.quarantined.values()), sum(mine.out_of_scope.values())
        return TableCounts(counts.read + bad + unmodelled, counts.accepted, counts.quarantined + bad, unmodelled)

    def annotate(self, tables: dict[str, dict[str, Any]]) -> None:
        """Point the manifest's table entries at the reader's quarantine files and reasons."""
        for name, mine in self.report.tables.items():
            entry = tables.get(name)
            if entry is None:
                continue
            entry["source"] = self.report.files or entry["source"]
            entry["format"] = self.report.format
            entry["quarantine_source"] = f"quarantine/source__{name}.parquet" if mine.quarantined else None
            entry["quarantine_reasons_source"] = dict(mine.quarantined.most_common())
            entry["out_of_scope_reasons"] = dict(mine.out_of_scope.most_common())
            if entry["quarantine"] and entry["quarantined"] == sum(mine.quarantined.values()):
                entry["quarantine"] = None  # all quarantined rows are the reader's


def build_foreign(fmt: str, source: Path, warehouse: Path, **options: Any) -> BuildResult:
    """Read ``source`` with the reader of ``fmt``, then build the warehouse from what it staged.

    Canonical table sources lying in ``source`` (``person.csv``, ``residence/`` ...) are used
    for the tables the reader did not produce; ``klynge-source.json`` is used as usual.

    Raises
    ------
    BuildError
        For an unknown format, a missing folder, or a source the reader cannot read at all.
    """
    from klynge.ingest._build import build_warehouse
    from klynge.readers import FORMATS, run_reader

    if fmt not in FORMATS:
        raise BuildError(f"unknown source format {fmt!r}; expected canonical, {', '.join(FORMATS)}")
    if not source.is_dir():
        raise BuildError(f"{source}: the source folder does not exist")
    with tempfile.TemporaryDirectory(prefix="klynge-read-") as tmp:
        staged, quarantine = Path(tmp) / "tables", Path(tmp) / "quarantine"
        try:
            report = run_reader(fmt, source, staged, quarantine)
        except (OSError, ValueError) as error:
            raise BuildError(f"{source}: cannot read it as {fmt} ({error})") from error
        staged.mkdir(parents=True, exist_ok=True)
        _pass_through(source, staged, produced=set(report.tables))
        _check_required(report, staged)
        output = ReaderOutput(source, report, quarantine)
        return build_warehouse(staged, warehouse, _reader=output, **options)


def _check_required(report: ReaderReport, staged: Path) -> None:
    """A required table the reader saw records of but could map none of stops the build, with why."""
    from klynge.contracts import TABLES

    for name, mine in report.tables.items():
        if TABLES[name].required and mine.mapped == 0 and not (staged / name).exists():
            why = "; ".join(f"{reason} ({n})" for reason, n in (mine.quarantined + mine.out_of_scope).most_common(3))
            raise BuildError(
                f"the {report.format} reader found {mine.read} record(s) for the required table "
                f"'{name}' but could map none of them: {why or 'no records'}"
            )


def _pass_through(source: Path, staged: Path, produced: set[str]) -> None:
    """Link canonical sources of tables the reader did not produce, and the metadata file."""
    found, _ = find_sources(source)
    for name, (_fmt, files) in found.items():
        if name in produced:
            continue
        entry = files[0] if files[0].parent == source else files[0].parent
        os.symlink(entry.resolve(), staged / entry.name, target_is_directory=entry.is_dir())
    metadata = source / SOURCE_METADATA
    if metadata.is_file():
        shutil.copy(metadata, staged / SOURCE_METADATA)


__all__ = ["ReaderOutput", "build_foreign"]
