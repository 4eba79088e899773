"""OMOP VISIT_OCCURRENCE into klynge's hospital and GP contacts (``docs/inputs.md``).

The kind of visit comes from ``visit_concept_id``; whether an outpatient, office, home or
telehealth visit is with general practice comes from the provider's specialty (its concept
name or ``specialty_source_value``) or the care site's name and place of service. Inpatient
and emergency visits are always hospital contacts.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from klynge.readers.omop_classify import GP_LABEL, account, ids, map_rows, raw_columns

if TYPE_CHECKING:
    import duckdb

    from klynge.readers._base import Staging
    from klynge.readers.omop import Clock

UNKNOWN_SITE = "omop-unknown"

# Visit concepts (OMOP "Visit" vocabulary and CMS place of service).
INPATIENT = (9201, 262, 8717)
EMERGENCY = (9203, 262, 8870)
OUTPATIENT = (9202, 8756)
OFFICE, HOME, TELEHEALTH = (581477,), (581476,), (722455, 5083)
# Specialty words (provider specialty, care site name or place of service) -> canonical specialty.
SPECIALTY_WORDS: tuple[tuple[str, str], ...] = (
    ("psychiat|psykiatri", "psychiatry"),
    ("pediatric|paediatric|pædiatri|børn", "paediatrics"),
    ("geriatri", "geriatrics"),
    ("neurosurg|neurokirurg|cardiac surg|cardiothoracic|thoraxkirurg", "surgery"),
    ("cardio|kardiolog|hjerte", "cardiology"),
    ("pulmon|respirat|lung", "pulmonology"),
    ("endocrin|endokrin|diabet", "endocrinology"),
    ("gastro|hepatol|mave", "gastroenterology"),
    ("infect|infektion", "infectious_diseases"),
    ("neurol", "neurology"),
    ("oncolog|onkolog|hematolog|haematolog|hæmatolog", "oncology"),
    ("rheumat|reumatolog", "rheumatology"),
    ("orthop|ortopæd", "orthopaedics"),
    ("obstet|gyn|føde", "gynaecology_obstetrics"),
    ("surg|kirurg", "surgery"),
    ("emergency|akutmodtag|skadestue|fælles akut", "emergency"),
    ("internal medicine|hospitalist|nephrolog|nefrolog|intern medicin|medicinsk", "internal_medicine"),
)


def _specialty_sql(label: str) -> str:
    whens = " ".join(f"WHEN regexp_matches({label}, '{words}') THEN '{name}'" for words, name in SPECIALTY_WORDS)
    return f"CASE {whens} END"


def dims(con: duckdb.DuckDBPyConnection) -> None:
    """Deduplicated vocabulary, provider and care-site tables for the joins."""
    con.execute("""
        CREATE TABLE voc AS SELECT TRY_CAST(concept_id AS BIGINT) AS id, vocabulary_id AS vocab,
            upper(concept_code) AS code, lower(coalesce(concept_name, '')) AS name, concept_class_id AS class
        FROM omop_concept WHERE TRY_CAST(concept_id AS BIGINT) IS NOT NULL
        QUALIFY row_number() OVER (PARTITION BY TRY_CAST(concept_id AS BIGINT)) = 1;
        CREATE TABLE prov AS SELECT * FROM omop_provider QUALIFY row_number() OVER (PARTITION BY provider_id) = 1;
        CREATE TABLE site AS SELECT * FROM omop_care_site QUALIFY row_number() OVER (PARTITION BY care_site_id) = 1;
        CREATE TABLE prov_label AS SELECT p.provider_id, p.care_site_id,
            lower(concat_ws(' ', v.name, p.specialty_source_value)) AS label
        FROM prov p LEFT JOIN voc v ON v.id = TRY_CAST(p.specialty_concept_id AS BIGINT);
    """)


def visits(con: duckdb.DuckDBPyConnection, staging: Staging, clock: Clock) -> dict[str, str]:
    """Stage visits as hospital or GP contacts; return each visit id's status.

    The status is ``hospital``, ``gp``, ``out`` (out of scope) or ``quarantined``.
    """
    con.execute(f"""
        CREATE TABLE cls_visit AS
        WITH v AS (
            SELECT s.*, s.rowid AS _order, TRY_CAST(s.visit_concept_id AS BIGINT) AS _vc,
                count(*) OVER (PARTITION BY s.visit_occurrence_id) AS _n, ps.status AS _person,
                coalesce(s.care_site_id, pl.care_site_id) AS _site,
                lower(concat_ws(' ', pl.label, cs.care_site_name, pos.name, cs.place_of_service_source_value)) AS _label,
                vn.name AS _vname, TRY_CAST(prev.visit_concept_id AS BIGINT) AS _prev_vc
            FROM omop_visit_occurrence s
            LEFT JOIN person_status ps ON ps.person_id = s.person_id
            LEFT JOIN prov_label pl ON pl.provider_id = s.provider_id
            LEFT JOIN site cs ON cs.care_site_id = coalesce(s.care_site_id, pl.care_site_id)
            LEFT JOIN voc pos ON pos.id = TRY_CAST(cs.place_of_service_concept_id AS BIGINT)
            LEFT JOIN voc vn ON vn.id = TRY_CAST(s.visit_concept_id AS BIGINT)
            LEFT JOIN (SELECT * FROM omop_visit_occurrence
                       QUALIFY row_number() OVER (PARTITION BY visit_occurrence_id) = 1) prev
                ON prev.visit_occurrence_id = s.preceding_visit_occurrence_id
        ), k AS (
            SELECT *, regexp_matches(_label, '{GP_LABEL}') AS _gp,
                CASE WHEN _vc IN {ids(EMERGENCY)} THEN 'emergency'
                     WHEN _vc IN {ids(INPATIENT)} THEN 'inpatient'
                     WHEN _vc IN {ids(OUTPATIENT)} THEN 'outpatient'
                     WHEN _vc IN {ids(OFFICE)} THEN 'office'
                     WHEN _vc IN {ids(HOME)} THEN 'home'
                     WHEN _vc IN {ids(TELEHEALTH)} THEN 'telehealth' END AS _kind
            FROM v
        ), t AS (
            SELECT *, CASE WHEN _gp AND _kind IN ('outpatient', 'office', 'home', 'telehealth') THEN 'gp_contact'
                           ELSE 'hospital_contact' END AS _target
            FROM k
        )
        SELECT *,
            CASE WHEN visit_occurrence_id IS NULL THEN 'Q|visit_occurrence_id missing'
                 WHEN _n > 1 THEN 'Q|duplicate visit_occurrence_id'
                 WHEN _person IS NULL THEN 'Q|person_id not in PERSON'
                 WHEN coalesce(_vc, 0) = 0 THEN 'Q|visit_concept_id missing or 0: the kind of visit is unknown'
                 WHEN _kind IS NULL THEN 'O|visit concept ' || _vc || coalesce(' (' || _vname || ')', '')
                                         || ': not a hospital or GP contact'
                 WHEN _kind = 'office' AND NOT _gp THEN 'O|office visit not with a GP (practising specialists are not modelled)'
                 WHEN _kind = 'home' AND NOT _gp THEN 'O|home visit not by a GP'
                 WHEN _person <> 'mapped' THEN 'Q|person quarantined'
                 ELSE 'M' END AS _verdict,
            CASE WHEN _kind = 'emergency' THEN 'emergency' ELSE {_specialty_sql('_label')} END AS _specialty,
            CASE WHEN _kind = 'emergency' OR _kind = 'inpatient' AND (
                    TRY_CAST(admitted_from_concept_id AS BIGINT) IN {ids(EMERGENCY)} OR _prev_vc IN {ids(EMERGENCY)})
                 THEN 'ATA1' ELSE 'ATA3' END AS _priority
        FROM t
    """)
    raw = raw_columns(con, "visit_occurrence")
    status: dict[str, str] = {
        vid: ("quarantined" if verdict.startswith("Q") else "out")
        for vid, verdict in con.sql(
            "SELECT visit_occurrence_id, _verdict FROM cls_visit WHERE _verdict <> 'M' AND visit_occurrence_id IS NOT NULL"
        ).fetchall()
    }
    approx: Counter[str] = Counter()

    def build(row: dict[str, Any]) -> dict[str, Any]:
        start = clock.instant(row["visit_start_datetime"] or row["visit_start_date"], "visit start")
        if row["_target"] == "gp_contact":
            if row["_site"] is None:
                approx["GP contacts: clinic_id is omop-provider-<provider_id> (no care site)"] += 1
            kind = {"home": "home_visit", "telehealth": "phone"}.get(row["_kind"], "consultation")
            return {"contact_id": row["visit_occurrence_id"], "person_id": row["person_id"],
                    "contact_date": clock.day(row["visit_start_datetime"] or row["visit_start_date"], "visit start"),
                    "kind": kind, "clinic_id": row["_site"] or f"omop-provider-{row['provider_id']}",
                    "provider_id": row["provider_id"]}
        end = clock.instant(row["visit_end_datetime"] or row["visit_end_date"], "visit end")
        if row["_site"] is None:
            approx[f"hospital contacts: hospital_id and unit_id are {UNKNOWN_SITE} (no care site)"] += 1
        specialty = row["_specialty"]
        if specialty is None:
            approx["hospital contacts: specialty internal_medicine assumed (no specialty in the source)"] += 1
            specialty = "internal_medicine"
        return {"contact_id": row["visit_occurrence_id"], "person_id": row["person_id"], "start_time": start,
                "end_time": end, "contact_type": "ALCA03" if row["_kind"] == "telehealth" else "ALCA00",
                "priority": row["_priority"], "hospital_id": row["_site"] or UNKNOWN_SITE,
                "unit_id": row["_site"] or UNKNOWN_SITE, "specialty": specialty,
                "branch": "psychiatric" if specialty == "psychiatry" else "somatic"}

    rows = account(con, staging, "cls_visit", "hospital_contact", "visit_occurrence", "visit_occurrence_id", raw)
    map_rows(staging, rows, "hospital_contact", "visit_occurrence", "visit_occurrence_id", raw, build, status,
         target_of=lambda row: row["_target"])
    for text, n in approx.items():
        staging.note(f"visit_occurrence: {n} {text}")
    return status


__all__ = ["UNKNOWN_SITE", "dims", "visits"]
