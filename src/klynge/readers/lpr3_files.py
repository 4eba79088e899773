"""The files of an LPR3 research extract: which table each one is, its columns, and its rows.

File names are matched case-insensitively after removing an extract prefix (``lpr_f_``,
``lpr3f_``, ``lpr_a_``, ``lpr3_``), a year suffix (``kontakter2021``, ``diagnoser_2021``) and a
level suffix (``_k`` contact level, ``_f`` course level). A table may come as several files
(one per year) or as a folder of part files. CSV files may be UTF-8 or Windows-1252 and use
``;`` or ``,``; the encoding and delimiter are detected as for canonical sources
(`klynge.ingest._encoding`). Column names are matched case-insensitively, with aliases.
"""

from __future__ import annotations

import csv
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from klynge.contracts import TABLES
from klynge.ingest._encoding import detect_encoding, read_header, transcode_legacy
from klynge.ingest._errors import BuildError

# Extract table name (after prefix/suffix removal) -> the object it holds.
TABLE_NAMES: dict[str, str] = {
    "kontakter": "kontakter", "kontakt": "kontakter",
    "diagnoser": "diagnoser", "diagnose": "diagnoser",
    "procedurer_kirurgi": "procedurer", "procedurer_andre": "procedurer", "procedurer": "procedurer",
    "organisationer": "organisationer",
}
# Extract tables klynge does not model; their rows are counted out of scope (under
# hospital_contact, the nearest canonical table) with this reason.
UNMODELLED: dict[str, str] = {
    "forloeb": "forløbselementer (episodes of care): klynge models contacts, not episodes",
    "forloebsmarkoerer": "forløbsmarkører (pathway milestones) are not modelled",
    "helbredsforloeb": "helbredsforløb (health episodes) are not modelled",
    "nyt_helbredsforloeb": "helbredsforløb (health episodes) are not modelled",
    "morbarnforloeb": "mother-child episode links are not modelled",
    "kontaktlokationer": "contact locations (opholdsadresse, fravær) are not modelled",
    "resultater": "resultatindberetninger (structured result reports) are not modelled",
    "henvisning_tillaeg": "referral add-on codes are not modelled",
    "betalingsoplysninger": "payment information is not modelled",
}
_PREFIX = re.compile(r"^(lpr_?f_|lpr3_?f_|lpr_?a_|lpr3_|lpr_)")
_SUFFIX = re.compile(r"(_?(19|20)\d{2})?(_[kf])?(_?(19|20)\d{2})?$")
_FORMATS = (".csv", ".parquet")


@dataclass(frozen=True)
class ExtractFile:
    """One file of the extract and the LPR3 table it belongs to."""

    table: str  # kontakter, diagnoser, procedurer, organisationer, or an UNMODELLED name
    path: Path
    label: str  # how it is named in source records and messages (relative to the folder)


def table_name(name: str) -> str | None:
    """The LPR3 table a file or folder name stands for, or None (``LPR_F_Kontakter2021.csv``)."""
    stem = name.lower()
    for ext in _FORMATS:
        stem = stem.removesuffix(ext)
    stem = _PREFIX.sub("", stem)
    for candidate in (stem, _SUFFIX.sub("", stem)):
        if candidate in TABLE_NAMES:
            return TABLE_NAMES[candidate]
        if candidate in UNMODELLED:
            return candidate
    return None


def find_files(source: Path) -> tuple[list[ExtractFile], list[str]]:
    """The extract's files, and the names of other entries (canonical tables excluded).

    Raises
    ------
    BuildError
        When the folder does not exist.
    """
    if not source.is_dir():
        raise BuildError(f"{source}: the source folder does not exist")
    found: list[ExtractFile] = []
    other: list[str] = []
    for entry in sorted(source.iterdir(), key=lambda p: p.name.lower()):
        if entry.name.startswith((".", "_")) or entry.name in ("klynge-source.json", "klynge-codemap.csv"):
            continue
        stem = entry.name.rsplit(".", 1)[0] if entry.is_file() else entry.name
        if stem in TABLES:
            continue  # a canonical table: the build reads it
        table = table_name(entry.name) if entry.is_dir() or entry.suffix.lower() in _FORMATS else None
        if table is None:
            other.append(entry.name + ("/" if entry.is_dir() else ""))
        elif entry.is_file():
            found.append(ExtractFile(table, entry, entry.name))
        else:
            parts = sorted(p for p in entry.iterdir() if p.suffix.lower() in _FORMATS and not p.name.startswith((".", "_")))
            found.extend(ExtractFile(table, p, f"{entry.name}/{p.name}") for p in parts)
    return found, other


def canonical_file(source: Path, table: str) -> list[Path]:
    """The files of a canonical table lying in the source folder (``hospital_unit.csv`` ...)."""
    for ext in _FORMATS:
        if (source / f"{table}{ext}").is_file():
            return [source / f"{table}{ext}"]
    folder = source / table
    if folder.is_dir():
        return sorted(p for p in folder.iterdir() if p.suffix.lower() in _FORMATS and not p.name.startswith((".", "_")))
    return []


Record = dict[str, str | None]
"""A source row: lower-case column name -> stripped text (None when empty)."""


def text(value: Any) -> str | None:
    """A Parquet cell as extract text: dates and times ISO, integral numbers without ``.0``."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, float):
        return None if value != value else (str(int(value)) if value.is_integer() else repr(value))
    if isinstance(value, Decimal):
        return str(value.normalize()) if value == value.to_integral_value() else str(value)
    return str(value)


def columns(path: Path, label: str) -> list[str]:
    """The lower-case column names of a file (the header of a CSV, the schema of Parquet).

    Raises
    ------
    BuildError
        For an empty or unreadable file.
    """
    if path.suffix.lower() == ".parquet":
        try:
            return [n.strip().lower() for n in pq.read_schema(path).names]
        except Exception as error:  # pyarrow raises several kinds for a damaged file
            raise BuildError(f"{label}: not a readable Parquet file ({error})") from error
    with _utf8(path) as readable:
        return [n.lower() for n in read_header(readable, label)[1]]


def rows(path: Path, label: str) -> Iterator[tuple[str, Record | str]]:
    """``(source_record, record)`` per row; ``record`` is an error text for a malformed row.

    ``source_record`` is ``<label>:<line>`` for CSV (the line in the file, the header is line
    1) and ``<label>:<row>`` for Parquet (rows counted from 1).
    """
    if path.suffix.lower() == ".parquet":
        yield from _parquet_rows(path, label)
    else:
        yield from _csv_rows(path, label)


def _parquet_rows(path: Path, label: str) -> Iterator[tuple[str, Record | str]]:
    number = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=65_536):
        names = [n.strip().lower() for n in batch.schema.names]
        for row in batch.to_pylist():
            number += 1
            yield f"{label}:{number}", {name: text(value) for name, value in zip(names, row.values(), strict=True)}


def _csv_rows(path: Path, label: str) -> Iterator[tuple[str, Record | str]]:
    with _utf8(path) as readable:
        delimiter, header = read_header(readable, label)
        names = [n.lower() for n in header]
        with readable.open("r", encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, delimiter=delimiter)
            try:
                next(reader)
                line = reader.line_num
                for values in reader:
                    where, line = f"{label}:{line + 1}", reader.line_num
                    if not values:
                        continue  # a blank line is no record
                    if len(values) != len(names):
                        yield where, f"malformed CSV row: {len(values)} fields, the header has {len(names)}"
                        continue
                    yield where, {n: (v.strip() or None) for n, v in zip(names, values, strict=True)}
            except csv.Error as error:
                raise BuildError(f"{label}: unreadable CSV near line {reader.line_num} ({error})") from error


class _utf8:
    """The file itself if it is UTF-8, else a temporary UTF-8 copy of the Windows-1252 text."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> Path:
        if detect_encoding(self.path) != "legacy":
            return self.path
        self._tmp = tempfile.TemporaryDirectory(prefix="klynge-lpr3-")
        target = Path(self._tmp.name) / self.path.name
        transcode_legacy(self.path, target)
        return target

    def __exit__(self, *exc: object) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()


def pick(available: list[str], aliases: tuple[str, ...]) -> str | None:
    """The first of ``aliases`` that is a column of the file."""
    return next((a for a in aliases if a in available), None)


def resolve(path: Path, label: str, spec: dict[str, tuple[str, ...]], required: tuple[str, ...]) -> dict[str, str | None]:
    """Map each key of ``spec`` to the file's column among its aliases (None if absent).

    Raises
    ------
    BuildError
        When a required key has none of its aliases in the file: a mapping problem to fix at
        the source, named with the accepted names and the columns found.
    """
    available = columns(path, label)
    found = {key: pick(available, aliases) for key, aliases in spec.items()}
    missing = [key for key in required if found[key] is None]
    if missing:
        wanted = "; ".join(" or ".join(spec[key]) for key in missing)
        raise BuildError(f"{label}: required column(s) missing: {wanted} (found: {', '.join(available) or 'none'})")
    return found
