"""Observation, medication, Immunization, Appointment, Communication, MedCom messages.

Mapping rules are in ``docs/inputs.md``.
"""

from __future__ import annotations

from typing import Any

from klynge.readers._base import Staging
from klynge.readers._time import TimeError, parse_day, parse_instant
from klynge.readers.fhir import _systems as fs
from klynge.readers.fhir._clinical import choose, unmapped
from klynge.readers.fhir._context import FhirContext


def _person(resource: dict[str, Any], ctx: FhirContext, staging: Staging, table: str, field: str = "subject") -> str | None:
    ref = resource.get(field)
    pid = ctx.person_id(ref)
    if pid is None:
        staging.quarantine(table, ctx.record(resource), ctx.person_problem(ref), resource)
    return pid


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _code_if(coding: dict[str, Any], systems: set[str]) -> str | None:
    code = str(coding.get("code") or "").strip()
    return code if code and coding.get("system") in systems else None


def map_observation(resource: dict[str, Any], ctx: FhirContext, staging: Staging) -> None:
    """Observation (category laboratory, NPU code) -> lab_result."""
    record = ctx.record(resource)
    categories = {c.get("code") for c in fs.codings(resource.get("category"))}
    if "laboratory" not in categories:
        staging.out_of_scope("lab_result", f"Observation category {', '.join(sorted(map(str, categories))) or 'none'} "
                             "(only laboratory is modelled)")
        return
    if resource.get("status") in ("entered-in-error", "cancelled"):
        staging.out_of_scope("lab_result", f"Observation {resource.get('status')}")
        return
    chosen = choose(resource.get("code"), "lab_result", ctx, lambda c: _code_if(c, fs.NPU_ALIASES))
    if chosen is None:
        unmapped("laboratory Observation", resource.get("code"), "lab_result", resource, ctx, staging)
        return
    code, origin = chosen
    pid = _person(resource, ctx, staging, "lab_result")
    if pid is None:
        return
    try:
        when = parse_instant(resource.get("effectiveDateTime")
                             or (resource.get("effectivePeriod") or {}).get("start") or resource.get("issued"))
    except TimeError as error:
        staging.quarantine("lab_result", record, f"effective: {error}", resource)
        return
    if when is None:
        staging.quarantine("lab_result", record, "laboratory Observation without a sample time", resource)
        return
    ext = fs.extension(resource, fs.EXT_SECTOR)
    sector = ext.get("valueCode") if ext else None
    if sector is None:
        encounter = ctx.encounter_table(resource.get("encounter"))
        sector = {"hospital_contact": "hospital", "gp_contact": "gp"}.get(str(encounter))
    if sector is None:
        staging.quarantine("lab_result", record, "requesting sector unknown (no sector extension or encounter)", resource)
        return
    quantity = resource.get("valueQuantity") if isinstance(resource.get("valueQuantity"), dict) else {}
    ranges = [r for r in resource.get("referenceRange") or [] if isinstance(r, dict)]
    low = (ranges[0].get("low") or {}).get("value") if ranges else None
    high = (ranges[0].get("high") or {}).get("value") if ranges else None
    staging.add("lab_result", {
        "person_id": pid, "sample_time": when, "npu_code": code, "value": _number(quantity.get("value")),
        "unit": quantity.get("unit") or quantity.get("code"), "ref_low": _number(low), "ref_high": _number(high),
        "sector": sector, **origin,
    }, record)


def _medication_code(resource: dict[str, Any], ctx: FhirContext) -> Any:
    concept = resource.get("medicationCodeableConcept")
    if concept is None and isinstance(resource.get("medicationReference"), dict):
        ref = resource["medicationReference"].get("reference", "")
        for contained in resource.get("contained") or []:
            if isinstance(contained, dict) and ref == f"#{contained.get('id')}":
                concept = contained.get("code")
        if concept is None:
            concept = ctx.medications.get(ctx.resolve(ref, "Medication") or "")
    return concept


def map_medication(resource: dict[str, Any], ctx: FhirContext, staging: Staging) -> None:
    """MedicationDispense -> prescription (a redeemed prescription); requests are not counted."""
    record, rtype = ctx.record(resource), resource["resourceType"]
    if rtype != "MedicationDispense":
        staging.out_of_scope("prescription", f"{rtype} (a prescription is counted when dispensed)")
        return
    if resource.get("status") not in (None, "completed"):
        staging.out_of_scope("prescription", f"MedicationDispense {resource.get('status')} (not handed over)")
        return
    concept = _medication_code(resource, ctx)
    chosen = choose(concept, "prescription", ctx, lambda c: _code_if(c, fs.ATC_ALIASES))
    if chosen is None:
        unmapped("MedicationDispense", concept, "prescription", resource, ctx, staging)
        return
    atc, origin = chosen
    pid = _person(resource, ctx, staging, "prescription")
    if pid is None:
        return
    try:
        day = parse_day(resource.get("whenHandedOver") or resource.get("whenPrepared"))
    except TimeError as error:
        staging.quarantine("prescription", record, f"whenHandedOver: {error}", resource)
        return
    if day is None:
        staging.quarantine("prescription", record, "MedicationDispense without whenHandedOver", resource)
        return
    ext = fs.extension(resource, fs.EXT_DDD)
    staging.add("prescription", {"person_id": pid, "dispensing_date": day, "atc": atc,
                                 "ddd": _number(ext.get("valueDecimal")) if ext else None, **origin}, record)


def map_immunization(resource: dict[str, Any], ctx: FhirContext, staging: Staging) -> None:
    """Immunization -> vaccination: the DDV vaccine group, or a CVX code that maps to one."""
    record = ctx.record(resource)
    if resource.get("status") in ("not-done", "entered-in-error"):
        staging.out_of_scope("vaccination", f"Immunization {resource.get('status')}")
        return
    vaccine = fs.code_in(resource.get("vaccineCode"), fs.CS_VACCINE)
    if vaccine is None:
        cvx = fs.code_in(resource.get("vaccineCode"), fs.CVX)
        vaccine = fs.VACCINE_FROM_CVX.get(str(cvx))
        if vaccine is None:
            staging.quarantine("vaccination", record, "vaccine code without a DDV vaccine group"
                               + (f" (CVX {cvx})" if cvx else ""), resource)
            return
    pid = _person(resource, ctx, staging, "vaccination", "patient")
    if pid is None:
        return
    try:
        day = parse_day(resource.get("occurrenceDateTime"))
    except TimeError as error:
        staging.quarantine("vaccination", record, f"occurrence: {error}", resource)
        return
    if day is None:
        staging.quarantine("vaccination", record, "Immunization without occurrenceDateTime", resource)
        return
    staging.add("vaccination", {"person_id": pid, "vaccination_date": day, "vaccine": vaccine}, record)


def map_appointment(resource: dict[str, Any], ctx: FhirContext, staging: Staging) -> None:
    """Appointment -> appointment (patient and organisation from the participants)."""
    record = ctx.record(resource)
    patient, organisation = None, None
    for participant in resource.get("participant") or []:
        actor = participant.get("actor") if isinstance(participant, dict) else None
        if not isinstance(actor, dict):
            continue
        if ctx.resolve(actor, "Patient"):
            patient = actor
        elif isinstance(actor.get("identifier"), dict):
            organisation = actor["identifier"].get("value")
    pid = ctx.person_id(patient)
    if pid is None:
        staging.quarantine("appointment", record, ctx.person_problem(patient), resource)
        return
    try:
        start = parse_instant(resource.get("start"))
    except TimeError as error:
        staging.quarantine("appointment", record, f"start: {error}", resource)
        return
    ext = fs.extension(resource, fs.EXT_SECTOR)
    status = fs.APPOINTMENT_STATUS_FROM_FHIR.get(str(resource.get("status")))
    if start is None or status is None or ext is None or not organisation:
        staging.quarantine("appointment", record, "Appointment without start, known status, sector or organisation",
                           resource)
        return
    staging.add("appointment", {
        "appointment_id": fs.identifier(resource, fs.SID_APPOINTMENT) or resource.get("id"), "person_id": pid,
        "sector": ext.get("valueCode"), "organisation_id": organisation, "start_time": start, "status": status,
        "description": resource.get("description"),
    }, record)


def _org_id(reference: Any, ctx: FhirContext) -> str | None:
    if not isinstance(reference, dict):
        return None
    if isinstance(reference.get("identifier"), dict):
        return reference["identifier"].get("value")
    key = ctx.resolve(reference)
    if key is None:
        return None
    for resource in ctx.bundle or []:
        if f"{resource.get('resourceType')}/{resource.get('id')}" == key:
            return fs.identifier(resource, {fs.SOR, fs.SID_ORGANISATION, fs.SID_MUNICIPALITY}) or resource.get("id")
    return None


def _code_ext(resource: dict[str, Any], url: str) -> str | None:
    ext = fs.extension(resource, url)
    return ext.get("valueCode") if ext else None


def map_communication(resource: dict[str, Any], ctx: FhirContext, staging: Staging) -> None:
    """Communication with a klynge message type -> message (the writer's form of a message)."""
    record = ctx.record(resource)
    kind = fs.code_in(resource.get("category"), fs.CS_MESSAGE_TYPE)
    if kind is None:
        staging.out_of_scope("message", "Communication without a MedCom message type")
        return
    pid = _person(resource, ctx, staging, "message")
    if pid is None:
        return
    sender = resource.get("sender") if isinstance(resource.get("sender"), dict) else {}
    recipients = [r for r in resource.get("recipient") or [] if isinstance(r, dict)]
    try:
        sent = parse_instant(resource.get("sent"))
    except TimeError as error:
        staging.quarantine("message", record, f"sent: {error}", resource)
        return
    encounter = resource.get("encounter")
    contact = None
    if isinstance(encounter, dict):
        contact = ctx.contact_id(encounter) if encounter.get("reference") else (encounter.get("identifier") or {}).get("value")
    payload = [p.get("contentString") for p in resource.get("payload") or [] if isinstance(p, dict)]
    staging.add("message", {
        "message_id": fs.identifier(resource, fs.SID_MESSAGE) or resource.get("id"), "person_id": pid,
        "message_type": kind, "sender_sector": _code_ext(resource, fs.EXT_SENDER_SECTOR),
        "receiver_sector": _code_ext(resource, fs.EXT_RECEIVER_SECTOR),
        "sender_id": _org_id(sender, ctx), "receiver_id": _org_id(recipients[0], ctx) if recipients else None,
        "sent_time": sent, "related_contact_id": contact, "text": payload[0] if payload else None,
    }, record)


def map_message_header(resource: dict[str, Any], ctx: FhirContext, staging: Staging) -> None:
    """A MedCom HospitalNotification MessageHeader -> message (hospital_notification)."""
    record = ctx.record(resource)
    if (resource.get("eventCoding") or {}).get("code") != "hospital-notification-message":
        staging.out_of_scope("message", "MessageHeader of a message type klynge does not model")
        return
    bundle = ctx.bundle or []
    focus = (resource.get("focus") or [{}])[0]
    encounter = next((r for r in bundle if ctx.resolve(focus, "Encounter") == f"Encounter/{r.get('id')}"), None)
    provenance = next((r for r in bundle if r.get("resourceType") == "Provenance"), {})
    pid = ctx.person_id((encounter or {}).get("subject"))
    if encounter is None or pid is None:
        reason = "HospitalNotification without its Encounter" if encounter is None else \
            ctx.person_problem(encounter.get("subject"))
        staging.quarantine("message", record, reason, resource)
        return
    try:
        sent = parse_instant(provenance.get("occurredDateTime") or provenance.get("recorded"))
    except TimeError as error:
        staging.quarantine("message", record, f"occurred: {error}", resource)
        return
    activity = fs.code_in(provenance.get("activity"), fs.MEDCOM_ACTIVITIES)
    destination = (resource.get("destination") or [{}])[0]
    receiver = _org_id(destination.get("receiver") if isinstance(destination, dict) else None, ctx)
    legacy = fs.NOTIFICATION_ACTIVITIES.get(str(activity))
    staging.add("message", {
        "message_id": resource.get("id"), "person_id": pid, "message_type": "hospital_notification",
        "sender_sector": "hospital", "receiver_sector": "municipality",
        "sender_id": _org_id(resource.get("sender"), ctx), "receiver_id": receiver, "sent_time": sent,
        "related_contact_id": None,
        "text": f"{activity} ({legacy})" if legacy else activity,
    }, record)
