"""Reporting periods: calendar years, quarters or months within the build's study period.

The study period is the span of months in ``core__person_time`` (the build period). A period
that the study period cuts (a build starting in March) is clipped to it: its first day is then
the study start, and ``days`` says how many days it has. Labels are ``'2024'``, ``'2024-Q1'``
and ``'2024-03'``, the forms the privacy gate's period hierarchy knows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import ibis
import ibis.expr.types as ir
import pyarrow as pa

Period = Literal["year", "quarter", "month"]
PERIODS: tuple[str, ...] = ("year", "quarter", "month")
# Months per period: a period's key counts them from year 0, as `period_key` does.
_MONTHS = {"year": 12, "quarter": 3, "month": 1}


def check_period(period: str) -> None:
    """Raise ``ValueError`` unless ``period`` is ``'year'``, ``'quarter'`` or ``'month'``."""
    if period not in _MONTHS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}, got {period!r}")


def period_key(day: ir.DateValue, period: str) -> ir.IntegerValue:
    """The integer key of the period a day lies in (year, year × 4 + quarter - 1, ...).

    Examples
    --------
    >>> import datetime as dt, ibis
    >>> period_key(ibis.literal(dt.date(2024, 5, 2)), "quarter").execute()
    8097
    """
    check_period(period)
    months = day.year() * 12 + day.month() - 1
    return (months // _MONTHS[period]).cast("int64")


def _label(first: dt.date, period: str) -> str:
    if period == "year":
        return f"{first.year}"
    if period == "quarter":
        return f"{first.year}-Q{(first.month - 1) // 3 + 1}"
    return f"{first.year}-{first.month:02d}"


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def study_period(con: Any) -> tuple[dt.date, dt.date] | None:
    """First and last day of the months in ``core__person_time``; None when it is empty.

    Examples
    --------
    >>> study_period(con)  # doctest: +SKIP
    (datetime.date(2021, 1, 1), datetime.date(2025, 12, 31))
    """
    months = con.table("core__person_time").month
    row = months.min().name("lo").as_table().cross_join(months.max().name("hi").as_table())
    low, high = row.to_pyarrow().to_pylist()[0].values()
    if low is None:
        return None
    return low, _add_months(high, 1) - dt.timedelta(days=1)


def periods_table(span: tuple[dt.date, dt.date] | None, period: str) -> ir.Table:
    """The periods touching ``span`` (first and last day), clipped to it, as a small table.

    Without a span (an empty warehouse) the table has no rows, and so has every mart.

    Returns
    -------
    ibis.Table
        ``period`` (label), ``period_key`` (as `period_key`), ``_start`` (first day),
        ``_end`` (the day after the last day) and ``days``.

    Examples
    --------
    >>> import datetime as dt
    >>> t = periods_table((dt.date(2024, 3, 1), dt.date(2024, 12, 31)), "quarter")
    >>> t.select("period", "days").to_pyarrow().to_pylist()[:2]
    [{'period': '2024-Q1', 'days': 31}, {'period': '2024-Q2', 'days': 91}]
    """
    check_period(period)
    width = _MONTHS[period]
    rows = []
    if span is not None:
        start, end = span
        first = dt.date(start.year, (start.month - 1) // width * width + 1, 1)
        while first <= end:
            following = _add_months(first, width)
            lo, hi = max(first, start), min(following, end + dt.timedelta(days=1))
            key = (first.year * 12 + first.month - 1) // width
            rows.append((_label(first, period), key, lo, hi, (hi - lo).days))
            first = following
    names = ("period", "period_key", "_start", "_end", "days")
    types = (pa.string(), pa.int64(), pa.date32(), pa.date32(), pa.int64())
    columns = list(zip(*rows, strict=True)) or [()] * len(names)
    return ibis.memtable(pa.table({n: pa.array(c, t) for n, c, t in zip(names, columns, types, strict=True)}))


def overlapping(spans: ir.Table, lo: str, hi: str, periods: ir.Table) -> ir.Table:
    """Join rows with ``[lo, hi)`` date spans to the periods they overlap.

    ``hi`` may be null (open span); the rows get the period columns, ``_lo`` and ``_hi``: the
    span clipped to the period (so ``_hi - _lo`` are its days in the period).
    """
    open_end = ibis.date(9999, 12, 31)
    j = spans.join(periods, [spans[lo] < periods._end, spans[hi].fill_null(open_end) > periods._start])
    return j.mutate(_lo=ibis.greatest(j[lo], j._start), _hi=ibis.least(j[hi].fill_null(j._end), j._end))


def in_period(events: ir.Table, day: ir.DateValue, period: str, periods: ir.Table) -> ir.Table:
    """Join dated events to the period their ``day`` lies in; days outside every period drop out."""
    keyed = events.mutate(period_key=period_key(day, period), _day=day)
    j = keyed.join(periods, "period_key")
    # A clipped period (the study starting mid-year) does not take the days cut off it.
    return j.filter(j._day >= j._start, j._day < j._end).drop("_day")
