"""``export_indicators``: the gated indicator table as CSV, Parquet or FHIR MeasureReport."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from klynge.exports._table import COLUMNS, COUNTS, read_indicators

Format = Literal["csv", "parquet", "measurereport"]


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote: the files, the rows of the indicator table and how many were suppressed."""

    files: list[Path]
    rows: int
    suppressed: int
    resources: dict[str, int] = field(default_factory=dict)


def export_indicators(warehouse: Path | str, out: Path | str, *, format: Format = "csv",
                      indicators: list[str] | None = None, level: str | list[str] | None = None,
                      period: str | list[str] | None = None, excel: bool = False, bundle: bool = False,
                      base_url: str | None = None) -> ExportResult:
    """Write the gated indicator table, or a selection of it, for other tools.

    Everything comes from ``marts__indicator_long`` as the privacy gate left it at build time
    (the same table ``klynge indicators show`` reads); a suppressed cell is written empty with
    its ``suppressed`` flag (CSV, Parquet) or with the data-absent-reason ``masked`` (FHIR),
    never as 0. See ``docs/outputs.md`` for every column and FHIR element.

    Parameters
    ----------
    warehouse
        Warehouse folder.
    out
        The file to write (``csv``, ``parquet``), or a folder (``measurereport``: it receives
        ``Measure.ndjson`` and ``MeasureReport.ndjson``, and ``bundle.json`` with ``bundle``).
    format
        ``csv``, ``parquet`` or ``measurereport`` (FHIR R4).
    indicators, level, period
        The selection (see :func:`klynge.exports.read_indicators`); default everything.
    excel
        CSV for Danish Excel: ``;`` between fields, decimal comma, UTF-8 with a byte-order mark.
        The default CSV is plain RFC 4180: ``,``, decimal point, UTF-8 without a mark.
    bundle
        FHIR only: also write one Bundle (type ``collection``) holding every resource.
    base_url
        FHIR only: base of the canonical URLs (default ``https://klynge.dk/fhir``).

    Examples
    --------
    >>> export_indicators("wh", "ind.csv", indicators=["readmission_30d"], level="region")  # doctest: +SKIP
    ExportResult(files=[PosixPath('ind.csv')], rows=84, suppressed=3, resources={})
    """
    frame = read_indicators(warehouse, indicators=indicators, level=level, period=period)
    out = Path(out)
    suppressed = int(frame["suppressed"].sum())
    if format == "csv":
        write_csv(frame, out, excel=excel)
        return ExportResult([out], len(frame), suppressed)
    if format == "parquet":
        write_parquet(frame, out)
        return ExportResult([out], len(frame), suppressed)
    if format == "measurereport":
        from klynge.exports._fhir import DEFAULT_BASE, write_fhir

        files, counts = write_fhir(frame, out, base_url=base_url or DEFAULT_BASE, bundle=bundle)
        return ExportResult(files, len(frame), suppressed, counts)
    raise ValueError(f"unknown format {format!r}; use csv, parquet or measurereport")


def write_csv(frame: pd.DataFrame, out: Path, *, excel: bool = False) -> None:
    """CSV with a header row; empty fields for suppressed or missing values; ``true``/``false`` flags."""
    text = frame.copy()
    for col in text.columns:
        if text[col].dtype == bool:
            text[col] = text[col].map({True: "true", False: "false"})
    out.parent.mkdir(parents=True, exist_ok=True)
    text.to_csv(out, index=False, sep=";" if excel else ",", decimal="," if excel else ".",
                encoding="utf-8-sig" if excel else "utf-8", lineterminator="\r\n" if excel else "\n",
                date_format="%Y-%m-%d")


def parquet_schema() -> pa.Schema:
    """The typed Parquet schema of the indicator export, each field with its description."""
    fields = []
    for col, doc in COLUMNS.items():
        if col in ("period_start", "period_end"):
            kind = pa.date32()
        elif col in COUNTS:
            kind = pa.int64()
        elif col in ("suppressed", "n_units_suppressed", "n_events_suppressed"):
            kind = pa.bool_()
        elif col in ("multiplier",) or col in ("numerator", "denominator", "value", "ci_low", "ci_high", "std_value",
                                                "std_ci_low", "std_ci_high", "expected", "smr", "smr_ci_low",
                                                "smr_ci_high"):
            kind = pa.float64()
        else:
            kind = pa.string()
        nullable = col not in ("indicator_id", "period_type", "period", "level", "geo_code", "stratum_type", "stratum",
                               "suppressed", "n_units_suppressed", "n_events_suppressed")
        fields.append(pa.field(col, kind, nullable=nullable, metadata={"description": doc}))
    return pa.schema(fields, metadata={"klynge": json.dumps({"table": "marts__indicator_long",
                                                              "privacy": "gated at build (docs/privacy.md)"})})


def write_parquet(frame: pd.DataFrame, out: Path) -> None:
    """Parquet with fixed types (int64 counts, float64 values, date32 period bounds, bool flags)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(frame, schema=parquet_schema(), preserve_index=False)
    pq.write_table(table, out)
