"""The warehouse as it was known on an index date: the leakage guard of every risk feature.

A prediction made on day ``d`` may use only what was recorded before ``d``. :class:`AsOf` wraps
a warehouse connection and hands out its tables truncated at ``d``, one rule per table:

* events (contacts, results, prescriptions, assessments, messages ...) dated on or after ``d``
  are dropped;
* spans (residence, GP listing, municipal services) that start on or after ``d`` are dropped,
  and an end on or after ``d`` becomes unknown (null, "ongoing"): the end date is future news;
* a person's death on or after ``d`` is unknown;
* hospital stays (``core__stay``) are those that were complete more than 4 hours before ``d``:
  a later contact could still have joined a stay by the 4-hour rule (``klynge.core``), so only
  those are the same stays whether computed on the full data or on the data before ``d``;
* diagnoses and procedures follow their contact.

Feature code receives only an :class:`AsOf`, never the connection, and any table without a rule
is refused, so a new feature cannot read the future by accident. ``tests/risk/test_leakage.py``
proves it: features on a warehouse whose future rows are replaced by nonsense are unchanged.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.types as ir
from ibis.common.exceptions import TableNotFound

from klynge.core import input_table
from klynge.core._stays import MAX_GAP_HOURS

_DANISH = ZoneInfo("Europe/Copenhagen")

# Table -> (kind, column): "event" rows dated before the day; "span" rows starting before it.
_RULES: dict[str, tuple[str, str]] = {
    "hospital_contact": ("contact", "start_time"),
    "municipal_service": ("span", "start_date"),
    "residence": ("span", "valid_from"),
    "gp_listing": ("span", "valid_from"),
    "functional_assessment": ("event", "assessment_date"),
    "gp_contact": ("event", "contact_date"),
    "lab_result": ("event", "sample_time"),
    "prescription": ("event", "dispensing_date"),
    "vaccination": ("event", "vaccination_date"),
    "appointment": ("event", "start_time"),
    "message": ("event", "sent_time"),
    "person": ("person", "birth_date"),
    "diagnosis": ("by_contact", "contact_id"),
    "procedure": ("by_contact", "contact_id"),
    "hospital_unit": ("static", ""),
}
_SPAN_END = {"municipal_service": "end_date", "residence": "valid_to", "gp_listing": "valid_to"}


def day_start(day: dt.date) -> dt.datetime:
    """Midnight in Denmark at the start of ``day``, as an aware instant."""
    return dt.datetime(day.year, day.month, day.day, tzinfo=_DANISH)


class AsOf:
    """A read-only view of a warehouse holding only what was known before ``day``.

    Parameters
    ----------
    con
        Ibis connection to a warehouse (``input__*``, ``core__stay``, ``ref__*``).
    day
        The index date; rows dated on or after it are invisible.

    Examples
    --------
    >>> view = AsOf(con, dt.date(2024, 1, 1))  # doctest: +SKIP
    >>> view.table("input__gp_contact").contact_date.max().execute() < dt.date(2024, 1, 1)  # doctest: +SKIP
    True
    """

    name = "duckdb"

    def __init__(self, con: Any, day: dt.date) -> None:
        self.con = con
        self.day = day
        self._ts = ibis.literal(day_start(day)).cast("timestamp('UTC')")
        self._cache: dict[str, ir.Table] = {}

    def __repr__(self) -> str:
        return f"AsOf({self.day.isoformat()})"

    def table(self, name: str) -> ir.Table:
        """Table ``name`` truncated at the index date; refuses tables without a rule."""
        if name not in self._cache:
            self._cache[name] = self._truncate(name)
        return self._cache[name]

    def _truncate(self, name: str) -> ir.Table:
        day = ibis.literal(self.day)
        if name.startswith("ref__"):
            return self.con.table(name)
        if name == "core__stay":
            return self._stays()
        if not name.startswith("input__") or name.removeprefix("input__") not in _RULES:
            raise PermissionError(
                f"{name!r} has no as-of rule in klynge.risk._asof: a feature may only read tables "
                "whose rows can be cut at the index date"
            )
        base = name.removeprefix("input__")
        try:
            t = self.con.table(name)
        except TableNotFound:
            t = input_table(self.con, base)
        kind, column = _RULES[base]
        if kind == "static":
            return t
        if kind == "person":
            t = t.filter(t.birth_date < day)
            return t.mutate(death_date=ibis.ifelse(t.death_date < day, t.death_date, ibis.null("date")))
        if kind == "event":
            col = t[column]
            return t.filter(col < (self._ts if col.type().is_timestamp() else day))
        if kind == "contact":
            t = t.filter(t.start_time < self._ts)
            return t.mutate(end_time=ibis.ifelse(t.end_time < self._ts, t.end_time, ibis.null("timestamp('UTC')")))
        if kind == "span":
            end = _SPAN_END[base]
            t = t.filter(t[column] < day)
            return t.mutate(**{end: ibis.ifelse(t[end] < day, t[end], ibis.null("date"))})
        # Diagnoses and procedures belong to a contact that started before the day.
        contacts = self.table("input__hospital_contact").select(_cid=ibis._.contact_id)
        return t.semi_join(contacts, t.contact_id == contacts._cid)

    def _stays(self) -> ir.Table:
        """Stays complete more than the chaining gap before the day: no later contact can join them."""
        s = self.con.table("core__stay")
        cutoff = self._ts - ibis.interval(hours=MAX_GAP_HOURS)
        return s.filter(~s.ongoing, s.end_time < cutoff)
