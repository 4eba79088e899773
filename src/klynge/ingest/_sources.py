"""Find the source files of each canonical table and check their headers.

A source folder holds, per canonical table, one of: ``<table>.csv``, ``<table>.parquet``, or a
folder ``<table>/`` of ``*.parquet`` (or ``*.csv``) part files. Anything else is listed in the
manifest as ignored. A file whose header lacks a required (non-nullable) column, or that is not
readable at all, stops the build with a `BuildError`: that is a mapping problem to fix at the
source, not a row to quarantine.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

import pyarrow.parquet as pq

from klynge.contracts import TABLES, Table
from klynge.ingest._encoding import detect_encoding, read_header, transcode_legacy
from klynge.ingest._errors import BuildError

SOURCE_METADATA = "klynge-source.json"
Format = Literal["csv", "parquet"]
_FORMATS: tuple[Format, ...] = ("csv", "parquet")


@dataclass(frozen=True)
class SourceFile:
    """One file of a source table.

    ``read_path`` is what the engine reads: the file itself, or a UTF-8 copy of a legacy CSV.
    ``columns`` are the column names of its header, in order. ``rows`` is known up front for
    Parquet (from the footer) and used to number rows.
    """

    label: str
    read_path: Path
    columns: tuple[str, ...]
    encoding: str | None = None
    rows: int | None = None


@dataclass(frozen=True)
class SourceTable:
    """A canonical table's source: its files and how their columns map onto the model."""

    table: str
    format: Format
    files: tuple[SourceFile, ...]
    columns: dict[str, str]  # canonical column -> column name in the source
    extra_columns: tuple[str, ...]  # source columns the model does not know
    delimiter: str | None = None

    @property
    def encoding(self) -> str | None:
        """The encoding(s) of the CSV files, comma-separated when parts differ."""
        found = sorted({f.encoding for f in self.files if f.encoding})
        return ", ".join(found) or None

    @property
    def source_columns(self) -> list[str]:
        """All source columns in file order: the mapped ones, then the extra ones."""
        return [*self.columns.values(), *self.extra_columns]


def find_sources(source: Path) -> tuple[dict[str, tuple[Format, list[Path]]], list[str]]:
    """Map each canonical table present in ``source`` to its format and files.

    Returns
    -------
    tables, ignored
        ``{table: (format, files)}`` and the names of entries that are not table sources.

    Raises
    ------
    BuildError
        When the folder is missing, or a table has two sources, or a table folder is empty.
    """
    if not source.is_dir():
        raise BuildError(f"{source}: the source folder does not exist")
    tables: dict[str, tuple[Format, list[Path]]] = {}
    ignored: list[str] = []
    for entry in sorted(source.iterdir()):
        if entry.name.startswith(".") or entry.name == SOURCE_METADATA:
            continue
        found = _table_source(entry)
        if found is None:
            ignored.append(entry.name + ("/" if entry.is_dir() else ""))
            continue
        name, fmt, files = found
        if name in tables:
            raise BuildError(
                f"{source}: table '{name}' has more than one source ({entry.name} and another); "
                "keep exactly one of <table>.csv, <table>.parquet or <table>/"
            )
        tables[name] = (fmt, files)
    return tables, ignored


def _table_source(entry: Path) -> tuple[str, Format, list[Path]] | None:
    if entry.is_file() and entry.stem in TABLES and entry.suffix.lstrip(".") in _FORMATS:
        return entry.stem, entry.suffix.lstrip("."), [entry]  # type: ignore[return-value]
    if not (entry.is_dir() and entry.name in TABLES):
        return None
    # Part files as written by Spark or the synthetic generator; _SUCCESS and .crc are not data.
    parts = {
        fmt: sorted(p for p in entry.glob(f"*.{fmt}") if not p.name.startswith((".", "_")))
        for fmt in _FORMATS
    }
    kinds = [fmt for fmt in _FORMATS if parts[fmt]]
    if len(kinds) != 1:
        found = "both CSV and Parquet files" if kinds else "no *.parquet or *.csv files"
        raise BuildError(f"{entry}/: the folder of table '{entry.name}' holds {found}; expected one kind")
    return entry.name, kinds[0], parts[kinds[0]]


def inspect_source(table: Table, fmt: Format, files: list[Path], source: Path, scratch: Path) -> SourceTable:
    """Check every file's header against the model and prepare the files for reading.

    Legacy-encoded CSV files are transcoded to UTF-8 under ``scratch``.

    Raises
    ------
    BuildError
        A file is unreadable, or lacks a required column, or CSV parts disagree on the delimiter.
    """
    prepared: list[SourceFile] = []
    headers: list[list[str]] = []
    delimiters: set[str] = set()
    for index, path in enumerate(files):
        label = str(path.relative_to(source))
        if fmt == "parquet":
            file, names = _inspect_parquet(path, label)
        else:
            file, names, delimiter = _inspect_csv(path, label, scratch / table.name / f"{index:05d}.csv")
            delimiters.add(delimiter)
        _check_columns(table, label, names)
        prepared.append(file)
        headers.append(names)
    if len(delimiters) > 1:
        raise BuildError(
            f"{source / table.name}/: the CSV parts use different delimiters {sorted(delimiters)}"
        )
    columns = _column_mapping(table, headers)
    mapped = {name.lower() for name in columns.values()}
    extra = tuple(dict.fromkeys(n for names in headers for n in names if n.lower() not in mapped))
    return SourceTable(table.name, fmt, tuple(prepared), columns, extra, next(iter(delimiters), None))


def _inspect_parquet(path: Path, label: str) -> tuple[SourceFile, list[str]]:
    try:
        metadata = pq.read_metadata(path)
    except (OSError, ValueError) as error:
        raise BuildError(f"{label}: not a readable Parquet file ({error})") from error
    names = list(metadata.schema.names)
    return SourceFile(label, path, tuple(names), rows=metadata.num_rows), names


def _inspect_csv(path: Path, label: str, utf8_copy: Path) -> tuple[SourceFile, list[str], str]:
    try:
        encoding = detect_encoding(path)
        read_path = path
        if encoding == "legacy":
            encoding = transcode_legacy(path, utf8_copy)
            read_path = utf8_copy
        delimiter, names = read_header(read_path, label)
    except OSError as error:
        raise BuildError(f"{label}: cannot read the file ({error})") from error
    return SourceFile(label, read_path, tuple(names), encoding=encoding), names, delimiter


def _check_columns(table: Table, label: str, names: list[str]) -> None:
    """Column names match the model case-insensitively; required columns must be present."""
    lowered = [n.lower() for n in names]
    duplicated = sorted({n for n in lowered if lowered.count(n) > 1})
    if duplicated:
        raise BuildError(f"{label}: column(s) {', '.join(duplicated)} appear more than once in the header")
    for column in table.columns:
        if not column.nullable and column.name not in lowered:
            raise BuildError(
                f"{label}: required column '{column.name}' of table '{table.name}' is missing; "
                f"expected a {column.dtype} column: {column.description} "
                f"(found: {', '.join(names) or 'no columns'})"
            )


def _column_mapping(table: Table, headers: list[list[str]]) -> dict[str, str]:
    """Canonical column -> source spelling (from the first file that has it)."""
    mapping: dict[str, str] = {}
    for names in headers:
        for name in names:
            if name.lower() in table.column_names:
                mapping.setdefault(name.lower(), name)
    return {c: mapping[c] for c in table.column_names if c in mapping}


def read_source_metadata(source: Path) -> dict[str, Any]:
    """Return ``klynge-source.json`` (empty when absent), with period dates checked.

    Raises
    ------
    BuildError
        When the file is not valid JSON or a period date is not ``YYYY-MM-DD``.
    """
    path = source / SOURCE_METADATA
    if not path.is_file():
        return {}
    try:
        metadata = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as error:
        raise BuildError(f"{path}: not a readable JSON file ({error})") from error
    if not isinstance(metadata, dict):
        raise BuildError(f"{path}: expected a JSON object with period_start and period_end")
    for key in ("period_start", "period_end"):
        if key in metadata:
            try:
                date.fromisoformat(str(metadata[key]))
            except ValueError:
                raise BuildError(f"{path}: {key} must be a date YYYY-MM-DD, got {metadata[key]!r}") from None
    return metadata
