"""Sector overlap: who was in contact with hospital, municipal care and general practice.

Rules, per period:

* hospital: any hospital contact (physical, virtual or home visit) on a Danish calendar day of
  the period, from its start to its end day (an ongoing contact on its start day);
* municipality: any municipal care service active on a day of the period (``start_date``
  included, ``end_date`` not; an open service is active until today);
* gp: any general-practice contact dated in the period.

The denominator is the period's population (alive and resident on at least one day, see
`klynge.marts._population`), in the cell of their first resident day. Contacts of persons
outside the population (not resident in the period) are left out.
"""

from __future__ import annotations

import itertools
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from klynge.core import input_table
from klynge.marts._grid import complete, share
from klynge.marts._output import finish
from klynge.marts._periods import in_period, overlapping
from klynge.marts._population import period_population, report_periods, with_age_band

SECTORS = ("hospital", "municipality", "gp")
NO_SECTOR = "none"
SECTOR_OVERLAP_COLUMNS = (
    "period", "municipality_code", "age_band", "age_band_start", "combination", *SECTORS,
    "persons", "population", "share",
)


def combinations_table() -> ir.Table:
    """The 8 combinations of the three sectors, labelled like ``'hospital+gp'`` or ``'none'``.

    Examples
    --------
    >>> combinations_table().combination.to_list()[:3]
    ['none', 'gp', 'municipality']
    """
    rows = []
    for flags in itertools.product((False, True), repeat=len(SECTORS)):
        label = "+".join(s for s, f in zip(SECTORS, flags, strict=True) if f) or NO_SECTOR
        rows.append((label, *flags))
    columns = list(zip(*rows, strict=True))
    data = {"combination": pa.array(columns[0], pa.string())}
    data |= {s: pa.array(c, pa.bool_()) for s, c in zip(SECTORS, columns[1:], strict=True)}
    return ibis.memtable(pa.table(data))


def sector_contacts(con: Any, periods: ir.Table, period: str) -> ir.Table:
    """``person_id``, ``period`` and a flag per sector, for every person in contact with one in a period.

    One aggregate over the contacts of all three sectors (not a distinct per sector first).
    """
    hc = input_table(con, "hospital_contact")
    first_day = hc.start_time.date()
    # The day after the last day: a contact ending at 00:30 on 2 March touches 2 March.
    hc = hc.select("person_id", lo=first_day,
                   hi=ibis.coalesce(hc.end_time.date(), first_day) + ibis.interval(days=1))
    hospital = overlapping(hc, "lo", "hi", periods).select("person_id", "period")
    service = input_table(con, "municipal_service")
    municipality = overlapping(service, "start_date", "end_date", periods).select("person_id", "period")
    gp_contact = input_table(con, "gp_contact")
    gp = in_period(gp_contact, gp_contact.contact_date, period, periods).select("person_id", "period")
    parts = [t.mutate(**{s: ibis.literal(s == sector) for s in SECTORS})
             for t, sector in zip((hospital, municipality, gp), SECTORS, strict=True)]
    contacts = ibis.union(*parts, distinct=False)
    return contacts.group_by("person_id", "period").aggregate(**{s: contacts[s].any() for s in SECTORS})


def sector_overlap_expr(con: Any, period: str = "year", population: ir.Table | None = None) -> ir.Table:
    """The expression behind `sector_overlap` (``population``: a `period_population` to reuse)."""
    periods = report_periods(con, period)
    if population is None:
        population = period_population(con, periods)
    flags = sector_contacts(con, periods, period)
    p = population.left_join(flags, ["person_id", "period"])
    p = p.select("period", "municipality_code", "age_band_start",
                 **{s: p[s].fill_null(False) for s in SECTORS})
    keys = ("period", "municipality_code", "age_band_start")
    counted = p.group_by(*keys, *SECTORS).aggregate(persons=p.count())
    cells = p.group_by(*keys).aggregate(population=p.count())
    t = complete(cells, combinations_table(), counted, keys, {"persons": 0})
    t = t.mutate(share=share(t.persons, t.population))
    return with_age_band(t).select(*SECTOR_OVERLAP_COLUMNS)


def sector_overlap(con: Any, period: str = "year", *, gated: bool = True) -> pd.DataFrame:
    """Persons by the combination of sectors they were in contact with, per period and cell.

    Parameters
    ----------
    con
        Ibis connection to a warehouse with ``input__*`` and ``core__person_time`` tables.
    period
        ``'year'``, ``'quarter'`` or ``'month'``.
    gated
        Pass the result through the privacy gate; only switch off inside klynge.

    Returns
    -------
    pandas.DataFrame
        One row per period × municipality × 5-year age band × combination (all 8, including
        ``'none'``): ``hospital``, ``municipality``, ``gp`` (the combination as flags),
        ``persons`` (count), ``population`` (count; alive and resident on some day of the
        period, the sum of ``persons`` over the 8 combinations) and ``share``.

    Examples
    --------
    >>> t = sector_overlap(con, "year")  # doctest: +SKIP
    >>> t[t.period == "2024"].groupby("combination").persons.sum()["hospital+municipality+gp"]  # doctest: +SKIP
    1652
    """
    order = ["period", "municipality_code", "age_band_start", *SECTORS]
    return finish(sector_overlap_expr(con, period), order, ["persons", "population"],
                  {"share": ["persons", "population"]}, gated=gated)
