"""Round trip: synthetic municipal care -> KL Gateway FHIR resources -> klynge gives the same rows.

Also the same warehouse: a build whose municipal tables come from the FSIII reader equals the
direct build of the synthetic population, and (once the FHIR reader reads files) a build with
``format="fhir"`` from a KL Gateway-style delivery bundle.
"""

from __future__ import annotations

import importlib
import json
import shutil
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from klynge.ingest import build_warehouse
from klynge.readers import ReaderReport, Staging
from klynge.readers._base import as_text
from klynge.readers.fhir import _fsiii as fsiii
from klynge.readers.fhir._context import FhirContext
from klynge.synth import synthesise
from klynge.warehouse import open_warehouse

TABLES = ("municipal_service", "functional_assessment")


@pytest.fixture(scope="module")
def population(tmp_path_factory):
    source = tmp_path_factory.mktemp("fsiii") / "source"
    synthesise(source, persons=1_500, seed=3, start=date(2024, 1, 1), end=date(2024, 12, 31))
    frames = {t: pq.read_table(source / t).to_pandas() for t in (*TABLES, "person")}
    return source, frames


def _context(persons) -> FhirContext:
    keys = {f"Patient/{p}": f"Patient/{p}" for p in persons}
    return FhirContext(keys=keys, persons={f"Patient/{p}": p for p in persons})


def _read_back(resources, persons, folder: Path):
    report = ReaderReport("fhir")
    staging = Staging(folder / "staging", folder / "quarantine", report)
    context = _context(persons)
    for resource in resources:
        assert fsiii.handles(resource)
        fsiii.map_resource(resource, context, staging)
    staging.close()
    return report


def _text_rows(frame, columns):
    rows = frame[list(columns)].itertuples(index=False)
    return sorted(tuple(as_text(fsiii._value(v)) for v in row) for row in rows)


def test_written_resources_read_back_to_identical_rows(population, tmp_path):
    _, frames = population
    assert len(frames["municipal_service"]) > 100 and len(frames["functional_assessment"]) > 100
    resources = json.loads(json.dumps(list(fsiii.write_resources(frames))))   # plain JSON on the way
    assert {r["resourceType"] for r in resources} == {"CarePlan", "Condition"}
    report = _read_back(resources, frames["person"]["person_id"], tmp_path)
    for table in TABLES:
        counts = report.tables[table]
        outcome = (counts.mapped, dict(counts.quarantined), dict(counts.out_of_scope))
        assert outcome == (len(frames[table]), {}, {})
        staged = pq.read_table(tmp_path / "staging" / table).to_pandas()
        columns = list(frames[table].columns)
        assert _text_rows(staged, columns) == _text_rows(frames[table], columns)
    # Cell by cell for the services, matched by id, and with the source record named.
    staged = pq.read_table(tmp_path / "staging" / "municipal_service").to_pandas().set_index("service_id")
    assert (staged["source_record"] == "CarePlan/" + staged.index).all()


def test_written_resources_follow_the_gateway_shape(population):
    _, frames = population
    first = {r["resourceType"]: r for r in fsiii.write_resources({t: frames[t].head(1) for t in TABLES})}
    plan, cond = first["CarePlan"], first["Condition"]
    gateway = "http://fhir.kl.dk/gateway/StructureDefinition/klgateway-care-"
    assert plan["meta"]["profile"] == [gateway + "planned-intervention"]
    assert plan["intent"] == "plan" and plan["period"]["start"] and len(plan["activity"]) == 1
    system = plan["activity"][0]["detail"]["code"]["coding"][0]["system"]
    assert system in (fsiii.FSIII, fsiii.KLYNGE_SERVICES)
    assert cond["meta"]["profile"] == [gateway + "condition"]
    first_row = frames["functional_assessment"].iloc[0]
    severity = first_row["severity"]
    assert cond["severity"]["coding"][0] == {"system": fsiii.FSIII, "code": severity,
                                             "display": fsiii.codes.SEVERITIES[severity]}
    assert cond["extension"][0]["valueCoding"]["code"] == "0" + first_row["municipality_code"]


def _tables(warehouse: Path) -> dict[str, list[tuple]]:
    raw = open_warehouse(warehouse).con
    return {t: sorted(raw.sql(f"select * from input__{t}").fetchall(), key=repr) for t in TABLES}


@pytest.mark.slow
def test_build_from_the_fsiii_reader_equals_the_direct_build(population, tmp_path):
    source, frames = population
    resources = list(fsiii.write_resources(frames))
    report = _read_back(resources, frames["person"]["person_id"], tmp_path)
    mixed = tmp_path / "mixed"
    shutil.copytree(source, mixed, ignore=shutil.ignore_patterns(*TABLES, "truth"))
    for table in TABLES:
        shutil.copytree(tmp_path / "staging" / table, mixed / table)
        assert report.tables[table].mapped == len(frames[table])
    direct, via_fhir = tmp_path / "wh_direct", tmp_path / "wh_fhir"
    build_warehouse(source, direct, marts=False)
    build_warehouse(mixed, via_fhir, marts=False)
    expected = _tables(direct)
    assert {t: len(rows) for t, rows in expected.items()} == {t: len(frames[t]) for t in TABLES}
    assert _tables(via_fhir) == expected


def _fhir_reader_ready() -> bool:
    try:
        return hasattr(importlib.import_module("klynge.readers.fhir"), "read")
    except ImportError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not _fhir_reader_ready(), reason="the FHIR reader (klynge.readers.fhir.read) is missing")
def test_end_to_end_build_with_format_fhir(tmp_path):
    """A KL Gateway-style collection bundle through `build_warehouse(..., format="fhir")`."""
    patient = {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1931-04-02",
               "address": [{"period": {"start": "1990-01-01"}, "extension": [{
                   "url": "http://hl7.dk/fhir/core/StructureDefinition/dk-core-municipalityCodes",
                   "valueCodeableConcept": {"coding": [{"system": fsiii.DK_MUNICIPALITY,
                                                        "code": "0461"}]}}]}]}
    plan = {"resourceType": "CarePlan", "id": "svc1", "meta": {"profile": [fsiii.PLANNED_INTERVENTION]},
            "extension": [{"url": fsiii.EXT_MUNICIPALITY,
                           "valueCoding": {"system": fsiii.DK_MUNICIPALITY, "code": "0461"}}],
            "status": "active", "intent": "plan", "subject": {"reference": "Patient/p1"},
            "period": {"start": "2024-02-01", "end": "2024-02-29"},
            "activity": [{"detail": {"code": {"coding": [{"system": fsiii.FSIII, "code": "H1.8"}]},
                                     "extension": [{"url": fsiii.EXT_MINUTES,
                                                    "valueQuantity": {"value": 15, "code": "min/wk"}}]}}]}
    bad = dict(plan, id="svc2", subject={"reference": "Patient/nobody"})
    cond = {"resourceType": "Condition", "id": "fa1", "meta": {"profile": [fsiii.CONDITION]},
            "extension": plan["extension"], "clinicalStatus": {"coding": [{"code": "active"}]},
            "severity": {"coding": [{"system": fsiii.FSIII, "code": "B2"}]},
            "code": {"coding": [{"system": fsiii.FSIII, "code": "J1.1"}]},
            "subject": {"reference": "Patient/p1"}, "recordedDate": "2024-02-01"}
    nursing = dict(cond, id="fa2", code={"coding": [{"system": fsiii.FSIII, "code": "I4.4"}]}, severity=None)
    bundle = {"resourceType": "Bundle", "type": "collection", "timestamp": "2024-03-01T00:00:00Z",
              "entry": [{"fullUrl": f"https://test.fhir.dk/{r['resourceType']}/{r['id']}", "resource": r}
                        for r in (patient, plan, bad, cond, nursing)]}
    source = tmp_path / "source"
    source.mkdir()
    (source / "delivery-report.json").write_text(json.dumps(bundle))
    wh = tmp_path / "wh"
    build_warehouse(source, wh, format="fhir", marts=False)
    raw = open_warehouse(wh).con
    person = raw.sql("select person_id from input__person").fetchall()[0][0]
    services = raw.sql("select service_id, person_id, service_code, service_group, start_date::varchar, "
                       "end_date::varchar, minutes_per_week, municipality_code from input__municipal_service")
    expected = ("svc1", person, "H1.8", "practical_help", "2024-02-01", "2024-03-01", 15.0, "461")
    assert services.fetchall() == [expected]
    assessments = raw.sql("select person_id, assessment_date::varchar, state_code, severity, "
                          "municipality_code from input__functional_assessment")
    assert assessments.fetchall() == [(person, "2024-02-01", "J1.1", "B2", "461")]
    manifest = json.loads(next(wh.glob("builds/*/manifest.json")).read_text())
    tables = manifest["tables"]
    assert tables["municipal_service"]["read"] == 2 and tables["municipal_service"]["quarantined"] == 1
    assessed = tables["functional_assessment"]
    assert assessed["read"] == 2 and assessed["out_of_scope"] == 1 and assessed["accepted"] == 1
