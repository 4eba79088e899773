"""The engine-specific part of the build (DuckDB): connecting, and reading source files.

Everything else (validation, quarantine, counts) is written as Ibis expressions and would run
unchanged on another Ibis backend; only this module knows DuckDB's SQL. The raw SQL is also
where Ibis 12 does not yet work with DuckDB 2.0 (``Backend.sql``, ``drop_table`` and
``list_tables`` fail there), so staging objects are created and dropped here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import ibis
import ibis.expr.types as ir

from klynge.contracts import CPR_PATTERN
from klynge.ingest._errors import BuildError
from klynge.ingest._sources import SourceTable
from klynge.warehouse._open import DANISH_TIME_ZONE

# Share of the machine's memory DuckDB may use; the rest is for Python, the OS page cache
# (which holds the Parquet files) and headroom. Beyond it DuckDB spills to its temp folder.
# 0.4 keeps a national build (6M persons) under 12 GB on a 24 GB machine, marts included.
MEMORY_SHARE = 0.4


def connect(database: Path, spill: Path) -> Any:
    """Open a new DuckDB database for writing, tuned for a large build.

    Naive timestamps in the sources are Danish local time: the session time zone is what
    turns them into instants, so it is set before anything is read.
    """
    spill.mkdir(parents=True, exist_ok=True)
    con = ibis.duckdb.connect(str(database), memory_limit=memory_limit(), temp_directory=str(spill))
    con.raw_sql(f"SET TimeZone = '{DANISH_TIME_ZONE}'")
    con.raw_sql("SET enable_progress_bar = false")  # the build shows its own progress
    # No result of the build depends on the order rows are stored in (row numbers are columns,
    # every order is explicit), and keeping it makes DuckDB buffer whole inserts in memory.
    con.raw_sql("SET preserve_insertion_order = false")
    return con


def memory_limit() -> str:
    """DuckDB's memory limit: a share of the physical memory, or of the cgroup limit if lower."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if limit.isdigit():
            total = min(total, int(limit))
    except OSError:
        pass
    return f"{int(total * MEMORY_SHARE) // 2**20}MB"


def raw_relation(con: Any, source: SourceTable) -> ir.Table:
    """The source rows as read, with ``_row``, the 1-based row number in the source.

    Columns: ``_row``, each mapped source column under its canonical name (in its source type;
    all text for CSV), then the extra source columns under their own names. Rows of several
    part files are numbered on across the files, in file-name order. For CSV, ``_row`` counts
    data rows (the header is not a row).
    """
    name = _quote(f"_raw__{source.table}")
    columns = ", ".join(_quote(c) for c in source.source_columns)
    if source.format == "csv":
        # Staged first, file by file: CSV has no row-number column, and a table keeps the
        # order rows were inserted in. Each file is read with its own header's column names.
        staged = _quote(f"_csv__{source.table}")
        con.raw_sql(
            f"CREATE TEMP TABLE {staged} ({', '.join(f'{_quote(c)} VARCHAR' for c in source.source_columns)})"
        )
        # Here the order is the row number: insert in file order (see `connect`).
        con.raw_sql("SET preserve_insertion_order = true")
        for file in source.files:
            names = ", ".join(f"{_literal(c)}: 'VARCHAR'" for c in file.columns)
            con.raw_sql(
                f"INSERT INTO {staged} BY NAME SELECT * FROM read_csv({_literal(str(file.read_path))}, "
                f"header = true, columns = {{{names}}}, delim = {_literal(source.delimiter or ',')}, "
                "quote = '\"', escape = '\"', auto_detect = false)"
            )
        con.raw_sql("SET preserve_insertion_order = false")
        row, relation = "rowid + 1", staged
    else:
        offsets, start = [], 0
        for file in source.files:
            offsets.append(f"({_literal(str(file.read_path))}, {start})")
            start += file.rows or 0
        paths = "[" + ", ".join(_literal(str(f.read_path)) for f in source.files) + "]"
        relation = (
            f"read_parquet({paths}, filename = true, file_row_number = true, union_by_name = true) "
            f"JOIN (VALUES {', '.join(offsets)}) AS _offsets(_file, _offset) ON filename = _file"
        )
        row = "_offset + file_row_number + 1"
    con.raw_sql(f"CREATE TEMP VIEW {name} AS SELECT CAST({row} AS BIGINT) AS _row, {columns} FROM {relation}")
    # Renamed in the query, not in the view: a DuckDB view keeps a source spelling such as
    # "Person_ID" even when aliased to "person_id", as names differing in case are one name.
    return con.table(f"_raw__{source.table}").rename({c: s for c, s in source.columns.items() if c != s})


def stored_rows(con: Any, name: str) -> int:
    """Rows of a table the build stored (DuckDB keeps the count: no scan)."""
    return int(con.table(name).count().execute())


def drop_staging(con: Any, table: str) -> None:
    """Drop the staging objects of one table (they are temporary: gone at close anyway)."""
    con.raw_sql(f"DROP VIEW IF EXISTS {_quote(f'_raw__{table}')}")
    for staged in (f"_csv__{table}", f"_checked__{table}", f"_repeated__{table}"):
        con.raw_sql(f"DROP TABLE IF EXISTS {_quote(staged)}")


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@contextmanager
def reading(labels: list[str]) -> Iterator[None]:
    """Turn the engine's errors about unreadable input into a `BuildError` naming the files.

    Errors that can only come from a wrong query (parser, binder, catalog) are bugs in the
    build, and running out of memory is not the files' fault: those are raised as they are.
    Any other engine error while a table is read means its files could not be decoded
    (corrupt pages, a malformed CSV line, an I/O error).
    """
    try:
        yield
    except _NOT_ABOUT_THE_FILES:
        raise
    except duckdb.Error as error:
        raise BuildError(
            f"{', '.join(labels)}: cannot read the file; it is corrupt or malformed ({_explain(error)})"
        ) from error


def _explain(error: duckdb.Error) -> str:
    """The engine's account of the problem, up to its list of possible fixes, CPR-masked.

    A CSV error quotes the offending line, which may hold a CPR number.
    """
    lines = []
    for line in str(error).strip().splitlines():
        if line.startswith("Possible fixes"):
            break
        if line.strip():
            lines.append(line.strip())
    text = " / ".join(lines) or type(error).__name__
    return re.sub(CPR_PATTERN, lambda match: re.sub("[0-9]", "X", match.group()), text)


_NOT_ABOUT_THE_FILES = (
    duckdb.ParserException,
    duckdb.BinderException,
    duckdb.CatalogException,
    duckdb.NotImplementedException,
    duckdb.OutOfMemoryException,
    duckdb.InterruptException,
)
