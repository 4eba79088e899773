"""The OMOP CDM reader on a small hand-made extract: exact canonical rows, the malformed cases,
the options of klynge-omop.json, and the reconciliation read = mapped + quarantined + out of scope."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from klynge.ingest import BuildError, build_warehouse
from klynge.readers import ReaderReport, run_reader
from klynge.readers.omop import Settings

PERSON = """person_id,gender_concept_id,year_of_birth,month_of_birth,day_of_birth,birth_datetime,location_id,person_source_value
1,8507,1950,3,14,,10,
2,8532,1962,,,,11,0101901234
3,8551,1970,1,1,,,
4,8532,1980,2,30,,,
5,8507,1990,,,1990-06-15 08:00:00,99,
0101901234,8507,1990,1,1,,,
6,8507,1955,5,5,,,
6,8532,1956,5,5,,,
7,8507,1940,12,24,,12,
"""
LOCATION = """location_id,city,state,county,location_source_value,country_source_value
10,Odense,,461,461,DK
11,Aarhus,Region Midtjylland,,751,
12,Boston,MA,013,013,US
"""
DEATH = """person_id,death_date
1,2024-05-01
1,2024-06-01
3,2024-01-01
42,2024-01-01
7,2024-13-01
"""
OBSERVATION_PERIOD = """observation_period_id,person_id,observation_period_start_date,observation_period_end_date
1,1,2010-01-01,2024-05-01
2,2,2015-02-01,2024-12-31
3,42,2015-01-01,2020-01-01
"""
PROVIDER = """provider_id,specialty_concept_id,care_site_id,specialty_source_value
100,38004446,,
200,,,Cardiology
"""
CARE_SITE = """care_site_id,care_site_name,place_of_service_concept_id
H1,OUH Hjertemedicinsk afdeling,
"""
CONCEPT = """concept_id,concept_name,domain_id,vocabulary_id,concept_class_id,standard_concept,concept_code
38004446,General Practice,Provider,Medicare Specialty,Physician Specialty,S,08
45576876,Essential hypertension,Condition,ICD10CM,4-char billing code,,I10
35207668,Type 2 diabetes mellitus without complications,Condition,ICD10CM,5-char billing code,,E11.9
4000001,Acute upper respiratory infection,Condition,SNOMED,Clinical Finding,S,54150009
1112807,aspirin 81 MG Oral Tablet,Drug,RxNorm,Clinical Drug,S,243670
19000001,Something 10 MG Oral Tablet,Drug,RxNorm,Clinical Drug,S,999999
21600001,acetylsalicylic acid; platelet aggregation inhibitors,Drug,ATC,ATC 5th,C,B01AC06
40000000,influenza vaccine,Drug,CVX,CVX,S,140
38000180,Inpatient administration,Type Concept,Drug Type,Drug Type,S,OMOP4822237
32902,Primary diagnosis,Condition Status,Condition Status,Condition Status,S,OMOP4976972
"""
CONCEPT_ANCESTOR = """ancestor_concept_id,descendant_concept_id,min_levels_of_separation,max_levels_of_separation
21600001,1112807,2,2
"""
VISIT_OCCURRENCE = """visit_occurrence_id,person_id,visit_concept_id,visit_start_date,visit_start_datetime,visit_end_date,visit_end_datetime,provider_id,care_site_id,admitted_from_concept_id,preceding_visit_occurrence_id
1001,1,9203,2024-03-01,2024-03-01 09:30:00,2024-03-01,2024-03-01 14:00:00,,,,
1002,1,9201,2024-03-01,2024-03-01 14:00:00,2024-03-05,2024-03-05 10:00:00,200,H1,,1001
1003,2,9202,2024-07-15,2024-07-15 23:10:00,2024-07-15,,100,,,
1004,2,9201,2024-08-01,,2024-08-03,,200,H1,,
1005,5,581458,2024-01-01,,,,,,,
1006,42,9202,2024-01-01,,,,,,,
1007,3,9201,2024-01-01,,,,,,,
1008,1,9203,2024-13-01,,,,,,,
1009,1,0,2024-01-01,,,,,,,
1010,5,9202,2024-02-01,,,,,,,
1010,5,9202,2024-02-01,,,,,,,
1011,7,9202,2024-02-02,2024-02-02 10:00:00,,,200,,,
1012,1,722455,2024-04-01,2024-04-01 10:00:00,,,100,,,
1013,7,581477,2024-04-01,,,,200,,,
"""
CONDITION_OCCURRENCE = """condition_occurrence_id,person_id,condition_start_date,condition_type_concept_id,condition_status_concept_id,visit_occurrence_id,condition_source_value,condition_source_concept_id
1,1,2024-03-01,,,1002,I10,45576876
2,1,2024-03-02,,32902,1002,E11.9,35207668
3,1,2024-03-01,,,1002,E11.9,35207668
4,2,2024-08-01,,,1004,54150009,4000001
5,2,2024-08-01,,,1004,DJ441,0
6,2,2024-07-15,,,1003,J06.9,0
7,1,2024-03-01,,,,I10,0
8,1,2024-03-01,,,9999,I10,0
9,3,2024-01-01,,,1007,I10,0
10,1,2024-01-01,,,1008,I10,0
11,42,2024-01-01,,,1006,I10,0
"""
DRUG_EXPOSURE = """drug_exposure_id,person_id,drug_concept_id,drug_exposure_start_date,drug_exposure_start_datetime,drug_type_concept_id,drug_source_value,drug_source_concept_id
1,1,1112807,2024-03-10,,32869,aspirin,0
2,1,19000001,2024-03-10,,32869,xyz,0
3,2,0,2024-04-01,,32869,N02BE01,0
4,2,1112807,2024-04-01,,38000180,,0
5,2,40000000,2024-04-01,,,140,40000000
6,5,1112807,2024-02-30,,,,
7,7,1112807,2024-03-01,,,,
7,7,1112807,2024-03-01,,,,
8,42,1112807,2024-03-01,,,,
"""
MEASUREMENT = """measurement_id,person_id,measurement_date,measurement_datetime,value_as_number,unit_concept_id,range_low,range_high,provider_id,visit_occurrence_id,measurement_source_value,measurement_source_concept_id,unit_source_value
1,1,2024-03-02,2024-03-02 07:15:00,8.1,,4.5,10.0,,1002,NPU02319,0,mmol/L
2,2,2024-07-15,,1.5,,,,100,,dnk35302,0,g/L
3,1,2024-03-02,,5,,,,,1002,2345-7,0,mg/dL
4,7,2024-03-02,,abc,,,,,1011,NPU02319,0,
5,5,2024-01-01,,1,,,,,,NPU02319,0,
"""
PROCEDURE_OCCURRENCE = """procedure_occurrence_id,person_id,procedure_date,procedure_datetime,visit_occurrence_id,procedure_source_value,procedure_source_concept_id
1,1,2024-03-02,2024-03-02 10:00:00,1002,KFNG05,0
2,1,2024-03-02,,1002,G0101,0
3,2,2024-07-15,,1003,BVAA33A,0
4,1,2024-03-02,,,KFNG05,0
5,1,2024-3-2,,1002,KFNG05,0
"""
EXTRACT = {
    "PERSON": PERSON, "LOCATION": LOCATION, "DEATH": DEATH, "OBSERVATION_PERIOD": OBSERVATION_PERIOD,
    "PROVIDER": PROVIDER, "CARE_SITE": CARE_SITE, "CONCEPT": CONCEPT, "CONCEPT_ANCESTOR": CONCEPT_ANCESTOR,
    "VISIT_OCCURRENCE": VISIT_OCCURRENCE, "CONDITION_OCCURRENCE": CONDITION_OCCURRENCE,
    "DRUG_EXPOSURE": DRUG_EXPOSURE, "MEASUREMENT": MEASUREMENT, "PROCEDURE_OCCURRENCE": PROCEDURE_OCCURRENCE,
}


def write(folder: Path, tables: dict[str, str], settings: dict[str, Any] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in tables.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    if settings is not None:
        (folder / "klynge-omop.json").write_text(json.dumps(settings), encoding="utf-8")
    return folder


class Read:
    """A reader run: its report, staged rows and quarantined records per table."""

    def __init__(self, source: Path, out: Path) -> None:
        self.report: ReaderReport = run_reader("omop", source, out / "staged", out / "quarantine")
        self.out = out

    def rows(self, table: str) -> list[dict[str, Any]]:
        folder = self.out / "staged" / table
        if not folder.exists():
            return []
        rows = [r for part in sorted(folder.glob("*.parquet")) for r in pq.read_table(part).to_pylist()]
        return sorted(rows, key=lambda r: r["source_record"])

    def quarantined(self, table: str) -> dict[str, str]:
        path = self.out / "quarantine" / f"source__{table}.parquet"
        if not path.exists():
            return {}
        return {r["source_record"]: r["reason"] for r in pq.read_table(path).to_pylist()}

    def counts(self, table: str) -> tuple[int, int, int]:
        t = self.report.tables[table]
        return t.mapped, sum(t.quarantined.values()), sum(t.out_of_scope.values())


@pytest.fixture(scope="module")
def extract(tmp_path_factory: pytest.TempPathFactory) -> Read:
    root = tmp_path_factory.mktemp("omop")
    return Read(write(root / "source", EXTRACT), root / "out")


def test_persons_cell_by_cell(extract: Read) -> None:
    assert extract.rows("person") == [
        {"person_id": "1", "birth_date": "1950-03-14", "sex": "M", "death_date": "2024-05-01", "source_record": "person/1"},
        {"person_id": "2", "birth_date": "1962-07-01", "sex": "F", "death_date": None, "source_record": "person/2"},
        {"person_id": "5", "birth_date": "1990-06-15", "sex": "M", "death_date": None, "source_record": "person/5"},
        {"person_id": "7", "birth_date": "1940-12-24", "sex": "M", "death_date": None, "source_record": "person/7"},
    ]
    quarantined = extract.quarantined("person")
    assert quarantined["person/3"] == "gender_concept_id 8551 is not 8507 (male) or 8532 (female)"
    assert quarantined["person/4"] == "birth date: no such birth date: 1980-2-30"
    assert quarantined["person/6"] == "duplicate person_id"
    assert quarantined["death/42"] == "death of a person_id not in PERSON"
    assert quarantined["death/3"] == "death of a quarantined person"
    assert quarantined["death/1"] == "another death record of the person (the earliest is kept)"
    assert quarantined["death/7"].startswith("death_date: not a date")
    assert quarantined["observation_period/3"] == "observation period of a person_id not in PERSON"
    # 9 persons + 5 deaths + 3 observation periods: 4 mapped, 10 quarantined, 3 out of scope.
    assert extract.counts("person") == (4, 10, 3)
    assert extract.report.tables["person"].out_of_scope == {
        "DEATH record: merged into person.death_date": 1,
        "OBSERVATION_PERIOD record: not modelled (its start is the residence start)": 2,
    }


def test_cpr_never_written(extract: Read) -> None:
    quarantine = pq.read_table(extract.out / "quarantine" / "source__person.parquet").to_pylist()
    cpr_row = [r for r in quarantine if r["reason"] == "person_id looks like a CPR number"]
    assert len(cpr_row) == 1
    everything = [p.read_bytes() for p in extract.out.rglob("*.parquet")]
    assert not any(b"0101901234" in blob for blob in everything)
    assert any("1 person_source_value(s) look like CPR numbers" in n for n in extract.report.notes)
    assert not any("0101901234" in n for n in extract.report.notes)
    assert any("1 birth date(s) had a year (and month) only" in n for n in extract.report.notes)


def test_residence_only_where_danish(extract: Read) -> None:
    assert extract.rows("residence") == [
        {"person_id": "1", "municipality_code": "461", "valid_from": "2010-01-01", "valid_to": None,
         "source_record": "person/1#location/10"},
        {"person_id": "2", "municipality_code": "751", "valid_from": "2015-02-01", "valid_to": None,
         "source_record": "person/2#location/11"},
    ]
    assert extract.quarantined("residence") == {"person/5#location/99": "location_id not in LOCATION"}
    assert extract.report.tables["residence"].out_of_scope == {
        "location has no Danish municipality code (kommunekode)": 1}


def test_hospital_contacts_cell_by_cell(extract: Read) -> None:
    assert extract.rows("hospital_contact") == [
        {"contact_id": "1001", "person_id": "1", "start_time": "2024-03-01T08:30:00+00:00",
         "end_time": "2024-03-01T13:00:00+00:00", "contact_type": "ALCA00", "priority": "ATA1",
         "contact_reason": None, "hospital_id": "omop-unknown", "unit_id": "omop-unknown",
         "specialty": "emergency", "branch": "somatic", "source_record": "visit_occurrence/1001"},
        {"contact_id": "1002", "person_id": "1", "start_time": "2024-03-01T13:00:00+00:00",
         "end_time": "2024-03-05T09:00:00+00:00", "contact_type": "ALCA00", "priority": "ATA1",
         "contact_reason": None, "hospital_id": "H1", "unit_id": "H1", "specialty": "cardiology",
         "branch": "somatic", "source_record": "visit_occurrence/1002"},
        {"contact_id": "1004", "person_id": "2", "start_time": "2024-07-31T22:00:00+00:00",
         "end_time": "2024-08-02T22:00:00+00:00", "contact_type": "ALCA00", "priority": "ATA3",
         "contact_reason": None, "hospital_id": "H1", "unit_id": "H1", "specialty": "cardiology",
         "branch": "somatic", "source_record": "visit_occurrence/1004"},
        {"contact_id": "1011", "person_id": "7", "start_time": "2024-02-02T09:00:00+00:00", "end_time": None,
         "contact_type": "ALCA00", "priority": "ATA3", "contact_reason": None, "hospital_id": "omop-unknown",
         "unit_id": "omop-unknown", "specialty": "cardiology", "branch": "somatic",
         "source_record": "visit_occurrence/1011"},
    ]
    assert extract.quarantined("hospital_contact") == {
        "visit_occurrence/1006": "person_id not in PERSON",
        "visit_occurrence/1007": "person quarantined",
        "visit_occurrence/1008": "visit start: not a date-time: '2024-13-01'",
        "visit_occurrence/1009": "visit_concept_id missing or 0: the kind of visit is unknown",
        "visit_occurrence/1010": "duplicate visit_occurrence_id",
    }
    # Visits that are neither hospital nor GP contacts are counted under hospital_contact.
    assert extract.report.tables["hospital_contact"].out_of_scope == {
        "visit concept 581458: not a hospital or GP contact": 1,
        "office visit not with a GP (practising specialists are not modelled)": 1,
    }


def test_gp_contacts_cell_by_cell(extract: Read) -> None:
    assert extract.rows("gp_contact") == [
        {"contact_id": "1003", "person_id": "2", "contact_date": "2024-07-15", "kind": "consultation",
         "clinic_id": "omop-provider-100", "provider_id": "100", "source_record": "visit_occurrence/1003"},
        {"contact_id": "1012", "person_id": "1", "contact_date": "2024-04-01", "kind": "phone",
         "clinic_id": "omop-provider-100", "provider_id": "100", "source_record": "visit_occurrence/1012"},
    ]
    # 14 visit lines: 4 + 2 mapped, 6 quarantined (1010 twice), 2 out of scope.
    assert extract.counts("hospital_contact") == (4, 6, 2)
    assert extract.counts("gp_contact") == (2, 0, 0)


def test_diagnoses_icd10_on_hospital_contacts(extract: Read) -> None:
    assert extract.rows("diagnosis") == [
        {"contact_id": "1002", "diagnosis_code": "DI10", "diagnosis_type": "B", "refuted": None,
         "source_system": "ICD10CM", "source_code": "I10", "source_record": "condition_occurrence/1"},
        {"contact_id": "1002", "diagnosis_code": "DE119", "diagnosis_type": "A", "refuted": None,
         "source_system": "ICD10CM", "source_code": "E11.9", "source_record": "condition_occurrence/2"},
        {"contact_id": "1004", "diagnosis_code": "DJ441", "diagnosis_type": "A", "refuted": None,
         "source_system": "SKS", "source_code": "DJ441", "source_record": "condition_occurrence/5"},
    ]
    assert extract.report.tables["diagnosis"].out_of_scope == {
        "repeats a diagnosis code already on the contact": 1,
        "Condition coded only in SNOMED CT (no ICD-10/SKS coding)": 1,
        "condition on a GP contact (not modelled)": 1,
        "condition not on a visit (only those of hospital contacts are kept)": 1,
    }
    assert extract.quarantined("diagnosis") == {
        "condition_occurrence/8": "visit_occurrence_id not in VISIT_OCCURRENCE",
        "condition_occurrence/9": "person quarantined",
        "condition_occurrence/10": "its visit was quarantined",
        "condition_occurrence/11": "person_id not in PERSON",
    }
    assert any("1 hospital contact(s) had no condition marked primary" in n for n in extract.report.notes)


def test_prescriptions_need_atc(extract: Read) -> None:
    assert extract.rows("prescription") == [
        {"person_id": "1", "dispensing_date": "2024-03-10", "atc": "B01AC06", "ddd": None,
         "source_system": "RxNorm", "source_code": "243670", "source_record": "drug_exposure/1"},
        {"person_id": "2", "dispensing_date": "2024-04-01", "atc": "N02BE01", "ddd": None,
         "source_system": "ATC", "source_code": "N02BE01", "source_record": "drug_exposure/3"},
    ]
    assert extract.report.tables["prescription"].out_of_scope == {
        "Drug exposure coded only in RxNorm (no ATC coding; no link in the vocabulary tables)": 1,
        "drug administered by staff, not a redeemed prescription": 1,
        "vaccine (CVX): vaccinations are not mapped from OMOP": 1,
    }
    assert extract.quarantined("prescription") == {
        "drug_exposure/6": "drug exposure start: not a date: '2024-02-30'",
        "drug_exposure/7": "duplicate drug_exposure_id",
        "drug_exposure/8": "person_id not in PERSON",
    }
    assert extract.counts("prescription") == (2, 4, 3)


def test_lab_results_need_npu(extract: Read) -> None:
    assert extract.rows("lab_result") == [
        {"person_id": "1", "sample_time": "2024-03-02T06:15:00+00:00", "npu_code": "NPU02319", "value": "8.1",
         "unit": "mmol/L", "ref_low": "4.5", "ref_high": "10.0", "sector": "hospital",
         "source_system": "NPU", "source_code": "NPU02319", "source_record": "measurement/1"},
        {"person_id": "2", "sample_time": "2024-07-14T22:00:00+00:00", "npu_code": "DNK35302", "value": "1.5",
         "unit": "g/L", "ref_low": None, "ref_high": None, "sector": "gp",
         "source_system": "NPU", "source_code": "dnk35302", "source_record": "measurement/2"},
    ]
    assert extract.report.tables["lab_result"].out_of_scope == {
        "Measurement coded only in an unknown code system (no NPU coding)": 1}
    assert extract.quarantined("lab_result") == {
        "measurement/4": "value_as_number: not a number: 'abc'",
        "measurement/5": "requesting sector unknown (not on a hospital or GP contact)",
    }


def test_procedures_need_sks_on_hospital_contact(extract: Read) -> None:
    assert extract.rows("procedure") == [
        {"contact_id": "1002", "procedure_code": "KFNG05", "procedure_time": "2024-03-02T09:00:00+00:00",
         "source_system": "SKS", "source_code": "KFNG05", "source_record": "procedure_occurrence/1"},
    ]
    assert extract.report.tables["procedure"].out_of_scope == {
        "Procedure coded only in an unknown code system (no SKS procedure coding)": 1,
        "procedure on a GP contact (not modelled)": 1,
        "procedure not on a visit (only those of hospital contacts are kept)": 1,
    }
    assert extract.quarantined("procedure") == {
        "procedure_occurrence/5": "procedure time: not a date-time: '2024-3-2'"}


def test_reconciliation_every_line_accounted(extract: Read) -> None:
    lines = {name: len(text.strip().splitlines()) - 1 for name, text in EXTRACT.items()}
    tables = extract.report.tables
    assert tables["person"].read == lines["PERSON"] + lines["DEATH"] + lines["OBSERVATION_PERIOD"]
    assert tables["hospital_contact"].read + tables["gp_contact"].read == lines["VISIT_OCCURRENCE"]
    assert tables["diagnosis"].read == lines["CONDITION_OCCURRENCE"]
    assert tables["prescription"].read == lines["DRUG_EXPOSURE"]
    assert tables["lab_result"].read == lines["MEASUREMENT"]
    assert tables["procedure"].read == lines["PROCEDURE_OCCURRENCE"]
    for name, counts in tables.items():
        assert len(extract.rows(name)) == counts.mapped, name
        assert len(extract.quarantined(name)) <= sum(counts.quarantined.values()), name
    quarantine = pq.read_table(extract.out / "quarantine" / "source__hospital_contact.parquet")
    assert quarantine.num_rows == 6


def test_build_accepts_every_staged_row(tmp_path: Path) -> None:
    source = write(tmp_path / "source", EXTRACT)
    result = build_warehouse(source, tmp_path / "warehouse", format="omop", marts=False)
    manifest = result.manifest
    assert manifest["reader"]["format"] == "omop"
    for name, entry in manifest["tables"].items():
        assert entry["read"] == entry["accepted"] + entry["quarantined"] + entry["out_of_scope"], name
    mapped = {name: t["mapped"] for name, t in manifest["reader"]["tables"].items()}
    accepted = {name: manifest["tables"][name]["accepted"] for name in mapped}
    assert accepted == mapped
    assert manifest["tables"]["person"]["read"] == 17
    assert manifest["tables"]["hospital_contact"]["out_of_scope"] == 2


# --- malformed sources and options ---------------------------------------------------------------


def _minimal(**extra: str) -> dict[str, str]:
    return {"person": "person_id,gender_concept_id,year_of_birth\n1,8507,1950\n", **extra}


def test_missing_required_column_is_fatal(tmp_path: Path) -> None:
    source = write(tmp_path / "s", {"PERSON": "person_id,year_of_birth\n1,1950\n"})
    with pytest.raises(ValueError, match="PERSON.csv: lacks the required OMOP column\\(s\\) gender_concept_id"):
        run_reader("omop", source, tmp_path / "st", tmp_path / "q")
    with pytest.raises(BuildError, match="gender_concept_id"):
        build_warehouse(source, tmp_path / "wh", format="omop", marts=False)


def test_no_person_table_is_fatal(tmp_path: Path) -> None:
    source = write(tmp_path / "s", {"VISIT_OCCURRENCE": VISIT_OCCURRENCE})
    with pytest.raises(ValueError, match="no PERSON table"):
        run_reader("omop", source, tmp_path / "st", tmp_path / "q")


def test_table_twice_is_fatal(tmp_path: Path) -> None:
    source = write(tmp_path / "s", {"PERSON": PERSON})
    pq.write_table(_arrow_person(), source / "person.parquet")
    with pytest.raises(ValueError, match="present twice"):
        run_reader("omop", source, tmp_path / "st", tmp_path / "q")


def _arrow_person():  # type: ignore[no-untyped-def]
    import pyarrow as pa

    return pa.table({"person_id": [1], "gender_concept_id": [8507], "year_of_birth": [1950]})


def test_lower_case_names_parquet_and_empty_files(tmp_path: Path) -> None:
    source = tmp_path / "s"
    source.mkdir()
    pq.write_table(_arrow_person(), source / "person.parquet")
    (source / "death.csv").write_bytes(b"")
    (source / "visit_occurrence.csv").write_text(VISIT_OCCURRENCE.splitlines()[0] + "\n")
    read = Read(source, tmp_path / "out")
    assert read.rows("person") == [
        {"person_id": "1", "birth_date": "1950-07-01", "sex": "M", "death_date": None, "source_record": "person/1"}]
    assert read.counts("person") == (1, 0, 0)
    assert "hospital_contact" not in read.report.tables
    assert any(n == "empty file(s): death.csv" for n in read.report.notes)


def test_malformed_csv_lines_are_quarantined(tmp_path: Path) -> None:
    visits = VISIT_OCCURRENCE.splitlines()
    text = "\n".join([visits[0], visits[1], "1099,1,9203", visits[2] + ",extra,fields"]) + "\n"
    source = write(tmp_path / "s", {"PERSON": PERSON, "VISIT_OCCURRENCE": text})
    read = Read(source, tmp_path / "out")
    assert [r["contact_id"] for r in read.rows("hospital_contact")] == ["1001"]
    assert read.quarantined("hospital_contact") == {
        "VISIT_OCCURRENCE.csv:3": "malformed CSV line (missing columns)",
        "VISIT_OCCURRENCE.csv:4": "malformed CSV line (too many columns)",
    }
    assert read.report.tables["hospital_contact"].read == 3


def test_empty_person_table(tmp_path: Path) -> None:
    source = write(tmp_path / "s", {"PERSON": PERSON.splitlines()[0] + "\n", "VISIT_OCCURRENCE": VISIT_OCCURRENCE})
    read = Read(source, tmp_path / "out")
    assert read.rows("person") == []
    assert read.counts("hospital_contact") == (0, 14, 0)
    assert set(read.quarantined("hospital_contact").values()) == {
        "person_id not in PERSON", "duplicate visit_occurrence_id"}


def test_timezone_option(tmp_path: Path) -> None:
    visit = "visit_occurrence_id,person_id,visit_concept_id,visit_start_date,visit_start_datetime\n1,1,9203,2024-03-01,2024-03-01 23:30:00\n"
    gp = (
        "visit_occurrence_id,person_id,visit_concept_id,visit_start_date,visit_start_datetime,provider_id\n"
        "2,1,9202,2024-03-01,2024-03-01 23:30:00,100\n"
    )
    source = write(tmp_path / "s", _minimal(visit_occurrence=visit), {"timezone": "UTC"})
    read = Read(source, tmp_path / "out")
    assert read.rows("hospital_contact")[0]["start_time"] == "2024-03-01T23:30:00+00:00"
    assert any("read as UTC" in n for n in read.report.notes)
    # A GP contact's day is the Danish day: 23:30 UTC is the next day in Denmark.
    source2 = write(tmp_path / "s2", _minimal(visit_occurrence=gp, provider=PROVIDER, concept=CONCEPT), {"timezone": "UTC"})
    assert Read(source2, tmp_path / "out2").rows("gp_contact")[0]["contact_date"] == "2024-03-02"


def test_default_municipality_is_explicit_and_noted(tmp_path: Path) -> None:
    source = write(tmp_path / "s", {"PERSON": PERSON, "LOCATION": LOCATION}, {"default_municipality": "101"})
    read = Read(source, tmp_path / "out")
    codes = {r["person_id"]: r["municipality_code"] for r in read.rows("residence")}
    # A US location gets the configured default; an unknown location stays quarantined.
    assert codes == {"1": "461", "2": "751", "7": "101"}
    note = next(n for n in read.report.notes if n.startswith("residence:"))
    assert "default_municipality 101 from klynge-omop.json (not source data)" in note


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"default_municipality": "999"}, "not a Danish municipality code"),
        ({"timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"tz": "UTC"}, "unknown key"),
    ],
)
def test_bad_settings(tmp_path: Path, settings: dict[str, str], message: str) -> None:
    write(tmp_path, {"PERSON": PERSON}, settings)
    with pytest.raises(ValueError, match=message):
        Settings.load(tmp_path)


def test_settings_not_json(tmp_path: Path) -> None:
    (tmp_path / "klynge-omop.json").write_text("{nope")
    with pytest.raises(ValueError, match="not valid JSON"):
        Settings.load(tmp_path)


def test_specialty_from_danish_care_site_and_er_admission(tmp_path: Path) -> None:
    visits = (
        "visit_occurrence_id,person_id,visit_concept_id,visit_start_date,visit_end_date,care_site_id\n"
        "1,1,9201,2024-01-10,2024-01-20,P1\n"
        "2,1,262,2024-02-10,2024-02-12,\n"
        "3,1,9202,2024-03-10,2024-03-10,P1\n"
    )
    sites = "care_site_id,care_site_name\nP1,Psykiatrisk Center Odense\n"
    source = write(tmp_path / "s", _minimal(visit_occurrence=visits, care_site=sites))
    rows = Read(source, tmp_path / "out").rows("hospital_contact")
    got = [(r["contact_id"], r["specialty"], r["branch"], r["priority"], r["unit_id"]) for r in rows]
    assert got == [
        ("1", "psychiatry", "psychiatric", "ATA3", "P1"),
        ("2", "emergency", "somatic", "ATA1", "omop-unknown"),
        ("3", "psychiatry", "psychiatric", "ATA3", "P1"),
    ]


def test_canonical_residence_beside_is_used_when_omop_has_none(tmp_path: Path) -> None:
    source = write(tmp_path / "s", {"PERSON": "person_id,gender_concept_id,year_of_birth,month_of_birth,day_of_birth\n"
                                              "1,8507,1950,3,14\n2,8532,1960,1,2\n"})
    (source / "residence.csv").write_text("person_id,municipality_code,valid_from,valid_to\n"
                                          "1,101,2000-01-01,\n2,751,2001-01-01,\n")
    result = build_warehouse(source, tmp_path / "warehouse", format="omop", marts=False,
                             period=(date(2020, 1, 1), date(2020, 12, 31)))
    tables = result.manifest["tables"]
    assert "residence" not in result.manifest["reader"]["tables"]
    assert (tables["residence"]["read"], tables["residence"]["accepted"]) == (2, 2)
    assert (tables["person"]["read"], tables["person"]["accepted"]) == (2, 2)


def test_legacy_encoding_and_bom(tmp_path: Path) -> None:
    source = tmp_path / "s"
    source.mkdir()
    (source / "PERSON.csv").write_bytes(b"\xef\xbb\xbfperson_id,gender_concept_id,year_of_birth,location_id\n1,8507,1950,1\n")
    (source / "LOCATION.csv").write_bytes("location_id,city,location_source_value\n1,Køge,259\n".encode("cp1252"))
    read = Read(source, tmp_path / "out")
    assert [r["person_id"] for r in read.rows("person")] == ["1"]
    assert [r["municipality_code"] for r in read.rows("residence")] == ["259"]
    assert "LOCATION.csv: not UTF-8, read as cp1252" in read.report.notes


def test_atc_through_concept_relationship(tmp_path: Path) -> None:
    concept = CONCEPT + "21604000,paracetamol,Drug,ATC,ATC 5th,C,N02BE01\n21604001,codeine and paracetamol,Drug,ATC,ATC 5th,C,N02AJ06\n"
    relationship = ("concept_id_1,concept_id_2,relationship_id,valid_start_date,valid_end_date,invalid_reason\n"
                    "19000001,21604000,RxNorm - ATC,1970-01-01,2099-12-31,\n"
                    "21604001,19000001,ATC - RxNorm,1970-01-01,2099-12-31,\n"
                    "19000001,21600001,RxNorm - ATC,1970-01-01,2000-01-01,D\n")
    drugs = ("drug_exposure_id,person_id,drug_concept_id,drug_exposure_start_date\n"
             "1,1,19000001,2024-03-10\n")
    source = write(tmp_path / "s", _minimal(concept=concept, concept_relationship=relationship, drug_exposure=drugs))
    read = Read(source, tmp_path / "out")
    # Two valid links at the same distance: the first code is taken, and the choice is noted;
    # the deprecated link (invalid_reason D) is not used.
    assert [r["atc"] for r in read.rows("prescription")] == ["N02AJ06"]
    assert any("1 exposure(s) had several ATC codes" in n for n in read.report.notes)
