"""Read access to the current warehouse build."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import ibis

from klynge.warehouse._layout import DATABASE, MANIFEST, current_target

# Naive timestamps are Danish local time, and local dates of instants are Danish dates.
DANISH_TIME_ZONE = "Europe/Copenhagen"


def current_build(warehouse: Path) -> Path:
    """Return the folder of the current (last successful) build.

    Parameters
    ----------
    warehouse
        The warehouse folder given to ``klynge build --warehouse``.

    Returns
    -------
    pathlib.Path
        The resolved ``WAREHOUSE/builds/<run_id>`` folder.

    Raises
    ------
    FileNotFoundError
        When the warehouse has no finished build yet.

    Examples
    --------
    >>> current_build(Path("warehouse"))  # doctest: +SKIP
    PosixPath('/data/warehouse/builds/20241231T235959Z-a1b2c3')
    """
    target = current_target(Path(warehouse))
    if target is None:
        raise FileNotFoundError(
            f"{warehouse} holds no finished build (no 'current' link): "
            "run `klynge build --source DIR --warehouse DIR` first"
        )
    return target


def read_manifest(warehouse: Path) -> dict[str, Any]:
    """Return the manifest of the current build: counts, period, versions, timings.

    Examples
    --------
    >>> read_manifest(Path("warehouse"))["tables"]["person"]["accepted"]  # doctest: +SKIP
    1000
    """
    path = current_build(warehouse) / MANIFEST
    result: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return result


def open_warehouse(warehouse: Path) -> Any:
    """Open the current build read-only, as an Ibis DuckDB backend.

    The build is resolved once, when opening: a build published later does not change what an
    open connection sees. The session time zone is Europe/Copenhagen, so that local dates of
    timestamps are Danish dates.

    Parameters
    ----------
    warehouse
        The warehouse folder.

    Returns
    -------
    ibis.backends.duckdb.Backend
        A read-only connection; tables ``input__*``, ``core__*`` and ``ref__*``.

    Examples
    --------
    >>> con = open_warehouse(Path("warehouse"))  # doctest: +SKIP
    >>> con.table("input__person").count().execute()  # doctest: +SKIP
    1000
    """
    database = current_build(warehouse) / DATABASE
    con = ibis.duckdb.connect(str(database), read_only=True)
    con.raw_sql(f"SET TimeZone = '{DANISH_TIME_ZONE}'")
    return con
