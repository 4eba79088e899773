"""Patient -> person, its addresses -> residence, its generalPractitioner -> gp_listing.

Rules (``docs/inputs.md``):

* person_id: the klynge person identifier (``https://klynge.dk/fhir/sid/person``) if present;
  else the CPR identifier (``urn:oid:1.2.208.176.1.2``), pseudonymised with the keyed hash of
  `klynge.identity` (without a key the Patient and everything about it is quarantined: a CPR
  number never reaches staging); else ``Patient.id`` (a CPR-like id counts as a CPR number).
* birth_date from ``birthDate`` (a partial date is quarantined), else from the CPR number;
  sex from ``gender`` (male M, female F), else from the CPR number; death_date is the Danish
  day of ``deceasedDateTime``.
* Each address is one residence record: mapped when it carries the DK-core municipality-code
  extension (``0461`` -> ``461``) and a ``period.start``; ``period.end`` is the last day of
  residence, so ``valid_to`` is the day after it.
* Each ``generalPractitioner`` is one gp_listing record: mapped when it names a clinic
  (ydernummer identifier, or an Organization resource of kind clinic) and carries the klynge
  listing-period extension; FHIR has no period on the reference, so without it the listing's
  first day is unknown and the record is quarantined.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from klynge.contracts import CPR_PATTERN
from klynge.readers._base import Staging
from klynge.readers._time import TimeError, parse_day
from klynge.readers.fhir import _systems as fs
from klynge.readers.fhir._context import FhirContext

_CPR_ONLY = re.compile(rf"^{CPR_PATTERN}$")
_PID = re.compile(r"^[0-9A-Za-z_.:-]{1,64}$")
_NO_KEY = "CPR number but no pseudonymisation key set (KLYNGE_PSEUDONYM_KEY)"


class Identities:
    """CPR numbers -> pseudonyms, with the key loaded once (or its absence remembered)."""

    def __init__(self) -> None:
        self._pseudonymiser: Any = None
        self._missing = False

    def pseudonym(self, cpr: str) -> tuple[str | None, str | None]:
        """(person_id, None) or (None, reason); the reason never contains the number."""
        from klynge.identity import InvalidCPR, MissingKey, Pseudonymiser

        if self._missing:
            return None, _NO_KEY
        if self._pseudonymiser is None:
            try:
                self._pseudonymiser = Pseudonymiser()
            except MissingKey:
                self._missing = True
                return None, _NO_KEY
        try:
            return self._pseudonymiser.person_id(cpr), None
        except InvalidCPR:
            return None, "invalid CPR number in identifier"


def cpr_of(resource: dict[str, Any]) -> str | None:
    """The CPR number of a Patient: its CPR identifier, or a CPR-like id."""
    value = fs.identifier(resource, fs.CPR)
    if value:
        return value
    rid = resource.get("id")
    return rid if isinstance(rid, str) and _CPR_ONLY.match(rid) else None


def person_identity(resource: dict[str, Any], identities: Identities) -> tuple[str | None, str | None]:
    """(person_id, None) or (None, quarantine reason) for a Patient (see the module's rule)."""
    own = fs.identifier(resource, fs.SID_PERSON)
    if own and _PID.match(own) and not _CPR_ONLY.match(own):
        return own, None
    cpr = cpr_of(resource)
    if cpr:
        return identities.pseudonym(cpr)
    rid = resource.get("id")
    if isinstance(rid, str) and _PID.match(rid):
        return rid, None
    return None, "Patient without a usable id"


def _from_cpr(resource: dict[str, Any]) -> Any:
    from klynge.identity import InvalidCPR, parse_cpr

    cpr = cpr_of(resource)
    if not cpr:
        return None
    try:
        return parse_cpr(cpr)
    except InvalidCPR:
        return None


def map_patient(resource: dict[str, Any], ctx: FhirContext, staging: Staging, key: str | None,
                persons_seen: set[str]) -> None:
    """Stage the person, residence and gp_listing records of one Patient."""
    record = ctx.record(resource)
    addresses = [a for a in resource.get("address") or [] if isinstance(a, dict)]
    practitioners = [g for g in resource.get("generalPractitioner") or [] if isinstance(g, dict)]
    pid = ctx.persons.get(key) if key else None

    def fail(reason: str, table: str = "person") -> None:
        staging.quarantine(table, record, reason, resource if table == "person" else None)
        for address in addresses:
            staging.quarantine("residence", f"{record}.address", f"patient quarantined: {reason}", address)
        for gp in practitioners:
            staging.quarantine("gp_listing", f"{record}.generalPractitioner", f"patient quarantined: {reason}", gp)

    if pid is None:
        fail(ctx.problems.get(key or "", "Patient without a usable id"))
        return
    if pid in persons_seen:
        # The same person again (e.g. the Patient of each MedCom message about one citizen).
        staging.out_of_scope("person", "same person as an earlier Patient resource")
        staging.out_of_scope("residence", "address of a repeated Patient", len(addresses))
        staging.out_of_scope("gp_listing", "generalPractitioner of a repeated Patient", len(practitioners))
        return
    cpr = None
    try:
        birth = parse_day(resource.get("birthDate"))
        death_text = resource.get("deceasedDateTime")
        death = parse_day(death_text) if isinstance(death_text, str) else None
    except TimeError as error:
        fail(f"birth or death date: {error}")
        return
    if birth is None:
        cpr = _from_cpr(resource)
        birth = cpr.birth_date if cpr else None
    if birth is None:
        fail("Patient without birthDate")
        return
    sex = {"male": "M", "female": "F"}.get(str(resource.get("gender")))
    if sex is None and resource.get("gender") in (None, "unknown"):
        cpr = cpr or _from_cpr(resource)
        sex = cpr.sex if cpr else None
    if sex is None:
        fail(f"gender {resource.get('gender')!r} is not one of male, female (the CPR sexes)")
        return
    persons_seen.add(pid)
    staging.add("person", {"person_id": pid, "birth_date": birth, "sex": sex, "death_date": death}, record)
    for number, address in enumerate(addresses):
        _residence(address, pid, f"{record}.address[{number}]", staging)
    for number, gp in enumerate(practitioners):
        _listing(gp, pid, f"{record}.generalPractitioner[{number}]", ctx, staging)


def municipality_code(address: dict[str, Any]) -> str | None:
    """The 3-digit municipality code of a DK-core address (``0461`` -> ``461``), or None."""
    ext = fs.extension(address, fs.EXT_MUNICIPALITY)
    if ext is None:
        return None
    code = fs.code_in(ext.get("valueCodeableConcept") or ext.get("valueCoding"), {fs.MUNICIPALITY_CS})
    if code is None:
        found = fs.codings(ext.get("valueCodeableConcept") or ext.get("valueCoding"))
        code = str(found[0].get("code")) if found and found[0].get("code") else None
    if code and code.isdigit() and len(code) == 4 and code.startswith("0"):
        code = code[1:]
    return code


def _period(element: dict[str, Any]) -> tuple[Any, Any]:
    period = element.get("period") if isinstance(element.get("period"), dict) else {}
    start, end = parse_day(period.get("start")), parse_day(period.get("end"))
    return start, (end + timedelta(days=1) if end else None)


def _residence(address: dict[str, Any], pid: str, record: str, staging: Staging) -> None:
    code = municipality_code(address)
    if code is None:
        staging.out_of_scope("residence", "address without a Danish municipality code (DK-core extension)")
        return
    try:
        start, end = _period(address)
    except TimeError as error:
        staging.quarantine("residence", record, f"address period: {error}", address)
        return
    if start is None:
        staging.quarantine("residence", record, "address without period.start (residence needs a first day)", address)
        return
    staging.add("residence", {"person_id": pid, "municipality_code": code, "valid_from": start, "valid_to": end},
                record)


def _listing(gp: dict[str, Any], pid: str, record: str, ctx: FhirContext, staging: Staging) -> None:
    clinic = None
    logical = gp.get("identifier")
    if isinstance(logical, dict) and logical.get("system") == fs.SID_CLINIC:
        clinic = logical.get("value")
    else:
        key = ctx.resolve(gp)
        facts = ctx.organisations.get(key or "")
        if facts and facts.get("kind") == "clinic":
            clinic = facts.get("clinic_id")
        elif key is None and gp.get("reference"):
            staging.quarantine("gp_listing", record, "unresolved generalPractitioner reference", gp)
            return
    if not clinic:
        staging.out_of_scope("gp_listing", "generalPractitioner is not a general practice clinic")
        return
    ext = fs.extension(gp, fs.EXT_LISTING_PERIOD)
    try:
        start, end = _period({"period": ext.get("valuePeriod")} if ext else {})
    except TimeError as error:
        staging.quarantine("gp_listing", record, f"listing period: {error}", gp)
        return
    if start is None:
        staging.quarantine("gp_listing", record, "generalPractitioner without a listing period (first day unknown)", gp)
        return
    staging.add("gp_listing", {"person_id": pid, "clinic_id": clinic, "valid_from": start, "valid_to": end}, record)
