"""Materialise the population overview as ``marts__*`` tables in the warehouse."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from klynge.core import drop_staged, map_queries, replace_table, stage_table, use_danish_time_zone
from klynge.indicators._conditions import conditions_expr
from klynge.marts._chronic import chronic_conditions_expr, multimorbidity_expr
from klynge.marts._cost import cost_expr
from klynge.marts._periods import check_period
from klynge.marts._population import period_population, population_expr, report_periods
from klynge.marts._sectors import sector_overlap_expr

# The staging table of `write_overview` (temporary, not part of the warehouse).
_POPULATION = "_overview__population"

OVERVIEW_TABLES = (
    "marts__conditions", "marts__population", "marts__sector_overlap",
    "marts__condition_prevalence", "marts__multimorbidity", "marts__cost",
)


def write_overview(
    con: Any,
    period: str = "year",
    prices: str | Path | Mapping[str, Any] | None = None,
    *,
    reuse_conditions: bool = False,
) -> dict[str, int]:
    """Create (or replace) the overview tables in a writable warehouse connection.

    ``marts__conditions`` holds the person-level conditions (``person_id``, ``condition``,
    ``first_date``, ``via``) for other marts; it is written first and the prevalence tables
    are computed from it. The other tables hold what `population_by`, `sector_overlap`,
    `chronic_conditions`, `multimorbidity` and `cost_per_citizen` return, ungated: the gate
    applies when aggregates leave the warehouse, not inside it.

    Parameters
    ----------
    con
        A writable Ibis DuckDB (or Spark) connection holding the ``input__*`` and ``core__*``
        tables (not `klynge.warehouse.open_warehouse`, which is read-only).
    period
        ``'year'``, ``'quarter'`` or ``'month'``, for all tables.
    prices
        Overrides of the unit prices for ``marts__cost`` (see `load_unit_prices`).
    reuse_conditions
        Keep the ``marts__conditions`` table already written from the same tables (by
        `klynge.indicators.write_indicators` in the same build) instead of computing it again.

    Returns
    -------
    dict of str to int
        Row count of each table written, in the order of `OVERVIEW_TABLES`.

    Examples
    --------
    >>> import ibis
    >>> con = ibis.duckdb.connect("warehouse/current/klynge.duckdb")  # doctest: +SKIP
    >>> write_overview(con)["marts__cost"]  # doctest: +SKIP
    3576
    """
    check_period(period)
    use_danish_time_zone(con)
    if reuse_conditions:
        counts = {"marts__conditions": con.table("marts__conditions")}
    else:
        counts = {"marts__conditions": replace_table(con, "marts__conditions", conditions_expr(con))}
    conditions = con.table("marts__conditions")
    # The persons of each period, read by every table below: computed once.
    population = stage_table(con, _POPULATION, period_population(con, report_periods(con, period)))
    try:
        tables = {
            "marts__population": population_expr(con, period, population),
            "marts__sector_overlap": sector_overlap_expr(con, period, population),
            "marts__condition_prevalence": chronic_conditions_expr(con, period, population, conditions),
            "marts__multimorbidity": multimorbidity_expr(con, period, population, conditions),
            "marts__cost": cost_expr(con, period, prices, population),
        }
        written = map_queries(con, lambda item: replace_table(con, *item), tables.items())
        counts |= dict(zip(tables, written, strict=True))
        return {name: int(table.count().execute()) for name, table in counts.items()}
    finally:
        drop_staged(con, _POPULATION)
