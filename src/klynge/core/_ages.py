"""Ages, birthdays and 5-year age bands as Ibis expressions on dates.

Age on a day is the number of completed years: a person is a year older from the day whose
(month, day) is not before the birth (month, day). For a birth on 29 February this makes the
birthday 1 March in years without 29 February (and 29 February in leap years). This is a choice
(28 February would be the other); both helpers below follow it, so ages and band splits agree.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

AGE_BAND_WIDTH = 5
OPEN_AGE_BAND_START = 95
# The first ages of the bands '0-4', '5-9', ..., '90-94', '95+'.
AGE_BAND_STARTS = tuple(range(0, OPEN_AGE_BAND_START + 1, AGE_BAND_WIDTH))


def age_on(birth: ir.DateValue, day: ir.DateValue) -> ir.IntegerValue:
    """Completed years on ``day`` of a person born on ``birth``.

    Examples
    --------
    >>> import datetime as dt, ibis
    >>> b = ibis.literal(dt.date(2008, 2, 29))
    >>> [age_on(b, ibis.literal(dt.date(2023, m, d))).execute() for m, d in ((2, 28), (3, 1))]
    [14, 15]
    """
    before_birthday = day.month() * 100 + day.day() < birth.month() * 100 + birth.day()
    return day.year() - birth.year() - before_birthday.cast("int64")


def birthday(birth: ir.DateValue, age: ir.IntegerValue) -> ir.DateValue:
    """The day a person born on ``birth`` turns ``age`` (1 March for 29 February in common years).

    Examples
    --------
    >>> import datetime as dt, ibis
    >>> b = ibis.literal(dt.date(2008, 2, 29))
    >>> [birthday(b, ibis.literal(n)).to_pyarrow().as_py() for n in (15, 16)]
    [datetime.date(2023, 3, 1), datetime.date(2024, 2, 29)]
    """
    year = birth.year() + age
    common_year = (year % 4 != 0) | ((year % 100 == 0) & (year % 400 != 0))
    leapling = (birth.month() == 2) & (birth.day() == 29) & common_year
    return ibis.date(year, ibis.ifelse(leapling, 3, birth.month()), ibis.ifelse(leapling, 1, birth.day()))


def age_band_start(age: ir.IntegerValue) -> ir.IntegerValue:
    """First age of the 5-year band of ``age``; the last band is open (95+).

    Examples
    --------
    >>> import ibis
    >>> [age_band_start(ibis.literal(a)).execute() for a in (0, 4, 5, 94, 95, 107)]
    [0, 0, 5, 90, 95, 95]
    """
    band = (age // AGE_BAND_WIDTH) * AGE_BAND_WIDTH
    return ibis.least(band, OPEN_AGE_BAND_START).cast("int64")


def age_band_label(band_start: ir.IntegerValue) -> ir.StringValue:
    """Label a 5-year age band by its first age: ``'0-4'``, ``'5-9'``, … ``'90-94'``, ``'95+'``.

    Examples
    --------
    >>> import ibis
    >>> [age_band_label(ibis.literal(start)).execute() for start in (0, 90, 95)]
    ['0-4', '90-94', '95+']
    """
    closed = band_start.cast("string").concat("-", (band_start + AGE_BAND_WIDTH - 1).cast("string"))
    return ibis.ifelse(band_start >= OPEN_AGE_BAND_START, ibis.literal("95+"), closed)
