"""OMOP PERSON, DEATH, OBSERVATION_PERIOD and LOCATION into klynge's person and residence.

* PERSON -> person: ``person_id`` is already a pseudonym and is kept; one that looks like a CPR
  number is quarantined (CPR-masked). ``person_source_value`` is never read into klynge; when
  it looks like a CPR number the reader only counts it (a note in the manifest).
* Sex: ``gender_concept_id`` 8507 -> M, 8532 -> F; any other value is quarantined.
* Birth date: ``year/month/day_of_birth``; else the day of ``birth_datetime``; else, for a
  year (and month) only, the middle of the year (1 July) or month (the 15th), counted in a note.
* DEATH -> ``person.death_date`` (the earliest valid death date of the person). Death records
  and observation periods are attributed to the person table: merged deaths and observation
  periods count as out of scope (not rows of their own), damaged ones are quarantined.
* LOCATION -> residence, only where the location carries a Danish municipality code
  (kommunekode) in ``location_source_value`` or ``county``; or, for the others, the
  ``default_municipality`` of ``klynge-omop.json`` (explicit configuration, noted).
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from typing import TYPE_CHECKING, Any

from klynge.contracts import CPR_PATTERN, load_reference
from klynge.readers._base import mask_cpr
from klynge.readers._time import TimeError, parse_day

if TYPE_CHECKING:
    import duckdb

    from klynge.readers._base import Staging
    from klynge.readers.omop import Settings

_CPR = re.compile(CPR_PATTERN)
SEX = {"8507": "M", "8532": "F"}
_DANISH_COUNTRY = {"DK", "DNK", "DENMARK", "DANMARK", "4330427"}
_DANISH_STATE = re.compile(r"(?i)^(108[1-5]|region.*|hovedstaden|sj.lland|syddanmark|midtjylland|nordjylland)$")
BATCH = 50_000


def _int(text: str | None) -> int | None:
    try:
        return int(str(text).split(".")[0]) if text is not None else None
    except ValueError:
        return None


def birth_date(row: dict[str, Any]) -> tuple[date, bool]:
    """The birth date of an OMOP person and whether it was imputed (year or month only).

    Raises
    ------
    TimeError
        No year of birth, or a date that does not exist.
    """
    year, month, day = (row.get(c) for c in ("year_of_birth", "month_of_birth", "day_of_birth"))
    y, m, d = _int(year), _int(month), _int(day)
    if year is not None and y is None or month is not None and m is None or day is not None and d is None:
        raise TimeError(f"birth year/month/day not numbers: {year!r}/{month!r}/{day!r}")
    if y is not None and m is not None and d is not None:
        try:
            return date(y, m, d), False
        except ValueError:
            raise TimeError(f"no such birth date: {y}-{m}-{d}") from None
    if row.get("birth_datetime"):
        text = str(row["birth_datetime"])
        found = parse_day(text[:10])  # the birth day as written: no time zone shift for a birthday
        if found is not None:
            return found, False
    if y is None:
        raise TimeError("no year_of_birth")
    try:
        return (date(y, m, 15) if m is not None else date(y, 7, 1)), True
    except ValueError:
        raise TimeError(f"no such birth month: {y}-{m}") from None


def read_deaths(con: duckdb.DuckDBPyConnection) -> tuple[list[dict[str, Any]], dict[str, date]]:
    """The death records (with a parsed ``_day`` or an ``_error``) and the earliest day per person."""
    records = con.sql("SELECT * FROM omop_death").to_arrow_table().to_pylist()
    earliest: dict[str, date] = {}
    for record in records:
        try:
            record["_day"] = parse_day(record["death_date"])
        except TimeError as error:
            record["_error"] = f"death_date: {error}"
            continue
        pid = record["person_id"]
        if record["_day"] is not None and (pid not in earliest or record["_day"] < earliest[pid]):
            earliest[pid] = record["_day"]
    return records, earliest


def read_persons(con: duckdb.DuckDBPyConnection, staging: Staging) -> tuple[dict[str, str], dict[str, date]]:
    """Stage the persons; return each source person id's status and the mapped birth dates.

    The status is ``mapped`` or ``quarantined``; persons absent from PERSON have none.
    """
    deaths, earliest = read_deaths(con)
    status: dict[str, str] = {}
    births: dict[str, date] = {}
    imputed = cpr_source = 0
    query = "SELECT *, count(*) OVER (PARTITION BY person_id) AS _n FROM omop_person ORDER BY rowid"
    for batch in con.sql(query).to_arrow_reader(BATCH):
        for row in batch.to_pylist():
            n = row.pop("_n")
            source_value = row.pop("person_source_value", None)
            if source_value and _CPR.search(str(source_value)):
                cpr_source += 1
            pid = row["person_id"]
            record = mask_cpr(f"person/{pid}")
            reason = None
            if pid is None:
                reason = "person_id missing"
            elif _CPR.search(pid):
                reason = "person_id looks like a CPR number"
            elif n > 1:
                reason = "duplicate person_id"
            elif row["gender_concept_id"] not in SEX:
                reason = f"gender_concept_id {row['gender_concept_id']} is not 8507 (male) or 8532 (female)"
            if reason is None:
                try:
                    born, guessed = birth_date(row)
                except TimeError as error:
                    reason = f"birth date: {error}"
            if reason is not None:
                staging.quarantine("person", record, reason, row)
                if pid is not None:
                    status[pid] = "quarantined"
                continue
            imputed += guessed
            status[pid] = "mapped"
            births[pid] = born
            staging.add(
                "person",
                {"person_id": pid, "birth_date": born, "sex": SEX[row["gender_concept_id"]],
                 "death_date": earliest.get(pid)},
                record,
            )
    if imputed:
        staging.note(f"person: {imputed} birth date(s) had a year (and month) only; "
                     "set to 1 July (or the 15th of the month)")
    if cpr_source:
        staging.note(f"person: {cpr_source} person_source_value(s) look like CPR numbers; "
                     "they were not read (person_id is used as the pseudonym)")
    _deaths(deaths, status, staging)
    return status, births


def _deaths(deaths: list[dict[str, Any]], status: dict[str, str], staging: Staging) -> None:
    """Account for every death record under the person table."""
    kept: set[str] = set()
    for record in sorted(deaths, key=lambda r: (r.get("_day") or date.max, str(r.get("death_date")))):
        pid = record["person_id"]
        raw = {k: v for k, v in record.items() if not k.startswith("_")}
        name = mask_cpr(f"death/{pid}")
        if pid not in status:
            staging.quarantine("person", name, "death of a person_id not in PERSON", raw)
        elif "_error" in record or record.get("_day") is None:
            staging.quarantine("person", name, record.get("_error", "death_date missing"), raw)
        elif status[pid] != "mapped":
            staging.quarantine("person", name, "death of a quarantined person", raw)
        elif pid in kept:
            staging.quarantine("person", name, "another death record of the person (the earliest is kept)", raw)
        else:
            kept.add(pid)
            staging.out_of_scope("person", "DEATH record: merged into person.death_date")


def observation_periods(con: duckdb.DuckDBPyConnection, staging: Staging) -> None:
    """Observation periods are not modelled; those of unknown persons are quarantined."""
    query = """SELECT o.*, ps.status IS NULL AS _unknown FROM omop_observation_period o
               LEFT JOIN person_status ps USING (person_id)"""
    known = 0
    for batch in con.sql(query).to_arrow_reader(BATCH):
        for row in batch.to_pylist():
            if row.pop("_unknown"):
                staging.quarantine("person", mask_cpr(f"observation_period/{row['observation_period_id']}"),
                                   "observation period of a person_id not in PERSON", row)
            else:
                known += 1
    staging.out_of_scope("person", "OBSERVATION_PERIOD record: not modelled (its start is the residence start)",
                         known)


def _municipality(row: dict[str, Any], codes: set[str]) -> str | None:
    country = (row.get("country_source_value") or row.get("country_concept_id") or "").upper()
    state = row.get("state") or ""
    if country and country not in _DANISH_COUNTRY or not country and state and not _DANISH_STATE.match(state):
        return None
    for value in (row.get("location_source_value"), row.get("county")):
        text = (value or "").strip()
        if text.isdigit() and len(text) <= 3 and text.zfill(3) in codes:
            return text.zfill(3)
    return None


def residences(con: duckdb.DuckDBPyConnection, staging: Staging, births: dict[str, date],
               settings: Settings) -> None:
    """Stage a residence for every mapped person with a Danish location (or the configured default)."""
    codes = set(load_reference()["municipality"]["municipality_code"].astype(str).str.zfill(3))
    query = """
        WITH loc AS (SELECT * FROM omop_location QUALIFY row_number() OVER (PARTITION BY location_id) = 1),
             op AS (SELECT person_id, min(observation_period_start_date) AS _start
                    FROM omop_observation_period GROUP BY person_id)
        SELECT p.person_id, p.location_id, l.location_id IS NOT NULL AS _known, l.state, l.county,
               l.location_source_value, l.country_concept_id, l.country_source_value, op._start
        FROM omop_person p JOIN person_status ps ON ps.person_id = p.person_id AND ps.status = 'mapped'
        LEFT JOIN loc l ON l.location_id = p.location_id LEFT JOIN op ON op.person_id = p.person_id
        ORDER BY p.rowid"""
    defaulted: Counter[str] = Counter()
    for batch in con.sql(query).to_arrow_reader(BATCH):
        for row in batch.to_pylist():
            pid, record = row["person_id"], mask_cpr(f"person/{row['person_id']}#location/{row['location_id']}")
            if row["location_id"] is not None and not row["_known"]:
                staging.quarantine("residence", record, "location_id not in LOCATION", row)
                continue
            code = _municipality(row, codes) if row["location_id"] is not None else None
            if code is None and settings.default_municipality is None:
                if row["location_id"] is not None:
                    staging.out_of_scope("residence", "location has no Danish municipality code (kommunekode)")
                continue
            if code is None:
                code = settings.default_municipality
                defaulted["no location" if row["location_id"] is None else "not Danish"] += 1
            try:
                start = parse_day(row["_start"]) or births[pid]
            except TimeError:
                start = births[pid]
            staging.add("residence", {"person_id": pid, "municipality_code": code, "valid_from": start}, record)
    if defaulted:
        staging.note(
            f"residence: {sum(defaulted.values())} person(s) without a Danish municipality in the source "
            f"({', '.join(f'{n} {why}' for why, n in sorted(defaulted.items()))}) were given the "
            f"default_municipality {settings.default_municipality} from klynge-omop.json (not source data)"
        )


__all__ = ["SEX", "birth_date", "observation_periods", "read_persons", "residences"]
