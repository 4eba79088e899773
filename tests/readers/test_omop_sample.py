"""The OMOP reader on the public Eunomia sample (Synthea27Nj, CDM v5.4), read in place.

The CSV and Parquet copies must give the same staged rows, and the counts per table are
checked against counts computed independently from the OMOP files with DuckDB.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest

from klynge.ingest import build_warehouse
from klynge.readers import ReaderReport, run_reader

SAMPLES = Path("/work/shared/samples/eunomia-omop")
CSV, PARQUET = SAMPLES / "Synthea27Nj_5.4_csv", SAMPLES / "Synthea27Nj_5.4_parquet"
pytestmark = pytest.mark.skipif(not CSV.is_dir() or not PARQUET.is_dir(), reason="Eunomia sample not present")
TABLES = ("person", "residence", "hospital_contact", "gp_contact", "diagnosis", "procedure", "lab_result",
          "prescription")


def _staged(out: Path, table: str) -> list[dict[str, Any]]:
    rows = [r for part in sorted((out / table).glob("*.parquet")) for r in pq.read_table(part).to_pylist()]
    return sorted(rows, key=lambda r: r["source_record"])


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[ReaderReport, Path]]:
    root = tmp_path_factory.mktemp("eunomia")
    return {
        name: (run_reader("omop", folder, root / name / "staged", root / name / "quarantine"), root / name / "staged")
        for name, folder in (("csv", CSV), ("parquet", PARQUET))
    }


def _count(sql: str) -> int:
    con = duckdb.connect()
    try:
        return int(con.sql(sql.replace("{d}", str(CSV))).fetchall()[0][0])
    finally:
        con.close()


def test_csv_and_parquet_give_identical_rows(runs: dict[str, tuple[ReaderReport, Path]]) -> None:
    (csv_report, csv_out), (parquet_report, parquet_out) = runs["csv"], runs["parquet"]
    for table in TABLES:
        assert _staged(csv_out, table) == _staged(parquet_out, table), table
    assert {k: v.as_dict() for k, v in csv_report.tables.items()} == {
        k: v.as_dict() for k, v in parquet_report.tables.items()}


def test_counts_against_independent_queries(runs: dict[str, tuple[ReaderReport, Path]]) -> None:
    report = runs["csv"][0]
    t = report.tables
    persons = _count("SELECT count(*) FROM '{d}/PERSON.csv' WHERE gender_concept_id IN (8507, 8532)")
    assert persons == 28
    assert t["person"].mapped == persons
    assert t["person"].out_of_scope == {
        "DEATH record: merged into person.death_date": _count("SELECT count(*) FROM '{d}/DEATH.csv'"),
        "OBSERVATION_PERIOD record: not modelled (its start is the residence start)":
            _count("SELECT count(*) FROM '{d}/OBSERVATION_PERIOD.csv'"),
    }
    hospital = _count("SELECT count(*) FROM '{d}/VISIT_OCCURRENCE.csv' WHERE visit_concept_id IN (9201, 9203)")
    gp = _count("""SELECT count(*) FROM '{d}/VISIT_OCCURRENCE.csv' v JOIN '{d}/PROVIDER.csv' p USING (provider_id)
                   WHERE v.visit_concept_id = 9202 AND p.specialty_source_value = 'GENERAL PRACTICE'""")
    assert (hospital, gp) == (69, 1722)
    assert (t["hospital_contact"].mapped, t["gp_contact"].mapped) == (hospital, gp)
    assert t["hospital_contact"].read + t["gp_contact"].read == _count("SELECT count(*) FROM '{d}/VISIT_OCCURRENCE.csv'")
    # The sample codes conditions and procedures in SNOMED, drugs in RxNorm without ATC links,
    # measurements in LOINC/SNOMED: all counted as out of scope, none lost.
    snomed_conditions = _count("""SELECT count(*) FROM '{d}/CONDITION_OCCURRENCE.csv' o JOIN '{d}/CONCEPT.csv' c
                                  ON c.concept_id = o.condition_source_concept_id WHERE c.vocabulary_id = 'SNOMED'""")
    assert t["diagnosis"].out_of_scope == {"Condition coded only in SNOMED CT (no ICD-10/SKS coding)": snomed_conditions}
    assert t["diagnosis"].read == _count("SELECT count(*) FROM '{d}/CONDITION_OCCURRENCE.csv'") == 470
    assert t["prescription"].out_of_scope == {
        "Drug exposure coded only in RxNorm (no ATC coding; CONCEPT_ANCESTOR and CONCEPT_RELATIONSHIP absent or empty)":
            _count("SELECT count(*) FROM '{d}/DRUG_EXPOSURE.csv'")}
    by_vocabulary = dict(duckdb.connect().sql(f"""
        SELECT 'Measurement coded only in ' || CASE c.vocabulary_id WHEN 'SNOMED' THEN 'SNOMED CT' ELSE c.vocabulary_id END
               || ' (no NPU coding)', count(*)
        FROM '{CSV}/MEASUREMENT.csv' m JOIN '{CSV}/CONCEPT.csv' c ON c.concept_id = m.measurement_source_concept_id
        GROUP BY ALL""").fetchall())
    assert dict(t["lab_result"].out_of_scope) == by_vocabulary
    assert sum(by_vocabulary.values()) == 10040
    assert t["procedure"].out_of_scope == {
        "Procedure coded only in SNOMED CT (no SKS procedure coding)":
            _count("SELECT count(*) FROM '{d}/PROCEDURE_OCCURRENCE.csv'")}
    for table in t.values():
        assert not table.quarantined
    # The 20 most frequent unmapped codes per table, computed independently.
    top = _count("""SELECT count(*) FROM '{d}/CONDITION_OCCURRENCE.csv' WHERE condition_source_value = (
                    SELECT condition_source_value FROM '{d}/CONDITION_OCCURRENCE.csv' GROUP BY condition_source_value
                    ORDER BY count(*) DESC LIMIT 1)""")
    code = duckdb.connect().sql(f"""SELECT CAST(condition_source_value AS VARCHAR) AS v
                                    FROM '{CSV}/CONDITION_OCCURRENCE.csv' GROUP BY v ORDER BY count(*) DESC, v
                                    LIMIT 1""").fetchall()[0][0]
    (note,) = [n for n in report.notes if n.startswith("unmapped source codes, diagnosis: 470 record(s)")]
    assert f"the 20 most frequent (system|code: records): SNOMED|{code}: {top};" in note
    assert sum(n.startswith("unmapped source codes, ") for n in report.notes) == 4


def test_sample_rows_cell_by_cell(runs: dict[str, tuple[ReaderReport, Path]]) -> None:
    out = runs["csv"][1]
    persons = {r["person_id"]: r for r in _staged(out, "person")}
    assert persons["7"] == {"person_id": "7", "birth_date": "1938-02-22", "sex": "M", "death_date": "2019-05-28",
                            "source_record": "person/7"}
    assert persons["11"]["death_date"] == "2009-09-14" and persons["11"]["sex"] == "F"
    contacts = {r["contact_id"]: r for r in _staged(out, "hospital_contact")}
    # Inpatient visit 1567 (2004-08-11 00:00 local, summer time), preceded by an outpatient visit:
    # planned; no care site or specialty in Synthea.
    assert contacts["1567"] == {
        "contact_id": "1567", "person_id": "22", "start_time": "2004-08-10T22:00:00+00:00",
        "end_time": "2004-08-11T22:00:00+00:00", "contact_type": "ALCA00", "priority": "ATA3",
        "contact_reason": None, "hospital_id": "omop-unknown", "unit_id": "omop-unknown",
        "specialty": "internal_medicine", "branch": "somatic", "source_record": "visit_occurrence/1567"}
    emergency = [r for r in contacts.values() if r["specialty"] == "emergency"]
    assert len(emergency) == 56 and {r["priority"] for r in emergency} == {"ATA1"}
    gp = {r["contact_id"]: r for r in _staged(out, "gp_contact")}
    assert gp["21"] == {"contact_id": "21", "person_id": "1", "contact_date": "2000-12-27", "kind": "consultation",
                        "clinic_id": "omop-provider-10", "provider_id": "10", "source_record": "visit_occurrence/21"}
    # One inpatient visit follows an emergency visit: acute.
    assert sum(r["priority"] == "ATA1" and r["specialty"] != "emergency" for r in contacts.values()) == 1
    assert _staged(out, "residence") == []  # the sample is US data: no Danish municipality


@pytest.mark.slow
def test_end_to_end_with_default_municipality(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for entry in PARQUET.iterdir():
        (source / entry.name).symlink_to(entry)
    (source / "klynge-omop.json").write_text(json.dumps({"default_municipality": "461"}))
    result = build_warehouse(source, tmp_path / "warehouse", format="omop", marts=False)
    tables = result.manifest["tables"]
    assert (tables["person"]["read"], tables["person"]["accepted"], tables["person"]["out_of_scope"]) == (59, 28, 31)
    assert tables["residence"]["accepted"] == 28
    assert (tables["hospital_contact"]["accepted"], tables["gp_contact"]["accepted"]) == (69, 1722)
    assert tables["lab_result"]["out_of_scope"] == 10040
    for name, entry in tables.items():
        assert entry["read"] == entry["accepted"] + entry["quarantined"] + entry["out_of_scope"], name
    notes = result.manifest["reader"]["notes"]
    assert any("default_municipality 461 from klynge-omop.json (not source data)" in n for n in notes)
    con = duckdb.connect(str(result.path / "klynge.duckdb"), read_only=True)
    try:
        assert con.sql("SELECT count(*) FROM input__person").fetchall()[0][0] == 28
        assert con.sql("SELECT count(DISTINCT municipality_code) FROM input__residence").fetchall()[0][0] == 1
    finally:
        con.close()
