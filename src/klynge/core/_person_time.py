"""Person-time: the denominator of every rate, as person-days by month and population cell.

A person counts on a day when alive (birth date inclusive, death date exclusive) and resident in a
municipality (``valid_from`` inclusive, ``valid_to`` exclusive, null = still living there). The
cells are calendar month × municipality × sex × 5-year age band; ages follow :mod:`._ages`.

Nothing is ever expanded to days or to person-months, so 6 M persons × 60 months stay cheap:

1. each residence span is clipped to life and to the period;
2. it is split at the birthdays where the person enters a new age band (a join with the 20
   bands; the dates are arithmetic on the birth date), so each segment lies in one cell;
3. a segment touches the months ``m0..m1``: it gives partial days to its first and last month
   and whole months in between. Per cell and month we add up the segments starting and ending
   there with their partial days, then running sums over a small grid (cells × the months
   table, an ``ibis.memtable``) give the segments touching and fully covering each month.

``persons`` counts a person once per cell-month without a distinct count. Residence spans of one
person do not overlap (CPR has one address at a time), so a person has two segments touching
one cell-month only when an earlier span in the same municipality and band reaches into the
month where a later one starts; that later segment is then not counted again.
"""

from __future__ import annotations

import datetime as dt
import itertools

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from klynge.core._ages import (
    AGE_BAND_STARTS,
    AGE_BAND_WIDTH,
    OPEN_AGE_BAND_START,
    age_band_label,
    age_band_start,
    age_on,
    birthday,
)

DAYS_PER_YEAR = 365.25
_CELL = ("municipality_code", "sex", "age_band_start")

PERSON_TIME_COLUMNS = (
    "month", "municipality_code", "sex", "age_band", "age_band_start",
    "person_days", "person_years", "persons",
)


def months_table(period_start: dt.date, period_end: dt.date) -> ir.Table:
    """The calendar months touching a period, as a small in-memory table.

    Parameters
    ----------
    period_start, period_end
        First and last day of the period (both inclusive).

    Returns
    -------
    ibis.Table
        ``month`` (first day, date), ``month_index`` (year × 12 + month - 1) and
        ``days_in_month``.

    Examples
    --------
    >>> import datetime as dt
    >>> months_table(dt.date(2024, 11, 15), dt.date(2025, 1, 3)).month.to_list()
    [datetime.date(2024, 11, 1), datetime.date(2024, 12, 1), datetime.date(2025, 1, 1)]
    """
    if period_end < period_start:
        raise ValueError(f"period_end {period_end} is before period_start {period_start}")
    firsts = [period_start.replace(day=1)]
    while firsts[-1] <= period_end:
        firsts.append((firsts[-1] + dt.timedelta(days=32)).replace(day=1))
    return ibis.memtable(pa.table({
        "month": pa.array(firsts[:-1], pa.date32()),
        "month_index": pa.array([_index(m) for m in firsts[:-1]], pa.int64()),
        "days_in_month": pa.array([(b - a).days for a, b in itertools.pairwise(firsts)], pa.int64()),
    }))


def _index(month: dt.date) -> int:
    return month.year * 12 + month.month - 1


def _month_index(day: ir.DateValue) -> ir.IntegerValue:
    return day.year() * 12 + day.month() - 1


def _month_start(index: ir.IntegerValue) -> ir.DateValue:
    return ibis.date(index // 12, index % 12 + 1, 1)


def _spans(persons: ir.Table, residence: ir.Table, start: dt.date, end_excl: dt.date) -> ir.Table:
    """Residence spans ``[lo, hi)`` clipped to life (birth incl., death excl.) and the period."""
    p = persons.select("person_id", "birth_date", "sex", "death_date")
    r = residence.join(p, "person_id")
    lo = ibis.greatest(r.valid_from, r.birth_date, ibis.literal(start))
    hi = ibis.least(r.valid_to.fill_null(end_excl), r.death_date.fill_null(end_excl), ibis.literal(end_excl))
    spans = r.select("person_id", "municipality_code", "sex", "birth_date", lo=lo, hi=hi)
    spans = spans.filter(spans.lo < spans.hi)
    # The end of the person's previous span in the same municipality (for counting persons).
    same_place = ibis.window(group_by=["person_id", "municipality_code"], order_by="lo")
    return spans.mutate(previous_hi=spans.hi.lag().over(same_place))


def _band_ranges() -> ir.Table:
    """Every (first_band, last_band) pair with each band between: an equi-join, not a range join."""
    bands = AGE_BAND_STARTS
    rows = [(f, t, b) for f in bands for t in bands for b in bands if f <= b <= t]
    names = ("first_band", "last_band", "age_band_start")
    columns = zip(*rows, strict=True)
    return ibis.memtable(pa.table({n: pa.array(c, pa.int64()) for n, c in zip(names, columns, strict=True)}))


def _segments(spans: ir.Table) -> ir.Table:
    """Spans split where a new age band starts: ``[lo, hi)`` within one cell, with ``repeat``."""
    # The bands a span can touch: from the band on its first day to the band on its end day
    # (one too many when the end day starts a band; that segment comes out empty).
    spans = spans.mutate(first_band=age_band_start(age_on(spans.birth_date, spans.lo)),
                         last_band=age_band_start(age_on(spans.birth_date, spans.hi)))
    j = spans.join(_band_ranges(), ["first_band", "last_band"])
    band_from = birthday(j.birth_date, j.age_band_start)
    band_to = ibis.ifelse(j.age_band_start >= OPEN_AGE_BAND_START, j.hi,
                          ibis.least(j.hi, birthday(j.birth_date, j.age_band_start + AGE_BAND_WIDTH)))
    lo = ibis.greatest(j.lo, band_from)
    # The person is already counted in this cell-month when the previous span in the same
    # municipality reaches into the month this segment starts in and ended in the same band
    # (only a span's first segment can: the others start at a birthday after that end).
    reaches_month = j.previous_hi > _month_start(_month_index(lo))
    repeat = (reaches_month & (band_from < j.previous_hi)).fill_null(False)
    seg = j.select(*_CELL, lo=lo, hi=band_to, repeat=repeat.cast("int64"))
    return seg.filter(seg.lo < seg.hi)


def _month_events(seg: ir.Table) -> ir.Table:
    """Per cell and month: segments starting and ending there, their partial days, repeats."""
    first = _month_index(seg.lo)
    last = _month_index(seg.hi) - (seg.hi.day() == 1).cast("int64")  # month of the day before hi
    one_month = first == last
    starts = seg.select(
        *_CELL, month_index=first, starts=ibis.literal(1, "int64"), ends=one_month.cast("int64"),
        partial_ends=ibis.literal(0, "int64"), repeats=seg.repeat,
        days=ibis.least(seg.hi, _month_start(first + 1)).delta(seg.lo, unit="day"),
    )
    ends = seg.filter(~one_month).select(
        *_CELL, month_index=last, starts=ibis.literal(0, "int64"), ends=ibis.literal(1, "int64"),
        partial_ends=ibis.literal(1, "int64"), repeats=ibis.literal(0, "int64"),
        days=seg.hi.delta(_month_start(last), unit="day"),
    )
    events = starts.union(ends, distinct=False)
    return events.group_by(*_CELL, "month_index").aggregate(
        starts=events.starts.sum(), ends=events.ends.sum(), partial_ends=events.partial_ends.sum(),
        repeats=events.repeats.sum(), days=events.days.sum(),
    )


def person_time_expr(
    persons: ir.Table, residence: ir.Table, period_start: dt.date, period_end: dt.date
) -> ir.Table:
    """Person-days by month × municipality of residence × sex × 5-year age band.

    Parameters
    ----------
    persons
        Rows of the canonical ``person`` table (``person_id``, ``birth_date``, ``sex``, ``death_date``).
    residence
        Rows of the canonical ``residence`` table; spans of one person must not overlap.
    period_start, period_end
        First and last day counted (both inclusive).

    Returns
    -------
    ibis.Table
        ``month`` (first day, date), ``municipality_code``, ``sex``, ``age_band`` (``'0-4'`` …
        ``'95+'``), ``age_band_start`` (int), ``person_days`` (int), ``person_years``
        (person_days / 365.25) and ``persons`` (distinct persons contributing to the cell-month).
        Cells without person-time are absent.

    Examples
    --------
    >>> import datetime as dt, ibis
    >>> persons = ibis.memtable({"person_id": ["p1"], "birth_date": [dt.date(2000, 1, 10)],
    ...     "sex": ["F"], "death_date": [None]})
    >>> residence = ibis.memtable({"person_id": ["p1"], "municipality_code": ["101"],
    ...     "valid_from": [dt.date(1999, 1, 1)], "valid_to": [None]})
    >>> pt = person_time_expr(persons, residence, dt.date(2020, 1, 1), dt.date(2020, 1, 31))
    >>> pt.order_by("age_band_start").select("age_band", "person_days").to_pyarrow().to_pylist()
    [{'age_band': '15-19', 'person_days': 9}, {'age_band': '20-24', 'person_days': 22}]
    """
    end_excl = period_end + dt.timedelta(days=1)
    events = _month_events(_segments(_spans(persons, residence, period_start, end_excl)))
    # Every month of every cell that has person-time, so running sums see months without events.
    grid = events.select(*_CELL).distinct().cross_join(months_table(period_start, period_end))
    g = grid.left_join(events, [*_CELL, "month_index"]).select(
        *_CELL, "month", "month_index", "days_in_month",
        *(ibis.coalesce(events[c], 0).name(c) for c in ("starts", "ends", "partial_ends", "repeats", "days")),
    )
    so_far = ibis.window(group_by=list(_CELL), order_by="month_index", rows=(None, 0))
    # Segments touching the month: started so far minus those that ended in an earlier month.
    touching = g.starts.sum().over(so_far) - g.ends.sum().over(so_far) + g.ends
    g = g.mutate(touching=touching)
    # Segments neither starting nor ending in the month cover it whole.
    whole = g.touching - g.starts - g.partial_ends
    out = g.filter(g.touching > 0).select(
        "month", *_CELL,
        person_days=(g.days + whole * g.days_in_month).cast("int64"),
        persons=(g.touching - g.repeats).cast("int64"),
    )
    return out.mutate(
        age_band=age_band_label(out.age_band_start),
        person_years=out.person_days.cast("float64") / DAYS_PER_YEAR,
    ).select(*PERSON_TIME_COLUMNS)
