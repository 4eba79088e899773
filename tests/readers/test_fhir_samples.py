"""The FHIR reader on the public samples (read in place), with counts computed independently."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from fhir_support import read, reconciles

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"
BULK = SAMPLES / "fhir-bulk" / "smart_sample_bulk_10_patients"
SYNTHEA = SAMPLES / "synthea" / "ca59_andrew-nguyen" / "fhir_r4"


@pytest.fixture(autouse=True)
def _no_key(monkeypatch):
    monkeypatch.delenv("KLYNGE_PSEUDONYM_KEY", raising=False)


def _bulk_counts() -> tuple[Counter[str], int]:
    types, addresses = Counter(), 0
    for path in BULK.glob("*.ndjson"):
        for line in path.read_text().splitlines():
            value = json.loads(line)
            if "resourceType" in value:
                types[value["resourceType"]] += 1
                addresses += len(value.get("address", [])) if value["resourceType"] == "Patient" else 0
    return types, addresses


@pytest.mark.skipif(not BULK.is_dir(), reason="public samples not present")
def test_bulk_export_sample(tmp_path):
    types, addresses = _bulk_counts()
    report, rows, _ = read(BULK, tmp_path)
    tables = report.tables
    assert reconciles(report)
    assert sum(t.read for t in tables.values()) == sum(types.values()) + addresses
    assert tables["person"].mapped == len(rows["person"]) == types["Patient"] == 13
    assert tables["residence"].out_of_scope == {
        "address without a Danish municipality code (DK-core extension)": addresses}
    assert tables["prescription"].out_of_scope == {
        "MedicationRequest (a prescription is counted when dispensed)": types["MedicationRequest"]}
    # Synthea codes conditions and procedures in SNOMED CT only: nothing maps to SKS, and that is
    # out of scope (well-formed, another vocabulary), as in the OMOP reader.
    assert tables["diagnosis"].out_of_scope == {
        "Condition coded only in SNOMED CT (no ICD-10/SKS coding)": types["Condition"]}
    assert tables["procedure"].out_of_scope == {
        "Procedure coded only in SNOMED CT (no SKS procedure coding)": types["Procedure"]}
    assert not tables["diagnosis"].quarantined and not tables["procedure"].quarantined
    snomed = Counter(json.loads(line)["code"]["coding"][0]["code"]
                     for line in (BULK / "Condition.000.ndjson").read_text().splitlines())
    (note,) = [n for n in report.notes if n.startswith("unmapped source codes, diagnosis")]
    code, n = sorted(snomed.items(), key=lambda item: (-item[1], item[0]))[0]
    assert f"{len(snomed)} distinct code(s); the 20 most frequent" in note
    assert f"(system|code: records): http://snomed.info/sct|{code}: {n};" in note
    assert tables["hospital_contact"].read == types["Encounter"] and tables["hospital_contact"].mapped == 0
    assert tables["hospital_unit"].read == types["Organization"] + types["Location"]
    assert tables["vaccination"].read == types["Immunization"] and tables["vaccination"].mapped > 0
    assert any("log.ndjson" in note for note in report.notes)


@pytest.mark.skipif(not SYNTHEA.is_dir(), reason="public samples not present")
def test_synthea_bundles(tmp_path):
    types, addresses = Counter(), 0
    for path in SYNTHEA.glob("*.json"):
        for entry in json.loads(path.read_text())["entry"]:
            types[entry["resource"]["resourceType"]] += 1
            if entry["resource"]["resourceType"] == "Patient":
                addresses += len(entry["resource"].get("address", []))
    report, rows, _ = read(SYNTHEA, tmp_path)
    assert reconciles(report)
    assert sum(t.read for t in report.tables.values()) == sum(types.values()) + addresses
    assert len(rows["person"]) == types["Patient"]
    lab = report.tables["lab_result"]
    assert lab.read == types["Observation"] and lab.mapped == 0
    assert report.tables["person"].out_of_scope["resource type Claim not modelled"] == types["Claim"]
