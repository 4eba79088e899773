"""Source codes: kept on every mapped row, the council's code map, unmapped codes, FHIR and OMOP alike."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from fhir_support import HOSPITAL, UNIT, bundle, patient, read, reconciles

from klynge.readers import run_reader
from klynge.readers._codemap import CodeMap

SNOMED, LOINC = "http://snomed.info/sct", "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
CODEMAP = """source_system,source_code,target_table,target_code
http://snomed.info/sct,22298006,diagnosis,DI219
SNOMED CT,80146002,procedure,KJEA00
LOINC,2339-0,lab_result,npu02192
RxNorm,1191,prescription,B01AC06
"""


def _fhir_source(folder: Path, codemap: str | None) -> Path:
    encounter = {"resourceType": "Encounter", "id": "e1", "status": "finished",
                 "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
                 "priority": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActPriority",
                                          "code": "EM"}]},
                 "subject": {"reference": "Patient/p1"}, "period": {"start": "2024-01-05T10:00:00+01:00"},
                 "serviceProvider": {"reference": "Organization/ouh-med"}}

    def coded(rtype: str, rid: str, system: str, code: str, **extra) -> dict:
        return {"resource": {"resourceType": rtype, "id": rid, "subject": {"reference": "Patient/p1"},
                             "code": {"coding": [{"system": system, "code": code}]}, **extra}}

    lab = {"status": "final", "category": [{"coding": [{"code": "laboratory"}]}],
           "encounter": {"reference": "Encounter/e1"}, "effectiveDateTime": "2024-01-05T11:00:00+01:00"}
    entries = [{"resource": patient("p1")}, {"resource": HOSPITAL}, {"resource": UNIT}, {"resource": encounter},
               coded("Condition", "c1", SNOMED, "22298006", encounter={"reference": "Encounter/e1"}),
               coded("Condition", "c2", SNOMED, "44054006", encounter={"reference": "Encounter/e1"}),
               coded("Condition", "c3", SNOMED, "44054006", encounter={"reference": "Encounter/e1"}),
               coded("Procedure", "pr1", SNOMED, "80146002", status="completed",
                     encounter={"reference": "Encounter/e1"}),
               coded("Observation", "o1", LOINC, "2339-0", **lab),
               coded("Observation", "o2", LOINC, "4548-4", **lab),
               {"resource": {"resourceType": "MedicationDispense", "id": "d1", "status": "completed",
                             "subject": {"reference": "Patient/p1"}, "whenHandedOver": "2024-02-01",
                             "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "1191"}]}}},
               {"resource": {"resourceType": "Condition", "id": "c4", "encounter": {"reference": "Encounter/e1"},
                             "code": {"text": "hjertesvigt"}}}]
    bundle(folder / "b.json", entries)
    if codemap is not None:
        (folder / "klynge-codemap.csv").write_text(codemap, encoding="utf-8")
    return folder


def test_fhir_without_a_code_map_counts_unmapped_codes(tmp_path):
    report, rows, bad = read(_fhir_source(tmp_path / "src", None), tmp_path)
    assert reconciles(report)
    assert "diagnosis" not in rows and "lab_result" not in rows
    assert report.tables["diagnosis"].out_of_scope == {"Condition coded only in SNOMED CT (no ICD-10/SKS coding)": 3}
    assert report.tables["lab_result"].out_of_scope == {
        "laboratory Observation coded only in LOINC (no NPU coding)": 2}
    assert report.tables["procedure"].out_of_scope == {"Procedure coded only in SNOMED CT (no SKS procedure coding)": 1}
    assert report.tables["prescription"].out_of_scope == {"MedicationDispense coded only in RxNorm (no ATC coding)": 1}
    # A Condition with text only is not "another vocabulary": it has no code at all.
    assert [r["reason"] for r in bad["diagnosis"]] == ["Condition without a coded code"]
    (note,) = [n for n in report.notes if n.startswith("unmapped source codes, diagnosis")]
    assert note.endswith(f"(system|code: records): {SNOMED}|44054006: 2; {SNOMED}|22298006: 1")


def test_fhir_code_map_maps_and_keeps_the_source_coding(tmp_path):
    report, rows, _ = read(_fhir_source(tmp_path / "src", CODEMAP), tmp_path)
    assert reconciles(report)
    assert [(r["diagnosis_code"], r["source_system"], r["source_code"]) for r in rows["diagnosis"]] == [
        ("DI219", SNOMED, "22298006")]
    assert [(r["procedure_code"], r["source_system"], r["source_code"]) for r in rows["procedure"]] == [
        ("KJEA00", SNOMED, "80146002")]
    assert [(r["npu_code"], r["source_system"], r["source_code"]) for r in rows["lab_result"]] == [
        ("NPU02192", LOINC, "2339-0")]
    assert [(r["atc"], r["source_system"], r["source_code"]) for r in rows["prescription"]] == [
        ("B01AC06", RXNORM, "1191")]
    assert report.tables["diagnosis"].out_of_scope == {"Condition coded only in SNOMED CT (no ICD-10/SKS coding)": 2}
    assert "klynge-codemap.csv: 4 mapping(s) read; records whose code was mapped with it: diagnosis 1, " \
           "lab_result 1, prescription 1, procedure 1" in report.notes


OMOP = {
    "person.csv": "person_id,gender_concept_id,year_of_birth,month_of_birth,day_of_birth\n1,8507,1950,3,14\n",
    "visit_occurrence.csv": "visit_occurrence_id,person_id,visit_concept_id,visit_start_date\n10,1,9201,2024-01-05\n",
    "concept.csv": """concept_id,concept_name,domain_id,vocabulary_id,concept_class_id,standard_concept,concept_code
1,Myocardial infarction,Condition,SNOMED,Clinical Finding,S,22298006
2,Sinusitis,Condition,SNOMED,Clinical Finding,S,44054006
3,Glucose,Measurement,LOINC,Lab Test,S,2339-0
4,Aspirin,Drug,RxNorm,Ingredient,S,1191
5,Appendectomy,Procedure,SNOMED,Procedure,S,80146002
""",
    "condition_occurrence.csv": """condition_occurrence_id,person_id,condition_concept_id,condition_start_date,visit_occurrence_id,condition_source_value,condition_source_concept_id
1,1,1,2024-01-05,10,22298006,1
2,1,2,2024-01-05,10,44054006,0
""",
    "measurement.csv": """measurement_id,person_id,measurement_concept_id,measurement_date,visit_occurrence_id,measurement_source_value,measurement_source_concept_id
1,1,3,2024-01-05,10,2339-0,3
""",
    "drug_exposure.csv": """drug_exposure_id,person_id,drug_concept_id,drug_exposure_start_date,drug_source_value,drug_source_concept_id
1,1,4,2024-02-01,aspirin,0
""",
    "procedure_occurrence.csv": """procedure_occurrence_id,person_id,procedure_concept_id,procedure_date,visit_occurrence_id,procedure_source_value,procedure_source_concept_id
1,1,5,2024-01-05,10,80146002,5
""",
}


def _omop(tmp_path: Path, codemap: str | None):
    source = tmp_path / "omop"
    source.mkdir()
    for name, text in OMOP.items():
        (source / name).write_text(text, encoding="utf-8")
    if codemap is not None:
        (source / "klynge-codemap.csv").write_text(codemap, encoding="utf-8")
    report = run_reader("omop", source, tmp_path / "staged", tmp_path / "quarantine")
    rows = {f.name: pq.read_table(f).to_pylist() for f in (tmp_path / "staged").glob("*")}
    return report, rows


def test_omop_without_a_code_map_gives_the_fhir_reasons(tmp_path):
    report, rows = _omop(tmp_path, None)
    assert reconciles(report)
    assert report.tables["diagnosis"].out_of_scope == {"Condition coded only in SNOMED CT (no ICD-10/SKS coding)": 2}
    assert report.tables["procedure"].out_of_scope == {"Procedure coded only in SNOMED CT (no SKS procedure coding)": 1}
    assert report.tables["lab_result"].out_of_scope == {"Measurement coded only in LOINC (no NPU coding)": 1}
    # Condition 2 has no source concept: its standard concept names the code.
    (note,) = [n for n in report.notes if n.startswith("unmapped source codes, diagnosis")]
    assert note.endswith("(system|code: records): SNOMED|22298006: 1; SNOMED|44054006: 1")
    assert not any(n.startswith("not read") and "codemap" in n for n in report.notes)


def test_omop_code_map_maps_source_and_standard_concepts(tmp_path):
    report, rows = _omop(tmp_path, CODEMAP + "SNOMED,44054006,diagnosis,DJ019\n")
    assert reconciles(report)
    assert sorted((r["diagnosis_code"], r["source_system"], r["source_code"]) for r in rows["diagnosis"]) == [
        ("DI219", "SNOMED", "22298006"), ("DJ019", "SNOMED", "44054006")]
    assert [(r["procedure_code"], r["source_system"], r["source_code"]) for r in rows["procedure"]] == [
        ("KJEA00", "SNOMED", "80146002")]
    assert [(r["npu_code"], r["source_system"], r["source_code"]) for r in rows["lab_result"]] == [
        ("NPU02192", "LOINC", "2339-0")]
    assert [(r["atc"], r["source_system"], r["source_code"]) for r in rows["prescription"]] == [
        ("B01AC06", "RxNorm", "1191")]
    assert any(n.startswith("klynge-codemap.csv: 5 mapping(s) read; records whose code was mapped with it: "
                            "diagnosis 2, lab_result 1, prescription 1, procedure 1") for n in report.notes)


@pytest.mark.parametrize(("text", "message"), [
    ("source_system,source_code,target\nLOINC,1,lab_result\n", "missing column"),
    ("source_system,source_code,target_table,target_code\nLOINC,1,vaccination,X\n", "target_table 'vaccination'"),
    ("source_system,source_code,target_table,target_code\nLOINC,1,lab_result,2339-0\n", "not a valid npu_code"),
    ("source_system,source_code,target_table,target_code\nSNOMED,1,diagnosis,I21\n", "not a valid diagnosis_code"),
    ("source_system,source_code,target_table,target_code\n,1,diagnosis,DI21\n", "are required"),
    ("source_system,source_code,target_table,target_code\nSNOMED,1,diagnosis,DI21\n"
     "http://snomed.info/sct,1,diagnosis,DI22\n", "mapped to both DI21 and DI22"),
])
def test_a_bad_code_map_stops_the_read_naming_the_line(tmp_path, text, message):
    (tmp_path / "klynge-codemap.csv").write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        CodeMap.load(tmp_path)


def test_code_map_accepts_semicolons_a_bom_and_blank_lines(tmp_path):
    (tmp_path / "klynge-codemap.csv").write_text(
        "\ufeffsource_system;source_code;target_table;target_code\n\nRxNorm;1191;prescription;b01ac06\n",
        encoding="utf-8")
    codemap = CodeMap.load(tmp_path)
    assert codemap.get("prescription", RXNORM, "1191") == "B01AC06"
    assert codemap.get("diagnosis", RXNORM, "1191") is None and len(codemap) == 1


def test_source_columns_reach_the_warehouse(tmp_path):
    from klynge.ingest import build_warehouse
    from klynge.warehouse import open_warehouse

    source = tmp_path / "omop"
    source.mkdir()
    for name, text in OMOP.items():
        (source / name).write_text(text, encoding="utf-8")
    (source / "klynge-codemap.csv").write_text(CODEMAP, encoding="utf-8")
    (source / "klynge-omop.json").write_text('{"default_municipality": "461"}', encoding="utf-8")
    result = build_warehouse(source, tmp_path / "wh", format="omop", marts=False)
    diagnosis = result.manifest["tables"]["diagnosis"]
    assert (diagnosis["read"], diagnosis["accepted"], diagnosis["out_of_scope"]) == (2, 1, 1)
    con = open_warehouse(tmp_path / "wh").con
    assert con.sql("select diagnosis_code, source_system, source_code from input__diagnosis").fetchall() == [
        ("DI219", "SNOMED", "22298006")]
    assert con.sql("select atc, source_system, source_code from input__prescription").fetchall() == [
        ("B01AC06", "RxNorm", "1191")]
