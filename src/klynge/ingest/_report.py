"""What a build tells: progress while it runs, and the reconciliation and manifest at the end."""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

import duckdb
import ibis
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable

from klynge import __version__
from klynge.ingest._input import TableCounts
from klynge.ingest._sources import SourceTable


def versions() -> dict[str, str]:
    """The versions that produced a build, for the manifest."""
    return {
        "klynge": __version__,
        "duckdb": duckdb.__version__,
        "ibis": ibis.__version__,
        "python": platform.python_version(),
    }


class Timings(dict[str, float]):
    """Seconds per build step, in the order the steps ran."""

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Time the enclosed block as step ``name``."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self[name] = round(time.perf_counter() - started, 3)


class BuildProgress:
    """One line per table while the build runs (only when ``enabled``); silent otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.console = Console(stderr=True)
        self._progress = (
            Progress(
                SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=self.console
            )
            if enabled
            else None
        )
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> Self:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def start(self, step: str, label: str) -> None:
        """Show that ``step`` (a table name or a build step) has started."""
        if self._progress is not None:
            self._tasks[step] = self._progress.add_task(f"{label} …", total=1)

    def done(self, step: str, label: str) -> None:
        """Show that ``step`` has finished, with a short result."""
        if self._progress is not None:
            self._progress.update(self._tasks[step], description=label, completed=1)


def counts_line(table: str, counts: TableCounts, present: bool) -> str:
    """A table's progress line, e.g. ``person: 1,000 read, 998 accepted, 2 quarantined``."""
    if not present:
        return f"{table}: absent (empty table)"
    line = f"{table}: {counts.read:,} read, {counts.accepted:,} accepted, {counts.quarantined:,} quarantined"
    return line + (f", {counts.out_of_scope:,} out of scope" if counts.out_of_scope else "")


def table_entry(table: str, source: SourceTable | None, counts: TableCounts) -> dict[str, Any]:
    """A table's entry in the manifest: where it came from, and its reconciled counts."""
    return {
        "present": source is not None,
        "source": [f.label for f in source.files] if source else [],
        "format": source.format if source else None,
        "encoding": source.encoding if source else None,
        "delimiter": source.delimiter if source else None,
        "extra_columns": list(source.extra_columns) if source else [],
        "read": counts.read,
        "accepted": counts.accepted,
        "quarantined": counts.quarantined,
        "out_of_scope": counts.out_of_scope,
        "quarantine": f"quarantine/{table}.parquet" if counts.quarantined else None,
    }


def print_reconciliation(console: Console, tables: Mapping[str, Mapping[str, Any]]) -> None:
    """Print read = accepted + quarantined (+ out of scope) for every table, as a table."""
    foreign = any(entry.get("out_of_scope") for entry in tables.values())
    headings = ("read", "accepted", "quarantined", *(("out of scope",) if foreign else ()))
    view = RichTable(title="Reconciliation: read = accepted + quarantined" + (" + out of scope" if foreign else ""))
    view.add_column("table", no_wrap=True)
    view.add_column("source")
    for heading in headings:
        view.add_column(heading, justify="right", no_wrap=True)
    for name, entry in tables.items():
        cells = [entry["read"], entry["accepted"], entry["quarantined"], *((entry["out_of_scope"],) if foreign else ())]
        view.add_row(name, _source_summary(entry), *(f"{c:,}" for c in cells))
    console.print(view)


def _source_summary(entry: Mapping[str, Any]) -> str:
    """E.g. ``person.csv (cp1252, ;)`` or ``gp_contact/ (12 parquet files)``."""
    if not entry["present"]:
        return "(absent)"
    files = entry["source"]
    if entry["format"] not in ("csv", "parquet"):  # read by a reader (klynge.readers)
        return f"{entry['format']}, {len(files)} file{'s' if len(files) != 1 else ''}"
    where = (
        files[0] if len(files) == 1 else f"{files[0].split('/')[0]}/ ({len(files)} {entry['format']} files)"
    )
    return f"{where} ({entry['encoding']}, {entry['delimiter']})" if entry["format"] == "csv" else where


def write_manifest(path: Path, manifest: Mapping[str, Any]) -> None:
    """Write ``manifest.json`` (UTF-8, keeps æøå readable)."""
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
