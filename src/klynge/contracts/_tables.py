"""The canonical data model: every table a council's sources are mapped onto.

This module is the single source of truth. Validation (`klynge.ingest`), the warehouse tables
and `docs/data-model.md` are all derived from `TABLES`.
"""

from __future__ import annotations

from klynge.contracts import _codes as codes
from klynge.contracts._schema import Column, Order, Reference, Table

# SKS codes: a diagnosis is D + ICD-10 without the dot (DI500); procedures start with another
# letter (K surgery, B treatment, U examination, Z misc., W/A administrative).
SKS_DIAGNOSIS = r"D[A-Z][0-9]{2}[0-9A-Z]{0,4}"
SKS_PROCEDURE = r"[A-Z][A-Z0-9]{2,9}"
ATC = r"[A-Z]([0-9]{2}([A-Z]([A-Z]([0-9]{2})?)?)?)?"
NPU = r"(NPU|DNK)[0-9]{5}"
SOR_LIKE = r"[0-9A-Za-z_.-]{1,40}"
MUNICIPALITY = r"[0-9]{3}"
# The original coding a reader mapped a row from: a code system URI or vocabulary id, and a code.
SOURCE_SYSTEM = r"[A-Za-z0-9][A-Za-z0-9 :/._#%?=&~+-]{0,199}"
SOURCE_CODE = r"[0-9A-Za-z][0-9A-Za-z .:/_+-]{0,63}"


def _pid(description: str = "Pseudonymous person id (never a CPR number).") -> Column:
    return Column("person_id", "string", description, cpr_check=True, pattern=r"[0-9A-Za-z_.:-]{1,64}")


def _source_columns(what: str) -> tuple[Column, Column]:
    return (
        Column("source_system", "string",
               f"Code system of the original coding the {what} was taken or mapped from (a FHIR system URI such "
               "as http://snomed.info/sct, or an OMOP vocabulary id such as SNOMED); empty where the source "
               "already used the canonical code (canonical and LPR3 sources).", nullable=True, pattern=SOURCE_SYSTEM),
        Column("source_code", "string", f"The original code in source_system the {what} was taken or mapped from.",
               nullable=True, pattern=SOURCE_CODE),
    )


_PERSON_REF = Reference("person_id", "person", "person_id")
_CONTACT_REF = Reference("contact_id", "hospital_contact", "contact_id")

PERSON = Table(
    "person",
    "One row per citizen: the population register (CPR) seen through a pseudonym.",
    (
        _pid(),
        Column("birth_date", "date", "Date of birth.", min=None),
        Column("sex", "string", "Sex as registered in CPR.", codes=tuple(codes.SEXES)),
        Column("death_date", "date", "Date of death, if dead.", nullable=True),
    ),
    required=True,
    primary_key=("person_id",),
    orders=(Order("birth_date", "death_date"),),
)

RESIDENCE = Table(
    "residence",
    "Where a citizen lives: municipality of residence over time (CPR address history).",
    (
        _pid(),
        Column("municipality_code", "string", "Official 3-digit municipality code (kommunekode).",
               pattern=MUNICIPALITY),
        Column("valid_from", "date", "First day of residence."),
        Column("valid_to", "date", "Day after the last day of residence (exclusive); empty if current.",
               nullable=True),
    ),
    required=True,
    references=(_PERSON_REF,),
    orders=(Order("valid_from", "valid_to", strict=True),),
    event_column="valid_from",
)

GP_LISTING = Table(
    "gp_listing",
    "The general practice (clinic) a citizen is listed with, over time (sygesikringsgruppe 1).",
    (
        _pid(),
        Column("clinic_id", "string", "Clinic identifier (ydernummer).", pattern=SOR_LIKE),
        Column("valid_from", "date", "First day on the clinic's list."),
        Column("valid_to", "date", "Day after the last day on the list (exclusive); empty if current.",
               nullable=True),
    ),
    references=(_PERSON_REF,),
    orders=(Order("valid_from", "valid_to", strict=True),),
    event_column="valid_from",
    sector="gp",
)

HOSPITAL_CONTACT = Table(
    "hospital_contact",
    "One LPR3 contact (kontakt): a physical, virtual or home-visit encounter with a hospital unit.",
    (
        Column("contact_id", "string", "Contact id (dw_ek_kontakt).", pattern=SOR_LIKE),
        _pid(),
        Column("start_time", "timestamp", "Start of the contact."),
        Column("end_time", "timestamp", "End of the contact; empty while ongoing.", nullable=True),
        Column("contact_type", "string", "LPR3 kontakttype.", codes=tuple(codes.CONTACT_TYPES)),
        Column("priority", "string", "LPR3 prioritet: ATA1 acute, ATA3 planned.",
               codes=tuple(codes.PRIORITIES)),
        Column("contact_reason", "string", "LPR3 kontaktårsag.", nullable=True,
               codes=tuple(codes.CONTACT_REASONS)),
        Column("hospital_id", "string", "Hospital (sundhedsinstitution, SOR-like id).", pattern=SOR_LIKE),
        Column("unit_id", "string", "Responsible unit (SOR-like id).", pattern=SOR_LIKE),
        Column("specialty", "string", "Main specialty of the responsible unit.",
               codes=tuple(codes.SPECIALTIES)),
        Column("branch", "string", "Somatic or psychiatric.", codes=tuple(codes.BRANCHES)),
    ),
    primary_key=("contact_id",),
    references=(_PERSON_REF,),
    orders=(Order("start_time", "end_time"),),
    event_column="start_time",
    sector="hospital",
)

DIAGNOSIS = Table(
    "diagnosis",
    "A diagnosis registered on a hospital contact (SKS D-code, type A main or B secondary).",
    (
        Column("contact_id", "string", "The contact the diagnosis belongs to.", pattern=SOR_LIKE),
        Column("diagnosis_code", "string", "SKS diagnosis code (D + ICD-10 without dot).",
               pattern=SKS_DIAGNOSIS),
        Column("diagnosis_type", "string", "A (aktionsdiagnose) or B (bidiagnose).",
               codes=tuple(codes.DIAGNOSIS_TYPES)),
        Column("refuted", "bool", "Later refuted (senere afkræftet); refuted diagnoses never count.",
               nullable=True),
        *_source_columns("diagnosis code"),
    ),
    references=(_CONTACT_REF,),
    sector="hospital",
)

PROCEDURE = Table(
    "procedure",
    "A procedure registered on a hospital contact (SKS K/B/U/Z... code).",
    (
        Column("contact_id", "string", "The contact the procedure belongs to.", pattern=SOR_LIKE),
        Column("procedure_code", "string", "SKS procedure code.", pattern=SKS_PROCEDURE),
        Column("procedure_time", "timestamp", "When the procedure was done.", nullable=True),
        *_source_columns("procedure code"),
    ),
    references=(_CONTACT_REF,),
    sector="hospital",
)

MUNICIPAL_SERVICE = Table(
    "municipal_service",
    "A municipal care service granted to a citizen (FSIII indsats), with planned minutes per week.",
    (
        Column("service_id", "string", "Service (bevilling) id.", pattern=SOR_LIKE),
        _pid(),
        Column("municipality_code", "string", "The municipality delivering the service.", pattern=MUNICIPALITY),
        Column("service_code", "string", "FSIII service code (PLEJEBOLIG for nursing home residence).",
               codes=tuple(codes.SERVICES)),
        Column("service_group", "string", "Service group.", codes=tuple(codes.SERVICE_GROUPS)),
        Column("start_date", "date", "First day of the service."),
        Column("end_date", "date", "Day after the last day (exclusive); empty if ongoing.", nullable=True),
        Column("minutes_per_week", "float", "Planned (visited) minutes per week; empty for stays.",
               nullable=True, min=0, max=10080),
    ),
    primary_key=("service_id",),
    references=(_PERSON_REF,),
    orders=(Order("start_date", "end_date", strict=True),),
    event_column="start_date",
    sector="municipality",
)

FUNCTIONAL_ASSESSMENT = Table(
    "functional_assessment",
    "A municipal assessment of a functional state (FSIII J-code) with severity B1-B5.",
    (
        _pid(),
        Column("assessment_date", "date", "Date of the assessment."),
        Column("state_code", "string", "FSIII functional state (J-code).", codes=tuple(codes.FUNCTIONAL_STATES)),
        Column("severity", "string", "FSIII severity B1 (none) .. B5 (total).", codes=tuple(codes.SEVERITIES)),
        Column("municipality_code", "string", "Assessing municipality.", pattern=MUNICIPALITY),
    ),
    references=(_PERSON_REF,),
    event_column="assessment_date",
    sector="municipality",
)

GP_CONTACT = Table(
    "gp_contact",
    "A contact with general practice (from the Health Insurance register, sygesikringen).",
    (
        Column("contact_id", "string", "Contact id.", pattern=SOR_LIKE),
        _pid(),
        Column("contact_date", "date", "Date of the contact."),
        Column("kind", "string", "Kind of contact.", codes=tuple(codes.GP_CONTACT_KINDS)),
        Column("clinic_id", "string", "Clinic (ydernummer) that had the contact.", pattern=SOR_LIKE),
        Column("provider_id", "string", "The individual doctor, if known.", nullable=True, pattern=SOR_LIKE),
    ),
    primary_key=("contact_id",),
    references=(_PERSON_REF,),
    event_column="contact_date",
    sector="gp",
)

LAB_RESULT = Table(
    "lab_result",
    "A laboratory result (NPU code) from hospital or general practice.",
    (
        _pid(),
        Column("sample_time", "timestamp", "When the sample was taken."),
        Column("npu_code", "string", "NPU (or DNK) analysis code.", pattern=NPU),
        Column("value", "float", "Numeric result.", nullable=True),
        Column("unit", "string", "Unit of the result.", nullable=True),
        Column("ref_low", "float", "Lower reference limit.", nullable=True),
        Column("ref_high", "float", "Upper reference limit.", nullable=True),
        Column("sector", "string", "Requesting sector.", codes=tuple(codes.SECTORS)),
        *_source_columns("NPU code"),
    ),
    references=(_PERSON_REF,),
    orders=(Order("ref_low", "ref_high"),),
    event_column="sample_time",
)

PRESCRIPTION = Table(
    "prescription",
    "A redeemed prescription (Lægemiddelstatistikregisteret): ATC code, date and defined daily doses.",
    (
        _pid(),
        Column("dispensing_date", "date", "Date the prescription was redeemed."),
        Column("atc", "string", "ATC code.", pattern=ATC),
        Column("ddd", "float", "Defined daily doses dispensed.", min=0, nullable=True),
        *_source_columns("ATC code"),
    ),
    references=(_PERSON_REF,),
    event_column="dispensing_date",
)

VACCINATION = Table(
    "vaccination",
    "A vaccination as registered in the Danish vaccination register (DDV).",
    (
        _pid(),
        Column("vaccination_date", "date", "Date of vaccination."),
        Column("vaccine", "string", "Vaccine group.", codes=tuple(codes.VACCINES)),
    ),
    references=(_PERSON_REF,),
    event_column="vaccination_date",
)

APPOINTMENT = Table(
    "appointment",
    "An appointment booked in any sector, past or future, with its status.",
    (
        Column("appointment_id", "string", "Appointment id.", pattern=SOR_LIKE),
        _pid(),
        Column("sector", "string", "Sector of the appointment.", codes=tuple(codes.SECTORS)),
        Column("organisation_id", "string", "Unit, clinic or municipality.", pattern=SOR_LIKE),
        Column("start_time", "timestamp", "When the appointment starts."),
        Column("status", "string", "Booking status.", codes=tuple(codes.APPOINTMENT_STATUSES)),
        Column("description", "string", "What the appointment is for.", nullable=True),
    ),
    primary_key=("appointment_id",),
    references=(_PERSON_REF,),
)

MESSAGE = Table(
    "message",
    "A cross-sector message as in MedCom (advis, discharge letter and report, care plan).",
    (
        Column("message_id", "string", "Message id.", pattern=SOR_LIKE),
        _pid(),
        Column("message_type", "string", "Kind of message.", codes=tuple(codes.MESSAGE_TYPES)),
        Column("sender_sector", "string", "Sending sector.", codes=tuple(codes.SECTORS)),
        Column("receiver_sector", "string", "Receiving sector.", codes=tuple(codes.SECTORS)),
        Column("sender_id", "string", "Sending organisation.", pattern=SOR_LIKE),
        Column("receiver_id", "string", "Receiving organisation.", pattern=SOR_LIKE),
        Column("sent_time", "timestamp", "When the message was sent."),
        Column("related_contact_id", "string", "The hospital contact it concerns.", nullable=True,
               pattern=SOR_LIKE),
        Column("text", "string", "The letter's text, where there is one.", nullable=True, cpr_check=True),
    ),
    primary_key=("message_id",),
    references=(_PERSON_REF, Reference("related_contact_id", "hospital_contact", "contact_id")),
)

HOSPITAL_UNIT = Table(
    "hospital_unit",
    "Hospital units (SOR-like organisation register): unit, hospital, specialty and region.",
    (
        Column("unit_id", "string", "Unit id.", pattern=SOR_LIKE),
        Column("hospital_id", "string", "Hospital id.", pattern=SOR_LIKE),
        Column("hospital_name", "string", "Hospital name."),
        Column("unit_name", "string", "Unit name."),
        Column("specialty", "string", "Main specialty.", codes=tuple(codes.SPECIALTIES)),
        Column("branch", "string", "Somatic or psychiatric.", codes=tuple(codes.BRANCHES)),
        Column("region_code", "string", "Region (1081-1085).", codes=("1081", "1082", "1083", "1084", "1085")),
    ),
    primary_key=("unit_id",),
    sector="hospital",
)

# Order matters: a table is validated after the tables it references.
TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        PERSON, RESIDENCE, GP_LISTING, HOSPITAL_UNIT, HOSPITAL_CONTACT, DIAGNOSIS, PROCEDURE,
        MUNICIPAL_SERVICE, FUNCTIONAL_ASSESSMENT, GP_CONTACT, LAB_RESULT, PRESCRIPTION, VACCINATION,
        APPOINTMENT, MESSAGE,
    )
}
