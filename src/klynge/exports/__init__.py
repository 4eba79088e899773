"""Outputs for other tools: indicator results (CSV, Parquet, FHIR R4 MeasureReport) and the
canonical model (a Frictionless Data Package). See ``docs/outputs.md``.

Indicator results come only from the table the privacy gate wrote; the canonical model is
person-level and leaves only for an allowed role, with every attempt in the audit log.
"""

from klynge.exports._canonical import CanonicalExport, datapackage, export_canonical
from klynge.exports._fhir import DEFAULT_BASE, measure, measure_reports
from klynge.exports._indicators import ExportResult, export_indicators, parquet_schema
from klynge.exports._table import COLUMNS, NotGatedError, check_gated, period_bounds, read_indicators

__all__ = [
    "COLUMNS",
    "DEFAULT_BASE",
    "CanonicalExport",
    "ExportResult",
    "NotGatedError",
    "check_gated",
    "datapackage",
    "export_canonical",
    "export_indicators",
    "measure",
    "measure_reports",
    "parquet_schema",
    "period_bounds",
    "read_indicators",
]
