"""Chronic conditions (the nine RUKS conditions): prevalence and multimorbidity.

The person-level conditions come from `klynge.indicators._conditions.conditions_expr`, an
APPROXIMATION of Sundhedsdatastyrelsen's RUKS algorithms (diagnosis code lists, medication
routes, age limits and the T1D/T2D and asthma/COPD hierarchies of ``conditions.yaml``; no
pregnancy or PCOS exclusions, no HbA1c, no department rules). As in RUKS, a person has a
condition at a period's start when its first qualifying date lies before that day, and is
counted there when alive and resident on that day ("once diagnosed, always diagnosed").
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from klynge.indicators._conditions import condition_rules, conditions_expr
from klynge.marts._grid import complete, labels, share
from klynge.marts._output import finish
from klynge.marts._population import period_population, report_periods, with_age_band

PREVALENCE_COLUMNS = (
    "period", "condition", "municipality_code", "sex", "age_band", "age_band_start",
    "persons", "population", "prevalence",
)
MULTIMORBIDITY_COLUMNS = (
    "period", "municipality_code", "age_band", "age_band_start", "conditions",
    "persons", "population", "share",
)
# Persons by number of conditions; the last class is open.
CONDITION_COUNTS = ("0", "1", "2", "3+")


def condition_names() -> list[str]:
    """The conditions of ``conditions.yaml``, in its order (t1d, t2d, copd, ...)."""
    return list(condition_rules()["conditions"])


def _prevalent(con: Any, conditions: ir.Table | None, population: ir.Table) -> ir.Table:
    """Conditions held at the period start by persons alive and resident on that day."""
    c = conditions_expr(con) if conditions is None else conditions
    start = population.filter(population.at_start)
    j = start.join(c.select("person_id", "condition", "first_date"), "person_id")
    # RUKS prevalence on 1 January: the criteria were met at some time before that day.
    return j.filter(j.first_date < j.period_start)


def chronic_conditions_expr(
    con: Any, period: str = "year", population: ir.Table | None = None, conditions: ir.Table | None = None
) -> ir.Table:
    """The expression behind `chronic_conditions` (``population``/``conditions`` to reuse)."""
    if population is None:
        population = period_population(con, report_periods(con, period))
    keys = ("period", "municipality_code", "sex", "age_band_start")
    start = population.filter(population.at_start)
    cells = start.group_by(*keys).aggregate(population=start.count())
    prevalent = _prevalent(con, conditions, population)
    counted = prevalent.group_by(*keys, "condition").aggregate(persons=prevalent.count())
    t = complete(cells, labels("condition", condition_names()), counted, keys, {"persons": 0})
    t = t.mutate(prevalence=share(t.persons, t.population))
    return with_age_band(t).select(*PREVALENCE_COLUMNS)


def multimorbidity_expr(
    con: Any, period: str = "year", population: ir.Table | None = None, conditions: ir.Table | None = None
) -> ir.Table:
    """The expression behind `multimorbidity` (``population``/``conditions`` to reuse)."""
    if population is None:
        population = period_population(con, report_periods(con, period))
    prevalent = _prevalent(con, conditions, population)
    n = prevalent.group_by("person_id", "period").aggregate(n=prevalent.count())
    start = population.filter(population.at_start)
    p = start.left_join(n, ["person_id", "period"])
    k = p.n.fill_null(0)
    p = p.select("period", "municipality_code", "age_band_start",
                 conditions=ibis.ifelse(k >= 3, ibis.literal("3+"), k.cast("string")))
    keys = ("period", "municipality_code", "age_band_start")
    counted = p.group_by(*keys, "conditions").aggregate(persons=p.count())
    cells = p.group_by(*keys).aggregate(population=p.count())
    t = complete(cells, labels("conditions", CONDITION_COUNTS), counted, keys, {"persons": 0})
    t = t.mutate(share=share(t.persons, t.population))
    return with_age_band(t).select(*MULTIMORBIDITY_COLUMNS)


def chronic_conditions(con: Any, period: str = "year", *, gated: bool = True) -> pd.DataFrame:
    """Prevalence of the nine RUKS conditions at each period's start, by condition and cell.

    The conditions are approximations of the official RUKS algorithms (see the module
    docstring and ``docs/overview.md``).

    Parameters
    ----------
    con
        Ibis connection to a warehouse with ``input__*`` and ``core__person_time`` tables.
    period
        ``'year'``, ``'quarter'`` or ``'month'``; prevalence is counted on its first day.
    gated
        Pass the result through the privacy gate; only switch off inside klynge.

    Returns
    -------
    pandas.DataFrame
        One row per period × condition × municipality × sex × 5-year age band (age on the
        first day) with anyone alive and resident on the first day: ``persons`` (count with
        the condition before that day), ``population`` (count alive and resident on that
        day) and ``prevalence``.

    Examples
    --------
    >>> t = chronic_conditions(con)  # doctest: +SKIP
    >>> t.query("condition == 'copd' and period == '2024'").persons.sum()  # doctest: +SKIP
    503
    """
    order = ["period", "condition", "municipality_code", "sex", "age_band_start"]
    return finish(chronic_conditions_expr(con, period), order, ["persons", "population"],
                  {"prevalence": ["persons", "population"]}, gated=gated)


def multimorbidity(con: Any, period: str = "year", *, gated: bool = True) -> pd.DataFrame:
    """Persons by number of RUKS conditions (0, 1, 2, 3+) at each period's start.

    Parameters
    ----------
    con
        Ibis connection to a warehouse with ``input__*`` and ``core__person_time`` tables.
    period
        ``'year'``, ``'quarter'`` or ``'month'``; conditions are counted on its first day.
    gated
        Pass the result through the privacy gate; only switch off inside klynge.

    Returns
    -------
    pandas.DataFrame
        One row per period × municipality × 5-year age band × ``conditions`` (``'0'``,
        ``'1'``, ``'2'``, ``'3+'``): ``persons`` (count), ``population`` (count alive and
        resident on the first day; the sum of ``persons`` over the four classes) and ``share``.

    Examples
    --------
    >>> t = multimorbidity(con)  # doctest: +SKIP
    >>> t.query("period == '2024' and conditions == '3+'").persons.sum()  # doctest: +SKIP
    198
    """
    order = ["period", "municipality_code", "age_band_start", "conditions"]
    return finish(multimorbidity_expr(con, period), order, ["persons", "population"],
                  {"share": ["persons", "population"]}, gated=gated)
