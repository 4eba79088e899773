"""Readers: foreign source formats into the canonical model (``klynge build --format``).

Each reader is a function ``read(source: Path, staging: Staging) -> None`` in its own module.
It maps every source record to a canonical row, or quarantines it with a reason, or counts it
as out of scope (`klynge.readers._base`). The build then validates the staged tables like any
canonical source. Canonical files (``person.csv`` ...) lying beside the foreign files in the
source folder are used for the tables the reader does not produce, so a council can combine,
for example, an LPR3 extract with its own canonical person and residence tables.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from klynge.readers._base import SOURCE_RECORD, ReaderReport, Staging, TableReport
from klynge.readers._time import DANISH, TimeError, parse_day, parse_instant

FORMATS: dict[str, str] = {
    "lpr3": "klynge.readers.lpr3",
    "fhir": "klynge.readers.fhir",
    "omop": "klynge.readers.omop",
}
"""Source format -> the module holding its ``read`` function (``canonical`` needs no reader)."""

Reader = Callable[[Path, Staging], None]


def reader(fmt: str) -> Reader:
    """The ``read`` function of a source format.

    Raises
    ------
    ValueError
        For an unknown format.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown source format {fmt!r}; expected canonical or one of {', '.join(FORMATS)}")
    return importlib.import_module(FORMATS[fmt]).read  # type: ignore[no-any-return]


def run_reader(fmt: str, source: Path, staging: Path, quarantine: Path) -> ReaderReport:
    """Read ``source`` in format ``fmt`` into canonical tables under ``staging``."""
    report = ReaderReport(fmt)
    stage = Staging(staging, quarantine, report)
    reader(fmt)(Path(source), stage)
    return stage.close()


__all__ = [
    "DANISH",
    "FORMATS",
    "SOURCE_RECORD",
    "ReaderReport",
    "Staging",
    "TableReport",
    "TimeError",
    "parse_day",
    "parse_instant",
    "reader",
    "run_reader",
]
