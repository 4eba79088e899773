"""Code systems, identifier systems and extensions the FHIR reader and writer agree on.

Standard and Danish systems are used where they exist (DK-core, MedCom, SKS, NPU, ATC); where
FHIR and DK-core have no element for a canonical column (LPR3 specialty of a unit, the DDV
vaccine group, the requesting sector of a lab result, DDD), klynge uses its own systems under
``https://klynge.dk/fhir/``. The reader accepts both, so a source written by `write_fhir`
reads back to the same canonical rows.
"""

from __future__ import annotations

from typing import Any

KLYNGE = "https://klynge.dk/fhir"

# Identifier systems.
CPR = "urn:oid:1.2.208.176.1.2"            # DK-core CPR number (domain reference §8.4)
SOR = "urn:oid:1.2.208.176.1.1"            # SOR organisation id (DK-core)
LPR3_EPISODE = "https://www.esundhed.dk/Registre/Landspatientsregisteret"
SID_PERSON = f"{KLYNGE}/sid/person"        # klynge pseudonymous person_id
SID_CONTACT = f"{KLYNGE}/sid/contact"      # hospital contact id (dw_ek_kontakt) or GP contact id
SID_UNIT = f"{KLYNGE}/sid/unit"            # hospital unit id (SOR-like)
SID_HOSPITAL = f"{KLYNGE}/sid/hospital"    # hospital id (sundhedsinstitution)
SID_CLINIC = f"{KLYNGE}/sid/ydernummer"    # general practice (ydernummer)
SID_PROVIDER = f"{KLYNGE}/sid/provider"    # individual GP
SID_MUNICIPALITY = f"{KLYNGE}/sid/municipality"
SID_MESSAGE = f"{KLYNGE}/sid/message"
SID_APPOINTMENT = f"{KLYNGE}/sid/appointment"
SID_ORGANISATION = f"{KLYNGE}/sid/organisation"

# Code systems.
SKS = "urn:oid:1.2.208.176.2.4"            # SKS classification (D-, K-, ALCA-, ATA- codes)
SKS_ALIASES = {SKS, "http://medcomfhir.dk/ig/terminology/CodeSystem/sks", "https://sks.dk"}
ICD10 = {"http://hl7.org/fhir/sid/icd-10", "http://hl7.org/fhir/sid/icd-10-dk", "urn:oid:2.16.840.1.113883.6.3",
         "http://hl7.org/fhir/sid/icd-10-cm"}
NPU = "urn:oid:1.2.208.176.2.1"
NPU_ALIASES = {NPU, "http://npu-terminology.org", "http://medcomfhir.dk/ig/terminology/CodeSystem/npu"}
LOINC = "http://loinc.org"
ATC = "http://www.whocc.no/atc"
ATC_ALIASES = {ATC, "urn:oid:2.16.840.1.113883.6.73", "http://www.whocc.no/atc/"}
CVX = "http://hl7.org/fhir/sid/cvx"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ACT_PRIORITY = "http://terminology.hl7.org/CodeSystem/v3-ActPriority"
CONDITION_VER = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
MUNICIPALITY_CS = "http://hl7.dk/fhir/core/CodeSystem/dk-core-municipality-codes"
REGION_CS = "urn:iso:std:iso:3166:-2"
CS_SPECIALTY = f"{KLYNGE}/CodeSystem/specialty"
CS_BRANCH = f"{KLYNGE}/CodeSystem/branch"
CS_GP_KIND = f"{KLYNGE}/CodeSystem/gp-contact-kind"
CS_DIAGNOSIS_TYPE = f"{KLYNGE}/CodeSystem/diagnosis-type"
CS_VACCINE = f"{KLYNGE}/CodeSystem/vaccine"
CS_MESSAGE_TYPE = f"{KLYNGE}/CodeSystem/message-type"
CS_SECTOR = f"{KLYNGE}/CodeSystem/sector"
CS_ORG_KIND = f"{KLYNGE}/CodeSystem/organisation-kind"   # hospital, unit, clinic, municipality
MEDCOM_EVENTS = "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-eventCodes"
MEDCOM_ACTIVITIES = "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-activityCodes"

# Extensions.
EXT_MUNICIPALITY = "http://hl7.dk/fhir/core/StructureDefinition/dk-core-municipalityCodes"
EXT_REGION = "http://hl7.dk/fhir/core/StructureDefinition/dk-core-RegionalSubDivisionCodes"
EXT_LISTING_PERIOD = f"{KLYNGE}/StructureDefinition/listing-period"
EXT_SECTOR = f"{KLYNGE}/StructureDefinition/sector"
EXT_SENDER_SECTOR = f"{KLYNGE}/StructureDefinition/sender-sector"
EXT_RECEIVER_SECTOR = f"{KLYNGE}/StructureDefinition/receiver-sector"
EXT_DDD = f"{KLYNGE}/StructureDefinition/ddd"

# MedCom HospitalNotification activity codes -> the legacy advis code (§8.2).
NOTIFICATION_ACTIVITIES = {
    "admit-emergency": "STAA", "admit-inpatient": "STIN", "start-leave-inpatient": "STOR",
    "end-leave-inpatient": "SLOR", "discharge-inpatient-home": "SLHJ", "discharge-emergency-home": "SLHJ",
    "deceased": "MORS",
}

# v3 ActPriority -> LPR3 priority: emergency/urgent are acute, elective/routine planned.
PRIORITY_FROM_V3 = {"EM": "ATA1", "A": "ATA1", "UR": "ATA1", "S": "ATA1", "CR": "ATA1",
                    "EL": "ATA3", "R": "ATA3", "P": "ATA3", "PRN": "ATA3", "RR": "ATA3"}
PRIORITY_TO_V3 = {"ATA1": "EM", "ATA3": "EL"}
# LPR3 contact type -> v3 encounter class (written beside the SKS code).
CLASS_FROM_CONTACT_TYPE = {"ALCA00": "AMB", "ALCA03": "VR", "ALCA10": "HH"}
HOSPITAL_CLASSES = {"IMP", "EMER", "ACUTE", "NONAC", "SS", "OBSENC", "PRENC"}
REGION_FROM_ISO = {"DK-81": "1081", "DK-82": "1082", "DK-83": "1083", "DK-84": "1084", "DK-85": "1085"}
REGION_TO_ISO = {v: k for k, v in REGION_FROM_ISO.items()}
APPOINTMENT_STATUS_FROM_FHIR = {"booked": "booked", "pending": "booked", "proposed": "booked",
                                "arrived": "attended", "checked-in": "attended", "fulfilled": "attended",
                                "cancelled": "cancelled", "noshow": "no_show"}
APPOINTMENT_STATUS_TO_FHIR = {"booked": "booked", "attended": "fulfilled", "cancelled": "cancelled",
                              "no_show": "noshow"}

# CVX vaccine codes -> DDV vaccine group, only where the group is unambiguous (an approximation:
# the childhood pneumococcal and Di-Te-Ki-Pol/Hib combinations are not mapped).
VACCINE_FROM_CVX = {
    **dict.fromkeys(["88", "135", "140", "141", "144", "150", "153", "155", "158", "161", "166", "168",
                     "171", "185", "186", "197", "205"], "INFLUENZA"),
    **dict.fromkeys(["207", "208", "210", "211", "212", "213", "217", "218", "219", "221", "225", "226",
                     "227", "228", "229", "230", "300", "301", "302"], "COVID19"),
    **dict.fromkeys(["62", "118", "137", "165"], "HPV"),
    **dict.fromkeys(["03", "3", "94"], "MFR"),
    **dict.fromkeys(["08", "8", "43", "44", "45", "189"], "HEPATITIS_B"),
    "33": "PNEUMOKOK",
}


def codings(concept: Any) -> list[dict[str, Any]]:
    """The codings of a CodeableConcept (or of a list of them, or of a bare Coding)."""
    if isinstance(concept, list):
        return [c for item in concept for c in codings(item)]
    if not isinstance(concept, dict):
        return []
    if "coding" in concept:
        return [c for c in concept.get("coding") or [] if isinstance(c, dict)]
    return [concept] if "code" in concept else []


def code_in(concept: Any, systems: set[str] | str) -> str | None:
    """The first code of ``concept`` in one of ``systems``, or None."""
    wanted = {systems} if isinstance(systems, str) else systems
    for coding in codings(concept):
        if coding.get("system") in wanted and isinstance(coding.get("code"), str) and coding["code"].strip():
            return str(coding["code"]).strip()
    return None


def identifier(resource: dict[str, Any], systems: set[str] | str) -> str | None:
    """The value of the first identifier of ``resource`` in one of ``systems``, or None."""
    wanted = {systems} if isinstance(systems, str) else systems
    items = resource.get("identifier")
    if isinstance(items, dict):
        items = [items]
    for item in items or []:
        if isinstance(item, dict) and item.get("system") in wanted and item.get("value"):
            return str(item["value"]).strip()
    return None


def extension(element: Any, url: str) -> dict[str, Any] | None:
    """The first extension with ``url`` on an element, or None."""
    if not isinstance(element, dict):
        return None
    for ext in element.get("extension") or []:
        if isinstance(ext, dict) and ext.get("url") == url:
            return ext
    return None
