"""Hospital stays (sygehusophold) and admissions (indlæggelser) built from LPR3 contacts.

The rules are eSundhed's LPR3-era definitions (``danish-domain.md`` §2.1, §3.7):

* only physical-attendance contacts (kontakttype ALCA00) take part;
* contacts of one person that overlap in time or lie at most 4 hours apart form one stay, across
  units and hospitals (transfers);
* a stay lasting at least 12 hours is an admission (indlæggelse);
* a stay is acute when the priority of its first contact is ATA1.

Everything is an Ibis expression (windows, aggregates, joins) so the same code runs on DuckDB and
on Spark. Times are instants: gaps and the 12-hour threshold compare an instant with another
plus N hours, and durations are differences in microseconds, so a stay across a daylight-saving
change counts real hours. Only the two local dates depend on the session time zone (see
:mod:`klynge.core._session`).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

PHYSICAL_ATTENDANCE = "ALCA00"
ACUTE_PRIORITY = "ATA1"
ACTION_DIAGNOSIS_TYPE = "A"
_US_PER_HOUR = 3_600_000_000
# eSundhed LPR3 sygehusophold: contacts at most 4 h apart are chained (a gap of exactly 4 h chains).
MAX_GAP_HOURS = 4
# eSundhed LPR3 indlæggelse: a stay of at least 12 h (exactly 12 h is an admission).
ADMISSION_MIN_HOURS = 12

# Deterministic order of a person's contacts: start, then (effective) end, then contact id.
_ORDER = ("start_time", "_end", "contact_id")

# The contact attributes a stay carries over from its first or last contact.
_ATTRIBUTES = ("priority", "contact_reason", "hospital_id", "specialty", "branch")

STAY_COLUMNS = (
    "stay_id", "person_id", "start_time", "end_time", "duration_hours", "n_contacts",
    "first_contact_id", "last_contact_id", "acute", "is_admission", "branch", "hospital_id",
    "discharge_hospital_id", "specialty", "discharge_specialty", "action_diagnosis",
    "contact_reason", "discharge_date", "admission_date", "died_in_stay", "ongoing",
)


def _chained(contacts: ir.Table, keep: tuple[str, ...] = ()) -> ir.Table:
    """Physical contacts numbered into stays: adds ``_end``, ``_open``, ``_first`` and ``_seq``.

    A stay is identified by (``person_id``, ``_seq``); ``_first`` marks its first contact.
    """
    c = contacts.filter(contacts.contact_type == PHYSICAL_ATTENDANCE)
    c = c.select("contact_id", "person_id", "start_time", "end_time", *keep)
    # An open contact (no end yet) is chained on its start time and makes the stay ongoing.
    c = c.mutate(_end=ibis.coalesce(c.end_time, c.start_time), _open=c.end_time.isnull())
    # Chain against the running maximum end of all earlier contacts of the person, not just the
    # previous one: a long contact swallows later short ones.
    earlier = ibis.window(group_by="person_id", order_by=list(_ORDER), rows=(None, -1))
    c = c.mutate(_latest=c._end.max().over(earlier))
    # eSundhed LPR3 sygehusophold: a gap of more than 4 h starts a new stay. Adding hours to an
    # instant is exact elapsed time (and on DuckDB much cheaper than a time difference).
    too_late = c.start_time > c._latest + ibis.interval(hours=MAX_GAP_HOURS)
    c = c.mutate(_first=c._latest.isnull() | too_late)
    # Stays are numbered by a running count of first contacts.
    so_far = ibis.window(group_by="person_id", order_by=list(_ORDER), rows=(None, 0))
    return c.mutate(_seq=c._first.cast("int64").sum().over(so_far))


def _stay_id(person_id: ir.StringValue, first_contact_id: ir.StringValue) -> ir.StringValue:
    """A stay is named after its first contact: deterministic across runs and engines."""
    return person_id.concat(":", first_contact_id)


def contact_stay_expr(contacts: ir.Table) -> ir.Table:
    """Map every physical-attendance contact to its hospital stay.

    Parameters
    ----------
    contacts
        Rows of the canonical ``hospital_contact`` table.

    Returns
    -------
    ibis.Table
        ``contact_id``, ``person_id``, ``stay_id``; virtual and home-visit contacts are absent.

    Examples
    --------
    >>> import datetime as dt, ibis
    >>> t = dt.datetime(2024, 1, 1, 8, tzinfo=dt.timezone.utc)
    >>> contacts = ibis.memtable({"contact_id": ["c1", "c2"], "person_id": ["p1", "p1"],
    ...     "start_time": [t, t + dt.timedelta(hours=5)], "end_time": [t + dt.timedelta(hours=1)] * 2,
    ...     "contact_type": ["ALCA00", "ALCA00"]})
    >>> contact_stay_expr(contacts).order_by("contact_id").stay_id.to_list()
    ['p1:c1', 'p1:c1']
    """
    return contact_stays(_chained(contacts))


def contact_stays(chained: ir.Table) -> ir.Table:
    """``contact_id``, ``person_id``, ``stay_id`` of the chained contacts (from `chain_contacts`).

    Each contact is joined with the first contact of its stay: an equi-join on the person and
    the stay's number, where a window over the person's contacts would sort them once more.
    """
    f = chained.filter(chained._first)
    firsts = f.select(_person_id=f.person_id, _stay_seq=f._seq, _first_id=f.contact_id)
    j = chained.join(firsts, [chained.person_id == firsts._person_id, chained._seq == firsts._stay_seq])
    return j.select("contact_id", "person_id", stay_id=_stay_id(j.person_id, j._first_id))


def action_diagnoses(diagnoses: ir.Table) -> ir.Table:
    """The action diagnosis (type A, not refuted) per contact; the smallest code if several.

    Columns ``_contact_id`` and ``action_diagnosis``, for `stays_from_rows`.
    """
    keep = (diagnoses.diagnosis_type == ACTION_DIAGNOSIS_TYPE) & ~diagnoses.refuted.fill_null(False)
    a = diagnoses.filter(keep)
    return a.group_by(_contact_id=a.contact_id).aggregate(action_diagnosis=a.diagnosis_code.min())


def stays_expr(contacts: ir.Table, persons: ir.Table, diagnoses: ir.Table | None = None) -> ir.Table:
    """Build hospital stays (sygehusophold) with admission, acute and discharge attributes.

    Parameters
    ----------
    contacts
        Rows of the canonical ``hospital_contact`` table (any contact type; only ALCA00 is used).
    persons
        Rows of the canonical ``person`` table (``person_id``, ``death_date``).
    diagnoses
        Rows of the canonical ``diagnosis`` table. Without it ``action_diagnosis`` is null.

    Returns
    -------
    ibis.Table
        One row per stay with the columns of ``STAY_COLUMNS``:

        * ``start_time``/``end_time``: first start and latest end of its contacts; an ongoing stay
          (a contact without end) ends at the latest instant known so far;
        * ``duration_hours``: elapsed real time; ``is_admission`` when at least 12 hours (for an
          ongoing stay on the time known so far, a lower bound);
        * first contact (by start, end, id): ``first_contact_id``, ``acute`` (priority ATA1),
          ``branch``, ``hospital_id``, ``specialty``, ``contact_reason``, ``action_diagnosis``;
        * last contact by end (an open contact counts as the last): ``last_contact_id``,
          ``discharge_hospital_id``, ``discharge_specialty``;
        * ``admission_date``/``discharge_date``: Danish local dates of start and end; an ongoing
          stay has no discharge, so its ``discharge_date`` is null;
        * ``died_in_stay``: the death date lies between admission and discharge date (for an
          ongoing stay: on or after the admission date).

    Examples
    --------
    >>> import datetime as dt, ibis
    >>> t = dt.datetime(2024, 1, 1, 8, tzinfo=dt.timezone.utc)
    >>> contacts = ibis.memtable({"contact_id": ["c1"], "person_id": ["p1"], "start_time": [t],
    ...     "end_time": [t + dt.timedelta(hours=12)], "contact_type": ["ALCA00"],
    ...     "priority": ["ATA1"], "contact_reason": [None], "hospital_id": ["H1"],
    ...     "unit_id": ["U1"], "specialty": ["cardiology"], "branch": ["somatic"]})
    >>> persons = ibis.memtable({"person_id": ["p1"], "death_date": [None]})
    >>> stays_expr(contacts, persons).select("stay_id", "is_admission", "acute").to_pyarrow().to_pylist()
    [{'stay_id': 'p1:c1', 'is_admission': True, 'acute': True}]
    """
    actions = None if diagnoses is None else action_diagnoses(diagnoses)
    return stays_from_rows(stay_rows(chain_contacts(contacts)), persons, actions)


def chain_contacts(contacts: ir.Table) -> ir.Table:
    """The physical contacts numbered into stays, with the attributes a stay takes from them.

    `build_core` stores this once and builds both ``core__stay`` and ``core__contact_stay``
    from it (`stay_rows` and `stays_from_rows`; `contact_stays`).
    """
    return _chained(contacts, _ATTRIBUTES)


def stay_rows(c: ir.Table) -> ir.Table:
    """One row per stay of the chained contacts, keyed by ``person_id`` and ``_seq``.

    Everything of `STAY_COLUMNS` but ``action_diagnosis`` and ``died_in_stay`` (added by
    `stays_from_rows`).
    """
    # The contact the patient leaves from: latest end, an open contact after any closed one.
    last_first = [ibis.desc("_open"), ibis.desc("_end"), ibis.desc("start_time"), ibis.desc("contact_id")]
    c = c.mutate(_last=ibis.row_number().over(group_by=["person_id", "_seq"], order_by=last_first) == 0)
    first, last = c._first, c._last
    s = c.group_by("person_id", "_seq").aggregate(
        start_time=c.start_time.min(),
        end_time=c._end.max(),
        n_contacts=c.contact_id.count(),
        first_contact_id=c.contact_id.max(where=first),
        last_contact_id=c.contact_id.max(where=last),
        _priority=c.priority.max(where=first),
        branch=c.branch.max(where=first),
        hospital_id=c.hospital_id.max(where=first),
        discharge_hospital_id=c.hospital_id.max(where=last),
        specialty=c.specialty.max(where=first),
        discharge_specialty=c.specialty.max(where=last),
        contact_reason=c.contact_reason.max(where=first),
        ongoing=c._open.any(),
    )
    duration_us = s.end_time.delta(s.start_time, unit="microsecond")
    s = s.mutate(
        stay_id=_stay_id(s.person_id, s.first_contact_id),
        duration_hours=duration_us.cast("float64") / _US_PER_HOUR,
        is_admission=s.end_time >= s.start_time + ibis.interval(hours=ADMISSION_MIN_HOURS),
        acute=(s._priority == ACUTE_PRIORITY).fill_null(False),
        admission_date=s.start_time.date(),
        discharge_date=ibis.ifelse(s.ongoing, ibis.null("date"), s.end_time.date()),
    )
    return s


def stays_from_rows(s: ir.Table, persons: ir.Table, actions: ir.Table | None) -> ir.Table:
    """The stays of `stay_rows` with their action diagnosis (from ``actions``, the result of
    `action_diagnoses`) and death in the stay."""
    if actions is None:
        s = s.mutate(action_diagnosis=ibis.null("string"))
    else:
        s = s.left_join(actions, s.first_contact_id == actions._contact_id).drop("_contact_id")
    # Only the dead can die in a stay: a small table to look the stays up in.
    dead = persons.filter(persons.death_date.notnull())
    deaths = dead.select(_person_id=dead.person_id, _death_date=dead.death_date)
    s = s.left_join(deaths, s.person_id == deaths._person_id)
    died = (s._death_date >= s.admission_date) & (s.ongoing | (s._death_date <= s.discharge_date))
    return s.mutate(died_in_stay=died.fill_null(False)).select(*STAY_COLUMNS)
