"""The warehouse build: read a council's sources, validate every row, build the warehouse.

``build_warehouse`` is what ``klynge build --source DIR --warehouse DIR`` runs. Rows that break
the canonical model (`klynge.contracts`) are quarantined with their reasons, never dropped.
"""

from klynge.ingest._build import BuildResult, build_warehouse
from klynge.ingest._errors import BuildError, ReconciliationError
from klynge.ingest._input import TableCounts

__all__ = ["BuildError", "BuildResult", "ReconciliationError", "TableCounts", "build_warehouse"]
