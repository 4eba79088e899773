"""Care relations: which organisations treat a citizen at a given time (read from the warehouse).

Rule (Sundhedsloven §42a, current treatment):

* municipality: the citizen's municipality of residence on the day (``input__residence``);
* general practice: the clinic the citizen is listed with on the day (``input__gp_listing``);
* hospital: a hospital (or the region owning it) where the citizen has a stay that has begun and
  ended at most ``hospital_days`` days ago, or is ongoing (``core__stay``), or a booked
  appointment within the same number of days ahead (``input__appointment``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_HOSPITAL_DAYS = 30
_TZ = ZoneInfo("Europe/Copenhagen")


@dataclass(frozen=True)
class CareRelations:
    """The organisations (``kind:id``) with a care relation to one citizen on one day."""

    person_id: str
    as_of: date
    organisations: frozenset[str]

    def has(self, organisation: str) -> bool:
        """Whether ``organisation`` has a relation (exact match, e.g. ``gp:376001``)."""
        return organisation in self.organisations


def _rows(raw, query: str, params: list) -> list[tuple]:
    return raw.execute(query, params).fetchall()


def care_relations(con, person_id: str, as_of: date, hospital_days: int = DEFAULT_HOSPITAL_DAYS) -> CareRelations:
    """Find every organisation with a care relation to ``person_id`` on ``as_of``.

    Examples
    --------
    >>> care_relations(con, "P0-1", date(2025, 12, 31)).organisations  # doctest: +SKIP
    frozenset({'municipality:217', 'gp:376001'})
    """
    raw = con.con
    orgs: set[str] = set()
    for (code,) in _rows(raw, "SELECT municipality_code FROM input__residence WHERE person_id = ? "
                              "AND valid_from <= ? AND (valid_to IS NULL OR valid_to > ?)",
                         [person_id, as_of, as_of]):
        orgs.add(f"municipality:{code}")
    for (clinic,) in _rows(raw, "SELECT clinic_id FROM input__gp_listing WHERE person_id = ? "
                                "AND valid_from <= ? AND (valid_to IS NULL OR valid_to > ?)",
                           [person_id, as_of, as_of]):
        orgs.add(f"gp:{clinic}")
    day_end = datetime.combine(as_of + timedelta(days=1), time(0), tzinfo=_TZ)
    since = day_end - timedelta(days=hospital_days + 1)
    ahead = day_end + timedelta(days=hospital_days)
    hospitals = _rows(raw, """
        SELECT DISTINCT h FROM (
            SELECT unnest([hospital_id, discharge_hospital_id]) AS h FROM core__stay
            WHERE person_id = ? AND start_time < ? AND (end_time IS NULL OR end_time >= ?)
            UNION ALL
            SELECT u.hospital_id FROM input__appointment a JOIN input__hospital_unit u
              ON a.organisation_id = u.unit_id
            WHERE a.person_id = ? AND a.sector = 'hospital' AND a.status = 'booked'
              AND a.start_time >= ? AND a.start_time < ?
        ) WHERE h IS NOT NULL""", [person_id, day_end, since, person_id, day_end - timedelta(days=1), ahead])
    ids = sorted({h for (h,) in hospitals})
    for h in ids:
        orgs.add(f"hospital:{h}")
    if ids:
        marks = ",".join("?" * len(ids))
        for (region,) in _rows(raw, f"SELECT DISTINCT region_code FROM input__hospital_unit WHERE hospital_id IN ({marks})", ids):
            orgs.add(f"region:{region}")
    return CareRelations(person_id, as_of, frozenset(orgs))
