"""Engine session settings the core tables rely on: the Danish time zone.

Timestamps are instants (DuckDB ``TIMESTAMPTZ``, Spark ``TIMESTAMP``); turning one into a Danish
calendar date (``discharge_date``, ``admission_date``) is done by the engine in its session time
zone, so that zone must be Europe/Copenhagen. Elapsed times never depend on it: they are computed
as differences of instants.
"""

from __future__ import annotations

from typing import Any

DANISH_TIME_ZONE = "Europe/Copenhagen"

# The one raw statement per engine that the core layer issues (a session setting, not logic).
_SET_TIME_ZONE = {
    "duckdb": f"SET TimeZone = '{DANISH_TIME_ZONE}'",
    "pyspark": f"SET TIME ZONE '{DANISH_TIME_ZONE}'",
}


def use_danish_time_zone(con: Any) -> None:
    """Set the session time zone of an Ibis connection to Europe/Copenhagen.

    Parameters
    ----------
    con
        An Ibis backend connection (DuckDB or PySpark).

    Raises
    ------
    ValueError
        For a backend whose time-zone setting is not known here: local dates would silently be
        wrong, so the caller must set it and not use this function.

    Examples
    --------
    >>> import ibis
    >>> con = ibis.duckdb.connect()
    >>> use_danish_time_zone(con)
    """
    statement = _SET_TIME_ZONE.get(con.name)
    if statement is None:
        raise ValueError(f"do not know how to set the time zone of the {con.name!r} backend")
    con.raw_sql(statement)
