"""LPR3 research extracts (``klynge build --format lpr3``): kontakter, diagnoser, procedurer.

An SDS research extract (LPR_F) or a DST LPR3 table set, as CSV (UTF-8 or Windows-1252,
``;`` or ``,``) or Parquet, is mapped onto the canonical ``hospital_contact``, ``diagnosis``,
``procedure`` and, from ``organisationer``, ``hospital_unit`` (domain reference §3.2-3.4,
§3.7). The accepted file and column names are listed in ``docs/inputs.md``.

Rules (each an LPR3 fact or a klynge decision, see the docs for the reasons):

* Dates and times are Danish local time (`klynge.readers._time`).
* Person ids of a research extract are pseudonyms. A value that looks like a CPR number is
  never written: it is pseudonymised with ``KLYNGE_PSEUDONYM_KEY`` if a key is set (so that it
  links with person files pseudonymised with the same key), else quarantined.
* Only rows reported through LPR3 are read (``lprindberetningssystem``); the contact types
  ALCA00, ALCA03 and ALCA10 and the diagnosis types A and B are modelled, others are out of
  scope; add-on codes (tillægskoder) and course-level rows (no contact) are out of scope.
* A diagnosis or procedure follows its contact: quarantined or out of scope with it.
"""

from __future__ import annotations

import re
from pathlib import Path

from klynge.contracts import CPR_PATTERN, codes
from klynge.identity import InvalidCPR, MissingKey, Pseudonymiser
from klynge.ingest._errors import BuildError
from klynge.readers import lpr3_values as values
from klynge.readers._base import Staging, mask_cpr
from klynge.readers._codemap import source
from klynge.readers._time import TimeError
from klynge.readers.lpr3_files import UNMODELLED, ExtractFile, Record, find_files, resolve, rows
from klynge.readers.lpr3_units import Unit, unit_lookup

_ID = ("dw_ek_kontakt", "kontakt_id", "contact_id")
_FORLOEB = ("dw_ek_forloeb", "forloeb_id")
_SYSTEM = ("lprindberetningssystem", "lprindberetningssytem")
CONTACT = {
    "contact": _ID,
    "person": ("cpr_encrypted", "v_cpr_encrypted", "personnummer_encrypted", "pnr_encrypted",
               "person_id", "cpr", "pnr", "v_cpr"),
    "start_date": ("dato_start",), "start_time": ("tidspunkt_start",),
    "start": ("kont_starttidspunkt", "starttidspunkt"),
    "end_date": ("dato_slut",), "end_time": ("tidspunkt_slut",),
    "end": ("kont_sluttidspunkt", "sluttidspunkt"),
    "type": ("kontakttype", "kont_type"),
    "priority": ("prioritet",),
    "reason": ("kontaktaarsag", "kont_aarsag"),
    "unit": ("sorenhed_ans", "kont_ans"),
    "system": _SYSTEM,
}
DIAGNOSIS = {
    "contact": _ID, "forloeb": _FORLOEB,
    "code": ("diagnosekode", "diag_kode"),
    "type": ("diagnosetype", "diag_kode_type"),
    "refuted": ("senere_afkraeftet",),
    "parent": ("diagnosekode_parent", "diag_parent_kode"),
    "system": _SYSTEM,
}
PROCEDURE = {
    "contact": _ID, "forloeb": _FORLOEB,
    "code": ("procedurekode", "proc_kode"),
    "date": ("dato_start", "dato"), "time": ("tidspunkt_start", "tidspunkt"),
    "start": ("starttidspunkt", "proc_starttidspunkt"),
    "parent": ("procedurekode_parent",),
    "system": _SYSTEM,
}
_CONTACT_TYPE = re.compile(r"^ALCA[0-9]{2}$")
_OTHER_DIAGNOSIS_TYPES = {
    "H": "henvisningsdiagnose (referral diagnosis)", "G": "grundmorbus", "M": "midlertidig diagnose",
    "C": "komplikation", "+": "tillægskode",
}
_CPR = re.compile(CPR_PATTERN)

Fate = tuple[str, str]
"""What becomes of a record that is not mapped: ("quarantine" | "out_of_scope", reason)."""
Status = Fate | None
"""What became of a contact: None when it was mapped."""


def read(source: Path, staging: Staging) -> None:
    """Read the LPR3 extract in ``source`` into ``staging``.

    Raises
    ------
    BuildError
        When there is no kontakter table or no unit register, a required column is missing,
        or a file cannot be read at all.
    """
    files, other = find_files(source)
    staging.report.files.extend(f.label for f in files)
    if not any(f.table == "kontakter" for f in files):
        raise BuildError(
            f"{source}: no LPR3 kontakter table; expected e.g. kontakter.csv, LPR_F_kontakter.parquet "
            f"or a folder kontakter/ (found: {', '.join(other) or 'nothing'})"
        )
    for name in other:
        staging.note(f"lpr3: ignored {name}: not an LPR3 table klynge reads")
    units, register = unit_lookup(source, files, staging)
    contacts = _contacts([f for f in files if f.table == "kontakter"], units, register, staging)
    for file in files:
        if file.table == "diagnoser":
            _diagnoses(file, contacts, staging)
        elif file.table == "procedurer":
            _procedures(file, contacts, staging)
        elif file.table in UNMODELLED:
            _unmodelled(file, staging)


class _Persons:
    """Person ids of the extract: pseudonyms kept, CPR-looking values never written."""

    def __init__(self) -> None:
        self.pseudonymised = 0
        try:
            self._keyed: Pseudonymiser | None = Pseudonymiser()
        except MissingKey:
            self._keyed = None

    def person_id(self, value: str) -> str:
        """The canonical person_id, or raise ValueError with the quarantine reason."""
        if not _CPR.search(value):
            return value
        if self._keyed is None:
            raise ValueError("person id looks like a CPR number (research extracts carry pseudonyms; "
                             "set KLYNGE_PSEUDONYM_KEY to pseudonymise CPR numbers)")
        try:
            pid = self._keyed.person_id(value)
        except InvalidCPR:
            raise ValueError("person id contains a CPR-like number but is not a valid CPR number") from None
        self.pseudonymised += 1
        return pid


def _contacts(files: list[ExtractFile], units: dict[str, Unit], register: str, staging: Staging) -> dict[str, Status]:
    contacts: dict[str, Status] = {}
    first: dict[str, str] = {}
    persons = _Persons()
    for file in files:
        names = resolve(file.path, file.label, CONTACT, ("contact", "person", "type", "priority", "unit"))
        if not (names["start_date"] or names["start"]):
            raise BuildError(f"{file.label}: required column(s) missing: dato_start or kont_starttidspunkt")
        for where, record in rows(file.path, file.label):
            if isinstance(record, str):
                _account("hospital_contact", where, ("quarantine", record), None, staging)
                continue
            cell = {key: record.get(col) if col else None for key, col in names.items()}
            cid = cell["contact"]
            if cid is not None and cid in first:
                _account("hospital_contact", where, ("quarantine", f"duplicate dw_ek_kontakt (first at {first[cid]})"),
                         record, staging)
                continue
            fate = _contact(cell, units, register, persons, where, staging)
            if fate is not None:
                _account("hospital_contact", where, fate, record, staging)
            if cid is not None:
                first[cid], contacts[cid] = where, fate
    if persons.pseudonymised:
        staging.note(f"lpr3: {persons.pseudonymised} CPR numbers in kontakter were pseudonymised with the key")
    return contacts


def _contact(cell: dict[str, str | None], units: dict[str, Unit], register: str, persons: _Persons,
             where: str, staging: Staging) -> Fate | None:
    """Stage one contact, or return ("quarantine" | "out_of_scope", reason)."""
    system = cell["system"]
    if system and system.upper() != "LPR3":
        return "out_of_scope", (f"reported through {system}, not LPR3 (rows of the other reporting systems "
                                "overlap LPR3's and would count contacts twice)")
    kind = (cell["type"] or "").upper()
    if _CONTACT_TYPE.match(kind) and kind not in codes.CONTACT_TYPES:
        return "out_of_scope", f"kontakttype {kind}: klynge models {', '.join(codes.CONTACT_TYPES)} contacts only"
    for key, column in (("contact", "dw_ek_kontakt"), ("person", "person id"), ("type", "kontakttype"),
                        ("priority", "prioritet"), ("unit", "sorenhed_ans")):
        if not cell[key]:
            return "quarantine", f"missing {column}"
    try:
        person = persons.person_id(cell["person"] or "")
    except ValueError as error:
        return "quarantine", str(error)
    try:
        start = values.instant(cell["start_date"], cell["start_time"]) or values.date_time(cell["start"])
        end = values.instant(cell["end_date"], cell["end_time"]) or values.date_time(cell["end"])
    except TimeError as error:
        return "quarantine", str(error)
    if start is None:
        return "quarantine", "missing dato_start"
    unit = units.get(cell["unit"] or "")
    if unit is None:
        return "quarantine", f"unit {cell['unit']} is not in the {register}: its hospital, specialty and branch are unknown"
    if isinstance(unit, str):
        return "quarantine", unit
    hospital, specialty, branch = unit
    staging.add("hospital_contact", {
        "contact_id": cell["contact"], "person_id": person, "start_time": start, "end_time": end,
        "contact_type": kind, "priority": (cell["priority"] or "").upper(),
        "contact_reason": cell["reason"].upper() if cell["reason"] else None,
        "hospital_id": hospital, "unit_id": cell["unit"], "specialty": specialty, "branch": branch,
    }, where)
    return None


def _follow(cell: dict[str, str | None], contacts: dict[str, Status], what: str) -> Fate | None:
    """The fate a diagnosis or procedure shares with its contact (None: the contact is mapped)."""
    system = cell["system"]
    if system and system.upper() != "LPR3":
        return "out_of_scope", f"reported through {system}, not LPR3"
    cid = cell["contact"]
    if not cid:
        if cell.get("forloeb"):
            return "out_of_scope", f"a {what} on a forløb (course level, no dw_ek_kontakt): klynge links them to contacts only"
        return "quarantine", "missing dw_ek_kontakt"
    if cid not in contacts:
        return "quarantine", f"unknown contact {cid} (not in kontakter)"
    status = contacts[cid]
    if status is None:
        return None
    if status[0] == "quarantine":
        return "quarantine", f"its contact {cid} is quarantined"
    return "out_of_scope", f"its contact is out of scope ({status[1]})"


def _linked(file: ExtractFile, spec: dict[str, tuple[str, ...]], required: tuple[str, ...]) -> dict[str, str | None]:
    """Resolve the columns of a diagnosis or procedure file: it needs a contact or forløb link.

    A course-level file (``_f``) may have only ``dw_ek_forloeb``: its rows are then out of scope.
    """
    names = resolve(file.path, file.label, spec, required)
    if not (names["contact"] or names["forloeb"]):
        raise BuildError(f"{file.label}: required column(s) missing: {' or '.join(spec['contact'])}")
    return names


def _diagnoses(file: ExtractFile, contacts: dict[str, Status], staging: Staging) -> None:
    names = _linked(file, DIAGNOSIS, ("code", "type"))
    prefixed = 0
    for where, record in rows(file.path, file.label):
        if isinstance(record, str):
            _account("diagnosis", where, ("quarantine", record), None, staging)
            continue
        cell = {key: record.get(col) if col else None for key, col in names.items()}
        fate = _follow(cell, contacts, "diagnosis")
        kind = (cell["type"] or "").upper()
        if fate is None and cell["parent"] and cell["parent"] != cell["code"]:
            fate = "out_of_scope", "a tillægskode (add-on code) to another diagnosis: klynge keeps the A and B diagnoses"
        if fate is None and kind in _OTHER_DIAGNOSIS_TYPES:
            fate = "out_of_scope", f"diagnosetype {kind} ({_OTHER_DIAGNOSIS_TYPES[kind]}): klynge keeps A and B"
        if fate is None and not cell["code"]:
            fate = "quarantine", "missing diagnosekode"
        if fate is None and not kind:
            fate = "quarantine", "missing diagnosetype"
        refuted = None
        if fate is None:
            try:
                refuted = values.flag(cell["refuted"])
            except ValueError as error:
                fate = "quarantine", str(error)
        if fate is not None:
            _account("diagnosis", where, fate, record, staging)
            continue
        code, added = values.diagnosis_code(cell["code"] or "")
        prefixed += added
        staging.add("diagnosis", {"contact_id": cell["contact"], "diagnosis_code": code,
                                  "diagnosis_type": kind, "refuted": refuted, **source("SKS", cell["code"])}, where)
    if prefixed:
        staging.note(f"lpr3: {file.label}: {prefixed} diagnosis codes without SKS's leading D got one")


def _procedures(file: ExtractFile, contacts: dict[str, Status], staging: Staging) -> None:
    names = _linked(file, PROCEDURE, ("code",))
    for where, record in rows(file.path, file.label):
        if isinstance(record, str):
            _account("procedure", where, ("quarantine", record), None, staging)
            continue
        cell = {key: record.get(col) if col else None for key, col in names.items()}
        fate = _follow(cell, contacts, "procedure")
        if fate is None and cell["parent"] and cell["parent"] != cell["code"]:
            fate = "out_of_scope", "a tillægskode (add-on code) to another procedure: klynge keeps the procedures"
        if fate is None and not cell["code"]:
            fate = "quarantine", "missing procedurekode"
        when = None
        if fate is None:
            try:
                when = values.instant(cell["date"], cell["time"]) or values.date_time(cell["start"])
            except TimeError as error:
                fate = "quarantine", str(error)
        if fate is not None:
            _account("procedure", where, fate, record, staging)
            continue
        code = re.sub(r"\s", "", cell["code"] or "").upper()
        staging.add("procedure", {"contact_id": cell["contact"], "procedure_code": code, "procedure_time": when,
                                  **source("SKS", cell["code"])}, where)


def _account(table: str, where: str, fate: Fate, record: Record | None, staging: Staging) -> None:
    """Quarantine or count out of scope; a reason quotes source values, so it is CPR-masked too."""
    if fate[0] == "quarantine":
        staging.quarantine(table, where, mask_cpr(fate[1]), record)
    else:
        staging.out_of_scope(table, mask_cpr(fate[1]))


def _unmodelled(file: ExtractFile, staging: Staging) -> None:
    """Count the rows of an extract table klynge does not model (under hospital_contact)."""
    count = sum(1 for _ in rows(file.path, file.label))
    staging.out_of_scope("hospital_contact", f"{file.table}: {UNMODELLED[file.table]}", count)
