"""The study period of a build: given, declared by the source, or derived from the data."""

from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

import ibis.expr.types as ir

from klynge.ingest._errors import BuildError

# The events that say which months a source covers. Each is a Danish calendar day.
PERIOD_EVENTS = {
    "hospital_contact": "start_time",
    "gp_contact": "contact_date",
    "municipal_service": "start_date",
    "prescription": "dispensing_date",
}


def resolve_period(
    argument: tuple[date, date] | None,
    metadata: Mapping[str, Any],
    accepted: Callable[[str], ir.Table],
) -> tuple[date, date, str]:
    """Return ``(start, end, origin)``; the first of these that is given wins.

    1. ``argument`` (origin ``"argument"``);
    2. ``period_start``/``period_end`` of ``klynge-source.json`` (``"klynge-source.json"``);
    3. the data: from the first day of the month of the earliest event to the last day of the
       month of the latest event (``"data"``), over `PERIOD_EVENTS`.

    Raises
    ------
    BuildError
        When the period ends before it starts, or there is no event to derive it from.
    """
    if argument is not None:
        start, end, origin = argument[0], argument[1], "argument"
    elif "period_start" in metadata and "period_end" in metadata:
        start = date.fromisoformat(str(metadata["period_start"]))
        end = date.fromisoformat(str(metadata["period_end"]))
        origin = "klynge-source.json"
    else:
        start, end = _period_from_data(accepted)
        origin = "data"
    if end < start:
        raise BuildError(f"the period ends ({end}) before it starts ({start}); origin: {origin}")
    return start, end, origin


def _period_from_data(accepted: Callable[[str], ir.Table]) -> tuple[date, date]:
    lows, highs = [], []
    for table, column in PERIOD_EVENTS.items():
        rows = accepted(table)
        day = rows[column].date() if rows[column].type().is_timestamp() else rows[column]
        low, high = rows.aggregate(low=day.min(), high=day.max()).to_pyarrow().to_pylist()[0].values()
        if low is not None:
            lows.append(low)
            highs.append(high)
    if not lows:
        raise BuildError(
            "cannot derive the period: no accepted events in "
            f"{', '.join(PERIOD_EVENTS)}; pass the period or set period_start and period_end "
            "in klynge-source.json"
        )
    first, last = min(lows), max(highs)
    return first.replace(day=1), last.replace(day=calendar.monthrange(last.year, last.month)[1])
