"""Who is in the population of a period, and the population table itself.

A person belongs to a period's population when alive (birth day included, death day not) and
resident in a municipality (``valid_from`` included, ``valid_to`` not) on at least one day of
it. Their cell (municipality, sex, 5-year age band) is the one on their first such day: for
everyone resident at the period start, the municipality of residence and the age on that day.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from klynge.core import age_band_label, age_band_start, age_on, input_table
from klynge.marts._output import finish
from klynge.marts._periods import in_period, overlapping, periods_table, study_period

CELL = ("municipality_code", "sex", "age_band_start")
POPULATION_COLUMNS = (
    "period", "municipality_code", "sex", "age_band", "age_band_start",
    "persons_at_start", "person_years", "mean_population",
)


def report_periods(con: Any, period: str) -> ir.Table:
    """The reporting periods of the warehouse's study period (see `periods_table`)."""
    return periods_table(study_period(con), period)


def period_population(con: Any, periods: ir.Table) -> ir.Table:
    """One row per person and period in which the person is alive and resident on some day.

    Returns
    -------
    ibis.Table
        ``person_id``, ``period``, ``period_start`` (its first day), ``municipality_code``,
        ``sex``, ``age_band_start`` (on the first day alive and resident in the period) and
        ``at_start`` (alive and resident on the period's first day).

    Examples
    --------
    >>> period_population(con, report_periods(con, "year")).count().execute()  # doctest: +SKIP
    101328
    """
    person = input_table(con, "person").select("person_id", "birth_date", "sex", "death_date")
    residence = input_table(con, "residence")
    r = residence.join(person, "person_id")
    j = overlapping(r, "valid_from", "valid_to", periods)
    # The residence span clipped to the period and to life (birth included, death excluded).
    lo = ibis.greatest(j._lo, j.birth_date)
    hi = ibis.least(j._hi, j.death_date.fill_null(j._hi))
    spans = j.select("person_id", "period", "_start", "sex", "birth_date", "municipality_code", lo=lo, hi=hi)
    spans = spans.filter(spans.lo < spans.hi)
    # CPR holds one address at a time: the span starting first holds the first resident day.
    first = spans.group_by("person_id", "period", "_start", "sex", "birth_date").aggregate(
        first_day=spans.lo.min(), municipality_code=spans.municipality_code.argmin(spans.lo))
    return first.select(
        "person_id", "period", "municipality_code", "sex", period_start=first._start,
        age_band_start=age_band_start(age_on(first.birth_date, first.first_day)),
        at_start=first.first_day == first._start,
    )


def with_age_band(t: ir.Table) -> ir.Table:
    """Add the ``age_band`` label ('0-4' ... '95+') of ``age_band_start``."""
    return t.mutate(age_band=age_band_label(t.age_band_start))


def population_expr(con: Any, period: str = "year", population: ir.Table | None = None) -> ir.Table:
    """The expression behind `population_by` (``population``: a `period_population` to reuse)."""
    periods = report_periods(con, period)
    if population is None:
        population = period_population(con, periods)
    pt = con.table("core__person_time")
    pt = in_period(pt, pt.month, period, periods)
    keys = ("period", *CELL)
    zero = ibis.literal(0, "int64")
    time = pt.group_by(*keys).aggregate(persons_at_start=zero, person_days=pt.person_days.sum())
    start = population.filter(population.at_start)
    start = start.group_by(*keys).aggregate(persons_at_start=start.count(), person_days=zero)
    both = time.union(start)
    t = both.group_by(*keys).aggregate(persons_at_start=both.persons_at_start.sum(),
                                       person_days=both.person_days.sum())
    t = t.join(periods.select("period", "days"), "period")
    # Mean population = person-days / days in the period; person-years = person-days / 365.25.
    t = t.mutate(person_years=t.person_days.cast("float64") / 365.25,
                 mean_population=t.person_days.cast("float64") / t.days)
    return with_age_band(t).select(*POPULATION_COLUMNS)


def population_by(con: Any, period: str = "year", *, gated: bool = True) -> pd.DataFrame:
    """Population by period, municipality, sex and 5-year age band.

    Parameters
    ----------
    con
        Ibis connection to a warehouse with ``input__*`` and ``core__person_time`` tables.
    period
        ``'year'`` (labels ``'2024'``), ``'quarter'`` (``'2024-Q1'``) or ``'month'`` (``'2024-03'``).
    gated
        Pass the result through the privacy gate (counts 1-4 suppressed). Only switch off
        inside klynge, never for output.

    Returns
    -------
    pandas.DataFrame
        One row per period and cell with any person-time or anyone at the start:
        ``persons_at_start`` (count: alive and resident on the period's first day, by age on
        that day), ``person_years`` (person-days / 365.25, by age on each day, from
        ``core__person_time``) and ``mean_population`` (person-days / days in the period).

    Examples
    --------
    >>> from klynge.warehouse import open_warehouse
    >>> con = open_warehouse("warehouse")  # doctest: +SKIP
    >>> population_by(con).groupby("period").persons_at_start.sum().head(1)  # doctest: +SKIP
    period
    2021    19987
    """
    return finish(population_expr(con, period), ["period", *CELL], ["persons_at_start"],
                  {"person_years": ["persons_at_start"], "mean_population": ["persons_at_start"]}, gated=gated)
