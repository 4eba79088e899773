"""Encounter, Condition, Procedure, Organization -> the hospital and GP tables.

Mapping rules are in ``docs/inputs.md``; each function stages one resource as one
canonical row, or quarantines it with a reason, or counts it out of scope.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from klynge.readers._base import Staging
from klynge.readers._codemap import only_in, source
from klynge.readers._time import TimeError, parse_day, parse_instant
from klynge.readers.fhir import _systems as fs
from klynge.readers.fhir._context import FhirContext

_GP_KIND_FROM_CLASS = {"AMB": "consultation", "VR": "video", "HH": "home_visit"}


def _sks(concept: Any, prefix: str) -> str | None:
    for coding in fs.codings(concept):
        code = str(coding.get("code") or "")
        if coding.get("system") in fs.SKS_ALIASES and code.startswith(prefix):
            return code
    return None


def choose(concept: Any, table: str, ctx: FhirContext,
           direct: Callable[[dict[str, Any]], str | None]) -> tuple[str, dict[str, str | None]] | None:
    """The canonical code of a concept and the coding it came from (``source_system``/``source_code``).

    A coding the canonical code can be read from (``direct``) wins, then one in the council's
    code map (``klynge-codemap.csv``); the source columns name the coding actually used.
    """
    items = fs.codings(concept)
    rules = (direct, lambda c: ctx.codemap.get(table, c.get("system"), str(c.get("code") or "")))
    for rule in rules:
        for coding in items:
            code = rule(coding)
            if code:
                return code, source(coding.get("system"), str(coding.get("code") or ""))
    return None


def unmapped(label: str, concept: Any, table: str, resource: dict[str, Any], ctx: FhirContext,
             staging: Staging) -> None:
    """A record without a usable code: out of scope if coded in another system, else quarantined."""
    coded = [c for c in fs.codings(concept) if str(c.get("code") or "").strip()]
    if not coded:
        staging.quarantine(table, ctx.record(resource), f"{label} without a coded code", resource)
        return
    staging.out_of_scope(table, only_in(label, [c.get("system") for c in coded], table))
    ctx.unmapped.add(table, coded[0].get("system"), str(coded[0]["code"]).strip())


def _sks_diagnosis(coding: dict[str, Any]) -> str | None:
    code = str(coding.get("code") or "").strip()
    if coding.get("system") in fs.SKS_ALIASES and code.startswith("D"):
        return code
    if coding.get("system") in fs.ICD10 and code:
        return "D" + code.replace(".", "").upper()
    return None


def _sks_procedure(coding: dict[str, Any]) -> str | None:
    code = str(coding.get("code") or "").strip()
    return code if coding.get("system") in fs.SKS_ALIASES and code and not code.startswith("D") else None


def _period(resource: dict[str, Any]) -> dict[str, Any]:
    period = resource.get("period")
    return period if isinstance(period, dict) else {}


def map_encounter(resource: dict[str, Any], ctx: FhirContext, staging: Staging, key: str) -> None:
    """Encounter -> hospital_contact or gp_contact (table decided by the first pass)."""
    record = ctx.record(resource)
    info = ctx.encounters.get(key)
    table = info.table if info else None
    if table is None:
        if info is not None and ctx.bundle and ctx.bundle[0].get("resourceType") == "MessageHeader":
            staging.out_of_scope("hospital_contact", "Encounter of a MedCom message (the message is kept)")
        else:
            cls = (resource.get("class") or {}).get("code") if isinstance(resource.get("class"), dict) else None
            staging.out_of_scope("hospital_contact", f"encounter neither at a hospital unit nor at a GP clinic (class {cls})")
        return
    assert info is not None
    if info.person_id is None:
        staging.quarantine(table, record, ctx.person_problem(resource.get("subject")), resource)
        return
    if not info.contact_id:
        staging.quarantine(table, record, "Encounter without id", resource)
        return
    period = _period(resource)
    try:
        start = parse_instant(period.get("start")) if table == "hospital_contact" else parse_day(period.get("start"))
        end = parse_instant(period.get("end")) if table == "hospital_contact" else None
    except TimeError as error:
        staging.quarantine(table, record, f"period: {error}", resource)
        return
    if start is None:
        staging.quarantine(table, record, "Encounter without period.start", resource)
        return
    cls = (resource.get("class") or {}).get("code") if isinstance(resource.get("class"), dict) else None
    provider = resource.get("serviceProvider") if isinstance(resource.get("serviceProvider"), dict) else {}
    org = ctx.organisations.get(ctx.resolve(provider) or "", {})
    if table == "gp_contact":
        logical = provider.get("identifier") if isinstance(provider.get("identifier"), dict) else {}
        clinic = logical.get("value") if logical.get("system") == fs.SID_CLINIC else org.get("clinic_id")
        kind = fs.code_in(resource.get("type"), fs.CS_GP_KIND) or _GP_KIND_FROM_CLASS.get(str(cls))
        doctor = None
        for participant in resource.get("participant") or []:
            ident = (participant.get("individual") or {}).get("identifier") if isinstance(participant, dict) else None
            if isinstance(ident, dict) and ident.get("system") == fs.SID_PROVIDER:
                doctor = ident.get("value")
        if not clinic:
            staging.quarantine(table, record, "GP encounter without a clinic (ydernummer)", resource)
        elif not kind:
            staging.quarantine(table, record, f"GP encounter of unknown kind (class {cls})", resource)
        else:
            staging.add(table, {"contact_id": info.contact_id, "person_id": info.person_id, "contact_date": start,
                                "kind": kind, "clinic_id": clinic, "provider_id": doctor}, record)
        return
    if org.get("kind") != "unit":
        staging.quarantine(table, record, "hospital encounter without a hospital unit "
                           "(serviceProvider is not an Organization with a specialty)", resource)
        return
    contact_type = _sks(resource.get("type"), "ALCA") or {"VR": "ALCA03", "HH": "ALCA10"}.get(str(cls), "ALCA00")
    priority = _sks(resource.get("priority"), "ATA") or fs.PRIORITY_FROM_V3.get(
        str(fs.code_in(resource.get("priority"), fs.ACT_PRIORITY))) or ("ATA1" if cls in ("EMER", "ACUTE") else None)
    if priority is None:
        staging.quarantine(table, record, "hospital encounter without priority (acute or planned)", resource)
        return
    hospital = ctx.organisations.get(ctx.resolve(org.get("part_of")) or "", {})
    staging.add(table, {
        "contact_id": info.contact_id, "person_id": info.person_id, "start_time": start, "end_time": end,
        "contact_type": contact_type, "priority": priority, "contact_reason": _sks(resource.get("type"), "ALCC"),
        "hospital_id": hospital.get("hospital_id") or org.get("hospital_id"), "unit_id": org.get("unit_id"),
        "specialty": fs.code_in(resource.get("serviceType"), fs.CS_SPECIALTY) or org.get("specialty"),
        "branch": org.get("branch") or "somatic",
    }, record)


def _contact(resource: dict[str, Any], ctx: FhirContext, staging: Staging, table: str) -> str | None:
    """The hospital contact_id a Condition/Procedure belongs to, or None (already counted)."""
    record, ref = ctx.record(resource), resource.get("encounter")
    if not ref:
        staging.out_of_scope(table, f"{resource['resourceType']} without an encounter (not tied to a hospital contact)")
        return None
    info = ctx.encounter(ref)
    if info is None:
        staging.quarantine(table, record, "unresolved encounter reference", resource)
        return None
    if info.table != "hospital_contact":
        staging.out_of_scope(table, f"{resource['resourceType']} on an encounter that is not a hospital contact")
        return None
    return info.contact_id


def map_condition(resource: dict[str, Any], ctx: FhirContext, staging: Staging) -> None:
    """Condition -> diagnosis: an SKS D-code, or an ICD-10 code as D + code without the dot."""
    record = ctx.record(resource)
    status = fs.code_in(resource.get("verificationStatus"), fs.CONDITION_VER)
    if status == "entered-in-error":
        staging.out_of_scope("diagnosis", "Condition entered in error")
        return
    # SKS first, then ICD-10 (any coding, so SNOMED CT + ICD-10 maps), then the code map.
    sks = [c for c in fs.codings(resource.get("code")) if c.get("system") in fs.SKS_ALIASES]
    chosen = choose(sks, "diagnosis", ctx, _sks_diagnosis) or choose(resource.get("code"), "diagnosis", ctx,
                                                                     _sks_diagnosis)
    if chosen is None:
        unmapped("Condition", resource.get("code"), "diagnosis", resource, ctx, staging)
        return
    code, origin = chosen
    contact = _contact(resource, ctx, staging, "diagnosis")
    if contact is None:
        return
    kind = fs.code_in(resource.get("category"), fs.CS_DIAGNOSIS_TYPE) or "B"
    refuted = None if status is None else status == "refuted"
    staging.add("diagnosis", {"contact_id": contact, "diagnosis_code": code, "diagnosis_type": kind,
                              "refuted": refuted, **origin}, record)


def map_procedure(resource: dict[str, Any], ctx: FhirContext, staging: Staging) -> None:
    """Procedure -> procedure: SKS procedure codes only (not SNOMED CT)."""
    record = ctx.record(resource)
    if resource.get("status") in ("entered-in-error", "not-done"):
        staging.out_of_scope("procedure", f"Procedure {resource.get('status')}")
        return
    chosen = choose(resource.get("code"), "procedure", ctx, _sks_procedure)
    if chosen is None:
        unmapped("Procedure", resource.get("code"), "procedure", resource, ctx, staging)
        return
    code, origin = chosen
    contact = _contact(resource, ctx, staging, "procedure")
    if contact is None:
        return
    performed = resource.get("performedDateTime")
    if performed is None and isinstance(resource.get("performedPeriod"), dict):
        performed = resource["performedPeriod"].get("start")
    try:
        when = parse_instant(performed)
    except TimeError as error:
        staging.quarantine("procedure", record, f"performed: {error}", resource)
        return
    staging.add("procedure", {"contact_id": contact, "procedure_code": code, "procedure_time": when, **origin},
                record)


def map_organization(resource: dict[str, Any], ctx: FhirContext, staging: Staging, key: str) -> None:
    """Organization -> hospital_unit when it has a specialty (it is a hospital unit)."""
    record = ctx.record(resource)
    org = ctx.organisations.get(key, {})
    if resource["resourceType"] == "Location":
        staging.out_of_scope("hospital_unit", "Location (units are read from Organization)")
        return
    if org.get("kind") != "unit":
        staging.out_of_scope("hospital_unit", f"Organization that is not a hospital unit (kind {org.get('kind')})")
        return
    hospital = ctx.organisations.get(ctx.resolve(org.get("part_of")) or "")
    if hospital is None:
        staging.quarantine("hospital_unit", record, "hospital unit without a resolvable partOf hospital", resource)
        return
    staging.add("hospital_unit", {
        "unit_id": org.get("unit_id"), "hospital_id": hospital.get("hospital_id"),
        "hospital_name": hospital.get("name"), "unit_name": org.get("name"), "specialty": org.get("specialty"),
        "branch": org.get("branch") or "somatic", "region_code": org.get("region") or hospital.get("region"),
    }, record)
