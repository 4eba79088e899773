"""Dates and times of foreign sources, turned into klynge's instants and Danish calendar days.

The rule (also in ``docs/inputs.md``):

* A FHIR ``instant`` or ``dateTime`` with a time zone (``Z`` or ``+01:00``) is an instant: it
  is kept as that instant, and its calendar day is the day in Denmark (Europe/Copenhagen) at
  that instant. ``2024-03-31T23:30:00Z`` is 1 April 2024 01:30 in Denmark (summer time).
* A ``dateTime`` with a time but without a time zone, and every time in an LPR3 or OMOP extract
  (which have none), is Danish local time. In the autumn hour that occurs twice, the earlier
  one (summer time) is taken; a time in the spring gap does not exist and is moved forward
  by the gap, as DuckDB and Python's zoneinfo do.
* A ``date`` (``2024-03-01``) is a calendar day. A partial date (``2024`` or ``2024-03``) is
  not precise enough for an event: the record is quarantined. For a birth date the reader
  may decide otherwise and says so.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

DANISH = ZoneInfo("Europe/Copenhagen")

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PARTIAL = re.compile(r"^\d{4}(-\d{2})?$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")


class TimeError(ValueError):
    """A date or time that cannot be used; its text is the quarantine reason."""


def parse_instant(text: str | None) -> datetime | None:
    """A FHIR ``instant``/``dateTime`` (or an extract's local time) as an aware UTC datetime.

    A date without a time is read as Danish midnight of that day. None stays None.

    Raises
    ------
    TimeError
        For a partial date or text that is not a date-time.
    """
    if text is None or not str(text).strip():
        return None
    text = str(text).strip()
    if _PARTIAL.match(text):
        raise TimeError(f"imprecise date {text!r} (year or month only)")
    if not (_DATE.match(text) or _DATETIME.match(text)):
        raise TimeError(f"not a date-time: {text!r}")
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise TimeError(f"not a date-time: {text!r}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=DANISH, fold=0)
    return value.astimezone(UTC)


def parse_day(text: str | None) -> date | None:
    """The Danish calendar day of a FHIR ``date`` or ``dateTime`` (see the module's rule).

    Raises
    ------
    TimeError
        For a partial date or text that is not a date.
    """
    if text is None or not str(text).strip():
        return None
    text = str(text).strip()
    if _DATE.match(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise TimeError(f"not a date: {text!r}") from None
    instant = parse_instant(text)
    return None if instant is None else instant.astimezone(DANISH).date()
