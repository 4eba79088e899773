"""CPR numbers: format, date and century validation (domain reference §8.5).

Layout DDMMYY-SSSS. Digit 7 together with YY gives the century; digit 10 gives sex (odd male,
even female). Since 1 October 2007 numbers failing the modulus-11 check are issued, so a number
is never rejected for failing it; ``mod11_ok`` is reported only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_CPR = re.compile(r"^(\d{2})(\d{2})(\d{2})-?(\d{4})$")
_WEIGHTS = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)


class InvalidCPR(ValueError):
    """A CPR number with a wrong format or an impossible date. The message never quotes it."""


@dataclass(frozen=True)
class CPR:
    """A parsed CPR number. ``repr`` masks the digits so it cannot leak through logs."""

    digits: str
    birth_date: date
    sex: str
    mod11_ok: bool

    def __repr__(self) -> str:
        return f"CPR(XXXXXX-XXXX, birth_date={self.birth_date.isoformat()}, sex={self.sex!r})"

    __str__ = __repr__


def century(yy: int, digit7: int) -> int:
    """The century of birth from the two-digit year and digit 7 (the CPR office's table).

    Examples
    --------
    >>> century(36, 4), century(37, 4), century(57, 5), century(58, 5), century(99, 3)
    (2000, 1900, 2000, 1800, 1900)
    """
    if digit7 <= 3:
        return 1900
    if digit7 in (4, 9):
        return 2000 if yy <= 36 else 1900
    return 2000 if yy <= 57 else 1800


def mod11_ok(digits: str) -> bool:
    """Whether the weighted digit sum (4,3,2,7,6,5,4,3,2,1) is divisible by 11."""
    return sum(int(d) * w for d, w in zip(digits, _WEIGHTS, strict=True)) % 11 == 0


def parse_cpr(text: str) -> CPR:
    """Validate a CPR number (format and date, century rule) and return its parts.

    Raises
    ------
    InvalidCPR
        On a wrong format or an impossible date; the message does not repeat the number.

    Examples
    --------
    Made-up numbers (no real person's), as in every example and test:

    >>> c = parse_cpr("010190-2013")
    >>> c.birth_date, c.sex
    (datetime.date(1990, 1, 1), 'M')
    >>> parse_cpr("310290-1234")
    Traceback (most recent call last):
    ...
    klynge.identity._cpr.InvalidCPR: not a possible date of birth
    """
    m = _CPR.match(text.strip()) if isinstance(text, str) else None
    if not m:
        raise InvalidCPR("not a CPR number (DDMMYY-SSSS)")
    dd, mm, yy, serial = int(m[1]), int(m[2]), int(m[3]), m[4]
    try:
        born = date(century(yy, int(serial[0])) + yy, mm, dd)
    except ValueError:
        raise InvalidCPR("not a possible date of birth") from None
    digits = m[1] + m[2] + m[3] + serial
    return CPR(digits, born, "M" if int(serial[3]) % 2 else "F", mod11_ok(digits))


def is_valid_cpr(text: str) -> bool:
    """True when :func:`parse_cpr` accepts ``text``."""
    try:
        parse_cpr(text)
    except InvalidCPR:
        return False
    return True


def format_cpr(digits: str) -> str:
    """``DDMMYYSSSS`` as ``DDMMYY-SSSS``."""
    return f"{digits[:6]}-{digits[6:]}"


def serial_digit7_for(born: date) -> tuple[int, ...]:
    """The values of digit 7 that give ``born``'s century with its two-digit year."""
    yy = born.year % 100
    return tuple(d for d in range(10) if century(yy, d) + yy == born.year)
