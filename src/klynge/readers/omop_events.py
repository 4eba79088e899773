"""OMOP conditions, drugs, measurements and procedures into klynge's event tables.

Classified as in `klynge.readers.omop_classify`. The order of the checks: damaged references
first (a duplicate id, a person or visit absent from the source), then scope (code system,
kind of visit), then dependence on a quarantined person or visit, then dates. A record out of
scope is not checked further.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from klynge.readers._codemap import source, vocabulary_sql
from klynge.readers.omop_classify import GP_LABEL, account, ids, map_rows, raw_columns

if TYPE_CHECKING:
    import duckdb

    from klynge.readers._codemap import Unmapped

    from klynge.readers._base import Staging
    from klynge.readers.omop import Clock

# Condition status / type concepts that mark the primary (main) diagnosis.
PRIMARY = (32901, 32902, 32903, 44786627, 38000183, 38000199, 38000215, 38000230)
# Drug type concepts of drugs given by staff, not redeemed at a pharmacy.
ADMINISTERED = (38000180, 38000179, 581373, 32818, 43542358)


def _visit_checks(what: str) -> str:
    """CASE branches on the visit of a record (``_vstatus``), for records that need a hospital contact."""
    return f"""
                 WHEN visit_occurrence_id IS NULL THEN 'O|{what} not on a visit (only those of hospital contacts are kept)'
                 WHEN _vstatus = 'gp' THEN 'O|{what} on a GP contact (not modelled)'
                 WHEN _vstatus = 'out' THEN 'O|{what} on a visit that is out of scope'"""


_REFS = """
                 WHEN _person IS NULL THEN 'Q|person_id not in PERSON'
                 WHEN visit_occurrence_id IS NOT NULL AND _vstatus IS NULL THEN 'Q|visit_occurrence_id not in VISIT_OCCURRENCE'"""
_PARENTS = """
                 WHEN _person <> 'mapped' THEN 'Q|person quarantined'
                 WHEN _vstatus = 'quarantined' THEN 'Q|its visit was quarantined'"""


def _unknown_source(alias: str, column: str) -> str:
    """True when a record's source concept says nothing (0, empty or not in CONCEPT)."""
    return f"(coalesce(TRY_CAST({column} AS BIGINT), 0) = 0 OR {alias}.id IS NULL)"


def _known(alias: str, column: str) -> str:
    return f"NOT {_unknown_source(alias, column)}"


def _pick(branches: list[tuple[str, str, str, str, bool]]) -> str:
    """The canonical code and its source coding, from ordered ``(condition, code, system, source code, mapped)``.

    The first branch whose condition holds decides ``_code``, ``_ssys``, ``_scode`` and ``_via_map``
    (the code came from ``klynge-codemap.csv``). Branches with code ``NULL`` name the coding of a
    record that does not map (for the reason and the summary of unmapped codes).
    """
    def case(index: int) -> str:
        return "CASE " + " ".join(f"WHEN {b[0]} THEN {b[index]}" for b in branches) + " END"
    via = "CASE " + " ".join(f"WHEN {b[0]} THEN {'true' if b[4] else 'false'}" for b in branches) + " ELSE false END"
    return f"{case(1)} AS _code, {case(2)} AS _ssys, {case(3)} AS _scode, {via} AS _via_map"


def _map_join(alias: str, table: str, voc: str) -> str:
    """Join the council's code map (table ``codemap``) on a concept's vocabulary and code."""
    return (f"LEFT JOIN codemap {alias} ON {alias}.tbl = '{table}' AND {alias}.system = lower({voc}.vocab) "
            f"AND {alias}.code = {voc}.code")


def _fallback(sv: str, source_id: str, cv: str, concept_id: str, value: str) -> list[tuple[str, str, str, str, bool]]:
    """Mapped through the code map (source concept, then standard concept), else the unmapped coding."""
    return [
        ("m1.target IS NOT NULL", "m1.target", f"{sv}.vocab", f"{sv}.code", True),
        ("m2.target IS NOT NULL", "m2.target", f"{cv}.vocab", f"{cv}.code", True),
        (_known(sv, source_id), "NULL", f"{sv}.vocab", f"{sv}.code", False),
        (_known(cv, concept_id), "NULL", f"{cv}.vocab", f"{cv}.code", False),
        ("true", "NULL", "NULL", value, False),
    ]


def _only_in(label: str, wanted: str) -> str:
    return f"'O|{label} coded only in ' || {vocabulary_sql('_ssys')} || ' (no {wanted})'"


def unmapped_codes(con: duckdb.DuckDBPyConnection, unmapped: Unmapped) -> dict[str, int]:
    """Count the codes of the records out of scope for their code system; return the code-map use per table."""
    used: dict[str, int] = {}
    for cls, table in (("cls_condition", "diagnosis"), ("cls_drug", "prescription"),
                       ("cls_measurement", "lab_result"), ("cls_procedure", "procedure")):
        for system, code, n in con.sql(f"SELECT _ssys, _scode, count(*) FROM {cls} WHERE _verdict LIKE "
                                       "'O|% coded only in %' GROUP BY ALL").fetchall():
            unmapped.add(table, system, code, n)
        used[table] = con.sql(f"SELECT count(*) FROM {cls} WHERE _via_map").fetchall()[0][0]
    return used


def conditions(con: duckdb.DuckDBPyConnection, staging: Staging) -> None:
    """Stage ICD-10 conditions on hospital contacts as diagnoses (SKS D + code without dot)."""
    unknown = _unknown_source("sv", "s.condition_source_concept_id")
    value = "upper(replace(s.condition_source_value, '.', ''))"
    sks = f"{unknown} AND regexp_full_match({value}, 'D[A-Z][0-9]{{2}}[0-9A-Z]{{0,4}}')"
    icd = f"{unknown} AND regexp_full_match({value}, '[A-Z][0-9]{{2}}[0-9A-Z]{{0,4}}')"
    pick = _pick([
        ("sv.vocab IN ('ICD10', 'ICD10CM', 'ICD10GM')", "'D' || replace(sv.code, '.', '')", "sv.vocab", "sv.code",
         False),
        (sks, value, "'SKS'", "s.condition_source_value", False),
        (icd, f"'D' || {value}", "'ICD10'", "s.condition_source_value", False),
        *_fallback("sv", "s.condition_source_concept_id", "cv", "s.condition_concept_id", "s.condition_source_value"),
    ])
    con.execute(f"""
        CREATE TABLE cls_condition AS
        WITH c AS (
            SELECT s.*, s.rowid AS _order, count(*) OVER (PARTITION BY s.condition_occurrence_id) AS _n,
                ps.status AS _person, vs.status AS _vstatus, {pick},
                coalesce(TRY_CAST(s.condition_status_concept_id AS BIGINT) IN {ids(PRIMARY)}, false)
                    OR coalesce(TRY_CAST(s.condition_type_concept_id AS BIGINT) IN {ids(PRIMARY)}, false)
                    OR regexp_matches(coalesce(st.name, '') || ' ' || coalesce(ty.name, ''), 'primary|1st position')
                    AS _primary
            FROM omop_condition_occurrence s
            LEFT JOIN person_status ps ON ps.person_id = s.person_id
            LEFT JOIN visit_status vs ON vs.visit_occurrence_id = s.visit_occurrence_id
            LEFT JOIN voc sv ON sv.id = TRY_CAST(s.condition_source_concept_id AS BIGINT)
            LEFT JOIN voc cv ON cv.id = TRY_CAST(s.condition_concept_id AS BIGINT)
            {_map_join("m1", "diagnosis", "sv")}
            {_map_join("m2", "diagnosis", "cv")}
            LEFT JOIN voc st ON st.id = TRY_CAST(s.condition_status_concept_id AS BIGINT)
            LEFT JOIN voc ty ON ty.id = TRY_CAST(s.condition_type_concept_id AS BIGINT)
        ), v AS (
            SELECT *, 'diagnosis' AS _target,
                CASE WHEN condition_occurrence_id IS NULL THEN 'Q|condition_occurrence_id missing'
                     WHEN _n > 1 THEN 'Q|duplicate condition_occurrence_id' {_REFS}
                     WHEN _code IS NULL THEN {_only_in('Condition', 'ICD-10/SKS coding')}
                     {_visit_checks('condition')}
                     {_PARENTS}
                     ELSE 'M' END AS _verdict0
            FROM c
        ), r AS (
            SELECT *, CASE WHEN _verdict0 = 'M' THEN row_number() OVER (
                PARTITION BY _verdict0, visit_occurrence_id, _code
                ORDER BY _primary DESC, condition_start_date, TRY_CAST(condition_occurrence_id AS BIGINT),
                         condition_occurrence_id) END AS _repeat
            FROM v
        )
        SELECT *, CASE WHEN _repeat > 1 THEN 'O|repeats a diagnosis code already on the contact' ELSE _verdict0 END
                  AS _verdict,
            CASE WHEN _verdict0 = 'M' AND _repeat = 1 THEN row_number() OVER (
                PARTITION BY _verdict0, _repeat = 1, visit_occurrence_id
                ORDER BY _primary DESC, condition_start_date, TRY_CAST(condition_occurrence_id AS BIGINT),
                         condition_occurrence_id) END AS _rank
        FROM r
    """)
    raw = raw_columns(con, "condition_occurrence")
    promoted = con.sql("SELECT count(*) FROM cls_condition WHERE _verdict = 'M' AND _rank = 1 AND NOT _primary"
                       ).fetchall()[0][0]
    rows = account(con, staging, "cls_condition", "diagnosis", "condition_occurrence", "condition_occurrence_id", raw)
    map_rows(staging, rows, "diagnosis", "condition_occurrence", "condition_occurrence_id", raw,
         lambda row: {"contact_id": row["visit_occurrence_id"], "diagnosis_code": row["_code"],
                      "diagnosis_type": "A" if row["_rank"] == 1 else "B", **source(row["_ssys"], row["_scode"])})
    if promoted:
        staging.note(f"condition_occurrence: {promoted} hospital contact(s) had no condition marked primary; "
                     "the first one was taken as the main diagnosis (A)")


def drugs(con: duckdb.DuckDBPyConnection, staging: Staging, clock: Clock) -> None:
    """Stage drug exposures with an ATC code as prescriptions (dispensing day = start day)."""
    links = con.sql("SELECT count(*) FROM omop_concept_ancestor").fetchall()[0][0] + con.sql(
        "SELECT count(*) FROM omop_concept_relationship").fetchall()[0][0]
    unknown = _unknown_source("sv", "s.drug_source_concept_id")
    value = "upper(s.drug_source_value)"
    where = "no link in the vocabulary tables" if links else "CONCEPT_ANCESTOR and CONCEPT_RELATIONSHIP absent or empty"
    pick = _pick([
        ("sv.vocab = 'ATC' AND length(sv.code) = 7", "sv.code", "sv.vocab", "sv.code", False),
        (f"{unknown} AND regexp_full_match({value}, '[A-Z][0-9]{{2}}[A-Z]{{2}}[0-9]{{2}}')", value, "'ATC'",
         "s.drug_source_value", False),
        ("la.code IS NOT NULL", "la.code", "dv.vocab", "dv.code", False),
        ("lb.code IS NOT NULL", "lb.code", "sv.vocab", "sv.code", False),
        *_fallback("sv", "s.drug_source_concept_id", "dv", "s.drug_concept_id", "s.drug_source_value"),
    ])
    con.execute(f"""
        CREATE TABLE atc_link AS
        WITH atc AS (SELECT id, code FROM voc WHERE vocab = 'ATC' AND length(code) = 7),
        l AS (
            SELECT TRY_CAST(a.descendant_concept_id AS BIGINT) AS drug, atc.code,
                   coalesce(TRY_CAST(a.min_levels_of_separation AS BIGINT), 99) AS levels
            FROM omop_concept_ancestor a JOIN atc ON atc.id = TRY_CAST(a.ancestor_concept_id AS BIGINT)
            UNION ALL
            SELECT TRY_CAST(r.concept_id_1 AS BIGINT), atc.code, 1 FROM omop_concept_relationship r
                JOIN atc ON atc.id = TRY_CAST(r.concept_id_2 AS BIGINT) WHERE r.invalid_reason IS NULL
            UNION ALL
            SELECT TRY_CAST(r.concept_id_2 AS BIGINT), atc.code, 1 FROM omop_concept_relationship r
                JOIN atc ON atc.id = TRY_CAST(r.concept_id_1 AS BIGINT) WHERE r.invalid_reason IS NULL
        )
        SELECT drug, arg_min(code, (levels, code)) AS code, count(DISTINCT code) AS n FROM l
        WHERE drug IS NOT NULL GROUP BY drug;

        CREATE TABLE cls_drug AS
        WITH d AS (
            SELECT s.*, s.rowid AS _order, count(*) OVER (PARTITION BY s.drug_exposure_id) AS _n,
                ps.status AS _person, dv.vocab AS _dvocab, sv.vocab AS _svocab, coalesce(la.n, lb.n, 1) AS _choices,
                {pick},
                coalesce(TRY_CAST(s.drug_type_concept_id AS BIGINT) IN {ids(ADMINISTERED)}, false)
                    OR regexp_matches(coalesce(ty.name, ''), 'administ') AS _administered
            FROM omop_drug_exposure s
            LEFT JOIN person_status ps ON ps.person_id = s.person_id
            LEFT JOIN voc dv ON dv.id = TRY_CAST(s.drug_concept_id AS BIGINT)
            LEFT JOIN voc sv ON sv.id = TRY_CAST(s.drug_source_concept_id AS BIGINT)
            LEFT JOIN voc ty ON ty.id = TRY_CAST(s.drug_type_concept_id AS BIGINT)
            LEFT JOIN atc_link la ON la.drug = TRY_CAST(s.drug_concept_id AS BIGINT)
            LEFT JOIN atc_link lb ON lb.drug = TRY_CAST(s.drug_source_concept_id AS BIGINT)
            {_map_join("m1", "prescription", "sv")}
            {_map_join("m2", "prescription", "dv")}
        )
        SELECT *, 'prescription' AS _target,
            CASE WHEN drug_exposure_id IS NULL THEN 'Q|drug_exposure_id missing'
                 WHEN _n > 1 THEN 'Q|duplicate drug_exposure_id'
                 WHEN _person IS NULL THEN 'Q|person_id not in PERSON'
                 WHEN 'CVX' IN (_dvocab, _svocab) THEN 'O|vaccine (CVX): vaccinations are not mapped from OMOP'
                 WHEN _administered THEN 'O|drug administered by staff, not a redeemed prescription'
                 WHEN _code IS NULL THEN 'O|Drug exposure coded only in ' || {vocabulary_sql('_ssys')}
                                         || ' (no ATC coding; {where})'
                 WHEN _person <> 'mapped' THEN 'Q|person quarantined'
                 ELSE 'M' END AS _verdict
        FROM d
    """)
    raw = raw_columns(con, "drug_exposure")
    several = con.sql("SELECT count(*) FROM cls_drug WHERE _verdict = 'M' AND _choices > 1").fetchall()[0][0]
    rows = account(con, staging, "cls_drug", "prescription", "drug_exposure", "drug_exposure_id", raw)
    map_rows(staging, rows, "prescription", "drug_exposure", "drug_exposure_id", raw,
         lambda row: {"person_id": row["person_id"], "atc": row["_code"], **source(row["_ssys"], row["_scode"]),
                      "dispensing_date": clock.day(row["drug_exposure_start_datetime"]
                                                   or row["drug_exposure_start_date"], "drug exposure start")})
    if several:
        staging.note(f"drug_exposure: {several} exposure(s) had several ATC codes; the nearest (then first) was taken")


def _number(text: str | None, what: str) -> float | None:
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{what}: not a number: {text!r}") from None


def measurements(con: duckdb.DuckDBPyConnection, staging: Staging, clock: Clock) -> None:
    """Stage measurements with an NPU (or DNK) code as lab results."""
    npu = "(NPU|DNK)[0-9]{5}"
    pick = _pick([
        (f"regexp_full_match(upper(s.measurement_source_value), '{npu}')", "upper(s.measurement_source_value)",
         "'NPU'", "s.measurement_source_value", False),
        (f"regexp_full_match(sv.code, '{npu}')", "sv.code", "sv.vocab", "sv.code", False),
        *_fallback("sv", "s.measurement_source_concept_id", "mv", "s.measurement_concept_id",
                   "s.measurement_source_value"),
    ])
    con.execute(f"""
        CREATE TABLE cls_measurement AS
        WITH m AS (
            SELECT s.*, s.rowid AS _order, count(*) OVER (PARTITION BY s.measurement_id) AS _n,
                ps.status AS _person, vs.status AS _vstatus, uv.code AS _unit_code, {pick},
                CASE WHEN vs.status IN ('hospital', 'gp') THEN vs.status
                     WHEN regexp_matches(coalesce(pl.label, ''), '{GP_LABEL}') THEN 'gp' END AS _sector
            FROM omop_measurement s
            LEFT JOIN person_status ps ON ps.person_id = s.person_id
            LEFT JOIN visit_status vs ON vs.visit_occurrence_id = s.visit_occurrence_id
            LEFT JOIN voc sv ON sv.id = TRY_CAST(s.measurement_source_concept_id AS BIGINT)
            LEFT JOIN voc mv ON mv.id = TRY_CAST(s.measurement_concept_id AS BIGINT)
            {_map_join("m1", "lab_result", "sv")}
            {_map_join("m2", "lab_result", "mv")}
            LEFT JOIN voc uv ON uv.id = TRY_CAST(s.unit_concept_id AS BIGINT)
            LEFT JOIN prov_label pl ON pl.provider_id = s.provider_id
        )
        SELECT *, 'lab_result' AS _target,
            CASE WHEN measurement_id IS NULL THEN 'Q|measurement_id missing'
                 WHEN _n > 1 THEN 'Q|duplicate measurement_id' {_REFS}
                 WHEN _code IS NULL THEN {_only_in('Measurement', 'NPU coding')} {_PARENTS}
                 WHEN _sector IS NULL THEN 'Q|requesting sector unknown (not on a hospital or GP contact)'
                 ELSE 'M' END AS _verdict
        FROM m
    """)
    raw = raw_columns(con, "measurement")
    rows = account(con, staging, "cls_measurement", "lab_result", "measurement", "measurement_id", raw)
    map_rows(staging, rows, "lab_result", "measurement", "measurement_id", raw,
         lambda row: {"person_id": row["person_id"], "npu_code": row["_code"], **source(row["_ssys"], row["_scode"]),
                      "sample_time": clock.instant(row["measurement_datetime"] or row["measurement_date"],
                                                   "measurement time"),
                      "value": _number(row["value_as_number"], "value_as_number"),
                      "unit": row["unit_source_value"] or row["_unit_code"],
                      "ref_low": _number(row["range_low"], "range_low"),
                      "ref_high": _number(row["range_high"], "range_high"), "sector": row["_sector"]})


def procedures(con: duckdb.DuckDBPyConnection, staging: Staging, clock: Clock) -> None:
    """Stage procedures with an SKS procedure code on hospital contacts."""
    unknown = _unknown_source("sv", "s.procedure_source_concept_id")
    value = "upper(s.procedure_source_value)"
    pick = _pick([
        ("sv.vocab = 'SKS'", "sv.code", "sv.vocab", "sv.code", False),
        (f"{unknown} AND regexp_full_match({value}, '[ABKMNUWZ][A-Z][A-Z0-9]{{1,8}}')", value, "'SKS'",
         "s.procedure_source_value", False),
        *_fallback("sv", "s.procedure_source_concept_id", "pv", "s.procedure_concept_id", "s.procedure_source_value"),
    ])
    con.execute(f"""
        CREATE TABLE cls_procedure AS
        WITH p AS (
            SELECT s.*, s.rowid AS _order, count(*) OVER (PARTITION BY s.procedure_occurrence_id) AS _n,
                ps.status AS _person, vs.status AS _vstatus, {pick}
            FROM omop_procedure_occurrence s
            LEFT JOIN person_status ps ON ps.person_id = s.person_id
            LEFT JOIN visit_status vs ON vs.visit_occurrence_id = s.visit_occurrence_id
            LEFT JOIN voc sv ON sv.id = TRY_CAST(s.procedure_source_concept_id AS BIGINT)
            LEFT JOIN voc pv ON pv.id = TRY_CAST(s.procedure_concept_id AS BIGINT)
            {_map_join("m1", "procedure", "sv")}
            {_map_join("m2", "procedure", "pv")}
        )
        SELECT *, 'procedure' AS _target,
            CASE WHEN procedure_occurrence_id IS NULL THEN 'Q|procedure_occurrence_id missing'
                 WHEN _n > 1 THEN 'Q|duplicate procedure_occurrence_id' {_REFS}
                 WHEN _code IS NULL THEN {_only_in('Procedure', 'SKS procedure coding')}
                 {_visit_checks('procedure')}
                 {_PARENTS}
                 ELSE 'M' END AS _verdict
        FROM p
    """)
    raw = raw_columns(con, "procedure_occurrence")
    rows = account(con, staging, "cls_procedure", "procedure", "procedure_occurrence", "procedure_occurrence_id", raw)
    map_rows(staging, rows, "procedure", "procedure_occurrence", "procedure_occurrence_id", raw,
         lambda row: {"contact_id": row["visit_occurrence_id"], "procedure_code": row["_code"],
                      **source(row["_ssys"], row["_scode"]),
                      "procedure_time": clock.instant(row["procedure_datetime"] or row["procedure_date"],
                                                      "procedure time")})


__all__ = ["conditions", "drugs", "measurements", "procedures", "unmapped_codes"]
