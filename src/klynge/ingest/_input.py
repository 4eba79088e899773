"""Build one table of the input layer: validate, keep the good rows, quarantine the rest."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis

from klynge.contracts import Table
from klynge.ingest import _engine
from klynge.ingest._errors import ReconciliationError
from klynge.ingest._rules import IBIS_TYPES
from klynge.ingest._sources import SourceTable
from klynge.ingest._validate import (
    accepted_name,
    accepted_rows,
    quarantined_rows,
    repeated_keys,
    validate,
)


@dataclass(frozen=True)
class TableCounts:
    """Rows of one table: every row read is accepted, quarantined or out of scope.

    ``out_of_scope`` is only ever non-zero for a source in a foreign format, whose reader
    counts well-formed records klynge does not model (`klynge.readers`).
    """

    read: int
    accepted: int
    quarantined: int
    out_of_scope: int = 0


def load_input_table(con: Any, table: Table, source: SourceTable | None, quarantine: Path) -> TableCounts:
    """Create ``input__<table>`` from its source and write the bad rows to the quarantine.

    Parameters
    ----------
    con
        The Ibis connection of the build; the tables ``table`` references are loaded already.
    table
        The model's table.
    source
        Its source files, or None when the (optional) table is absent: the table is then
        created empty, with the model's columns.
    quarantine
        The folder for ``<table>.parquet`` of quarantined rows (written only if there are any).

    Raises
    ------
    ReconciliationError
        When rows read differ from rows accepted plus rows quarantined (a bug, never bad data).
    """
    name = f"input__{table.name}"
    if source is None:
        con.create_table(name, schema=ibis.schema({c.name: IBIS_TYPES[c.dtype] for c in table.columns}))
        return TableCounts(0, 0, 0)
    engine = _engine_of(con)
    with engine.reading([f.label for f in source.files]):
        raw = engine.raw_relation(con, source)
        repeated = None
        if table.primary_key:  # stored first: a small table the validation joins with
            repeated = con.create_table(f"_repeated__{table.name}", repeated_keys(raw, table), temp=True)
        expr = validate(raw, table, lambda ref: con.table(accepted_name(ref)), repeated)
        read = _rows_read(raw, source)
        # The accepted rows are written straight from the validation: one pass over the source.
        # Only when some rows are missing from them (to quarantine, usually none) does the
        # validation run again, keeping just those rows' numbers and reasons.
        con.create_table(name, accepted_rows(expr, table))
        accepted = engine.stored_rows(con, name)
        bad = None
        if accepted != read:
            bad = expr.filter(expr["reason"].notnull()).select("_row", "reason")
            bad = con.create_table(f"_checked__{table.name}", bad, temp=True)
        counts = TableCounts(read=read, accepted=accepted,
                             quarantined=0 if bad is None else int(bad.count().execute()))
        if counts.quarantined:
            quarantine.mkdir(parents=True, exist_ok=True)
            con.to_parquet(quarantined_rows(raw, bad), quarantine / f"{table.name}.parquet")
    engine.drop_staging(con, table.name)
    if counts.read != counts.accepted + counts.quarantined:
        raise ReconciliationError(
            f"internal error in table {table.name}: {counts.read} rows read but {counts.accepted} "
            f"accepted + {counts.quarantined} quarantined"
        )
    return counts


def _engine_of(con: Any) -> Any:
    """The module that reads sources for ``con``'s engine (DuckDB, or Spark when it is pyspark)."""
    if con.name == "pyspark":
        from klynge.ingest import _engine_spark

        return _engine_spark
    return _engine


def _rows_read(raw: Any, source: SourceTable) -> int:
    """Rows in the source: from the Parquet footers when every file has them, else counted.

    The footers are independent of the query that reads the rows, so a row lost or doubled
    on the way in (not only in validation) fails the reconciliation; and no scan is needed.
    """
    rows = [f.rows for f in source.files]
    if source.format == "parquet" and all(r is not None for r in rows):
        return sum(rows)
    return int(raw.count().execute())
