"""Helpers for the FHIR reader tests: write hand-made resources, run the reader, read the staging."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from klynge.readers import run_reader


def ndjson(path: Path, resources: list[Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [r if isinstance(r, str) else json.dumps(r) for r in resources]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def bundle(path: Path, entries: list[dict[str, Any]], kind: str = "collection") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"resourceType": "Bundle", "type": kind, "entry": entries}), encoding="utf-8")
    return path


def read(source: Path, tmp: Path):
    """Run the FHIR reader; return (report, {table: [rows]}, {table: [quarantined]})."""
    report = run_reader("fhir", source, tmp / "staged", tmp / "quarantine")
    rows = {}
    for folder in sorted((tmp / "staged").glob("*")):
        rows[folder.name] = [r for part in sorted(folder.glob("*.parquet")) for r in pq.read_table(part).to_pylist()]
    bad = {p.stem.removeprefix("source__"): pq.read_table(p).to_pylist() for p in (tmp / "quarantine").glob("*.parquet")}
    return report, rows, bad


def reconciles(report) -> bool:
    return all(t.read == t.mapped + sum(t.quarantined.values()) + sum(t.out_of_scope.values())
               for t in report.tables.values())


def patient(pid: str, **extra: Any) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": pid, "gender": "female", "birthDate": "1950-05-17", **extra}


def dk_address(code: str, start: str, end: str | None = None) -> dict[str, Any]:
    period = {"start": start, **({"end": end} if end else {})}
    return {"extension": [{"url": "http://hl7.dk/fhir/core/StructureDefinition/dk-core-municipalityCodes",
                           "valueCodeableConcept": {"coding": [{
                               "system": "http://hl7.dk/fhir/core/CodeSystem/dk-core-municipality-codes",
                               "code": code}]}}],
            "period": period}


SKS = "urn:oid:1.2.208.176.2.4"
KL = "https://klynge.dk/fhir"

HOSPITAL = {"resourceType": "Organization", "id": "ouh",
            "identifier": [{"system": "urn:oid:1.2.208.176.1.1", "value": "SGH10"}], "name": "OUH",
            "type": [{"coding": [{"system": f"{KL}/CodeSystem/organisation-kind", "code": "hospital"}]}]}
UNIT = {"resourceType": "Organization", "id": "ouh-med", "name": "Medicinsk afdeling",
        "identifier": [{"system": f"{KL}/sid/unit", "value": "SGH10-internal_medicine"}],
        "type": [{"coding": [{"system": f"{KL}/CodeSystem/specialty", "code": "internal_medicine"}]}],
        "address": [{"extension": [{"url": "http://hl7.dk/fhir/core/StructureDefinition/dk-core-RegionalSubDivisionCodes",
                                    "valueCodeableConcept": {"coding": [{"system": "urn:iso:std:iso:3166:-2",
                                                                         "code": "DK-83"}]}}]}],
        "partOf": {"reference": "Organization/ouh"}}
