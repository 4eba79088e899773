"""Materialise the core derived tables in a warehouse connection."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import ibis
import ibis.expr.types as ir
from ibis.common.exceptions import TableNotFound

from klynge.contracts import TABLES
from klynge.core._person_time import person_time_expr
from klynge.core._session import use_danish_time_zone
from klynge.core._stays import action_diagnoses, chain_contacts, contact_stays, stay_rows, stays_from_rows

T = TypeVar("T")
R = TypeVar("R")

# The staging tables of `build_core` (temporary, not part of the warehouse).
_CHAINED, _ACTIONS = "_core__chained", "_core__action_diagnosis"
CORE_TABLES = ("core__stay", "core__contact_stay", "core__person_time")

# Hospital contacts per bucket of persons when DuckDB builds the stays. Beyond about this many,
# the stays' hash tables (the aggregate per stay, the joins) no longer fit in the memory limit
# on a 24 GB machine and spill: at 6M persons (57 M contacts) in one piece, `core__stay` took
# 9x its 1M time for 6x the rows.
CONTACTS_PER_BUCKET = 15_000_000

# Canonical logical types as Ibis types; timestamps are instants.
_IBIS_TYPES = {
    "string": "string", "int": "int64", "float": "float64", "date": "date",
    "timestamp": "timestamp('UTC')", "bool": "boolean",
}


def input_table(con: Any, name: str) -> ir.Table:
    """The validated input table ``input__<name>``, or an empty one of the canonical schema.

    Optional source tables (e.g. ``diagnosis``) may be absent from a council's warehouse; an empty
    table then gives empty results instead of an error.

    Parameters
    ----------
    con
        An Ibis backend connection holding the ``input__*`` tables.
    name
        Canonical table name, e.g. ``"hospital_contact"``.

    Examples
    --------
    >>> import ibis
    >>> input_table(ibis.duckdb.connect(), "diagnosis").count().execute()
    0
    """
    # Ask for the table itself: Ibis 12's DuckDB `list_tables` fails on DuckDB 2.0.
    try:
        return con.table(f"input__{name}")
    except TableNotFound:
        pass
    schema = ibis.schema({c.name: _IBIS_TYPES[c.dtype] for c in TABLES[name].columns})
    return ibis.memtable(schema.to_pyarrow().empty_table())


def replace_table(con: Any, name: str, expr: ir.Table) -> ir.Table:
    """Create table ``name`` from ``expr``, replacing any table of that name.

    Parameters
    ----------
    con
        An Ibis backend connection.
    name
        The table's name (a fixed, internal name: it is not quoted for arbitrary input).
    expr
        The rows to store.

    Examples
    --------
    >>> import ibis
    >>> con = ibis.duckdb.connect()
    >>> _ = replace_table(con, "t", ibis.memtable({"x": [1]}))
    >>> replace_table(con, "t", ibis.memtable({"x": [1, 2]})).count().execute()
    2
    """
    if con.name != "duckdb":
        return con.create_table(name, expr, overwrite=True)
    # Ibis 12 with sqlglot 30 renders `DROP TABLE IF EXISTS` without the table name, so DuckDB's
    # `create_table(overwrite=True)` and `drop_table` fail; drop it here and create it afresh.
    con.raw_sql(f'DROP TABLE IF EXISTS "{name}"')
    return con.create_table(name, expr)


def build_core(con: Any, period_start: dt.date, period_end: dt.date) -> dict[str, int]:
    """Create (or replace) ``core__stay``, ``core__contact_stay`` and ``core__person_time``.

    Sets the session time zone to Europe/Copenhagen first, as the local dates depend on it.

    Parameters
    ----------
    con
        An Ibis backend connection (DuckDB or PySpark) holding the ``input__*`` tables.
    period_start, period_end
        First and last day (inclusive) of the person-time period.

    Returns
    -------
    dict of str to int
        Row count of each table created, by table name.

    Examples
    --------
    >>> import datetime as dt, ibis
    >>> con = ibis.duckdb.connect()
    >>> build_core(con, dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    {'core__stay': 0, 'core__contact_stay': 0, 'core__person_time': 0}
    """
    use_danish_time_zone(con)
    persons, residence = input_table(con, "person"), input_table(con, "residence")
    contacts, diagnoses = input_table(con, "hospital_contact"), input_table(con, "diagnosis")
    # The contacts are chained into stays once, and both stay tables are built from that (the
    # chaining sorts every contact of a person twice). A large population is done in buckets of
    # persons, each small enough to be built in memory; a person's contacts are all in one.
    buckets = _stay_buckets(con, contacts)
    actions = action_diagnoses(diagnoses)
    try:
        if buckets > 1:  # looked up by every bucket: aggregated once
            actions = stage_table(con, _ACTIONS, actions)
        # The hash may be signed (Ibis types it int64): the remainder is made non-negative.
        which = (contacts.person_id.hash() % buckets + buckets) % buckets
        for bucket in range(buckets):
            part = contacts if buckets == 1 else contacts.filter(which == bucket)
            chained = stage_table(con, _CHAINED, chain_contacts(part))
            parts = {"core__stay": stays_from_rows(stay_rows(chained), persons, actions),
                     "core__contact_stay": contact_stays(chained)}
            for name, expr in parts.items():
                if bucket == 0:
                    replace_table(con, name, expr)
                else:
                    con.insert(name, expr)
    finally:
        drop_staged(con, _CHAINED)
        drop_staged(con, _ACTIONS)
    replace_table(con, "core__person_time", person_time_expr(persons, residence, period_start, period_end))
    return {name: int(con.table(name).count().execute()) for name in CORE_TABLES}


def _stay_buckets(con: Any, contacts: ir.Table) -> int:
    """How many buckets of persons DuckDB builds the stays in (1 on Spark, which partitions itself)."""
    if con.name != "duckdb":
        return 1
    return max(1, -(-int(contacts.count().execute()) // CONTACTS_PER_BUCKET))


def stage_table(con: Any, name: str, expr: ir.Table) -> ir.Table:
    """Store ``expr`` as a temporary table ``name`` (replacing one), for several queries to read.

    Temporary: it lives until `drop_staged` or the end of the connection, and is not part of
    the warehouse. On Spark it is cached in memory (spilling to local disk).
    """
    drop_staged(con, name)
    return con.create_table(name, expr, temp=True)


def drop_staged(con: Any, name: str) -> None:
    """Drop a table made by `stage_table`, if it exists."""
    if con.name == "duckdb":  # Ibis 12's DuckDB `drop_table` fails on DuckDB 2.0
        con.raw_sql(f'DROP TABLE IF EXISTS "{name}"')
    else:
        con.drop_table(name, force=True)


def concurrent_queries(con: Any) -> int:
    """How many independent queries a build may run at once on ``con``.

    DuckDB runs one query at a time per connection, each on every core. Spark schedules the
    jobs of several threads side by side, which fills the cores a single job leaves idle
    (while it is scheduled, shuffles or hands its result to Python).
    """
    return 2 if con.name == "pyspark" else 1


def map_queries(con: Any, work: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
    """``work`` applied to each item, `concurrent_queries` at a time; results in item order.

    For independent queries on one connection (the indicators, the overview tables). An
    error in one is raised when its result is reached.
    """
    workers = concurrent_queries(con)
    if workers == 1:
        yield from map(work, items)
        return
    with ThreadPoolExecutor(workers) as pool:
        yield from pool.map(work, items)
