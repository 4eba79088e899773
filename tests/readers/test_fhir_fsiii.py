"""KL Gateway (FSIII) care resources -> municipal_service and functional_assessment, and back.

Hand-made resources in the shape of the KL Gateway delivery-report examples (hl7dk/kl-gateway),
mapped one by one through `map_resource` into a real `Staging`, then read back from Parquet.
"""

from __future__ import annotations

import copy
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from klynge.readers import ReaderReport, Staging
from klynge.readers.fhir import _fsiii as fsiii
from klynge.readers.fhir._context import FhirContext

PROFILE = "http://fhir.kl.dk/gateway/StructureDefinition/klgateway-care-"
FSIII = "urn:oid:1.2.208.176.2.21"
MUNI = {"url": fsiii.EXT_MUNICIPALITY, "valueCoding": {"system": fsiii.DK_MUNICIPALITY, "code": "0461"}}
MINUTES = {"value": 45, "system": "http://unitsofmeasure.org", "code": "min/wk"}


def ctx(*patients: str) -> FhirContext:
    """A context that knows Patient/<id> (also as urn:uuid:<id>) with person_id P-<id>."""
    keys = {f"Patient/{p}": f"Patient/{p}" for p in patients}
    keys |= {f"urn:uuid:{p}": f"Patient/{p}" for p in patients}
    return FhirContext(keys=keys, persons={f"Patient/{p}": f"P-{p}" for p in patients})


def care_plan(**changes: Any) -> dict[str, Any]:
    resource = {
        "resourceType": "CarePlan", "id": "cp1", "meta": {"profile": [PROFILE + "planned-intervention"]},
        "extension": [MUNI], "status": "active", "intent": "plan",
        "subject": {"reference": "Patient/a"},
        "period": {"start": "2024-03-01", "end": "2024-03-31"},
        "activity": [{"detail": {
            "code": {"coding": [{"system": FSIII, "code": "H1.1", "display": "Personlig hygiejne"}]},
            "status": "in-progress",
            "extension": [{"url": fsiii.EXT_MINUTES, "valueQuantity": dict(MINUTES)}],
        }}],
    }
    resource.update(changes)
    return resource


def condition(**changes: Any) -> dict[str, Any]:
    resource = {
        "resourceType": "Condition", "id": "c1", "meta": {"profile": [PROFILE + "condition"]},
        "extension": [MUNI],
        "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                       "code": "active"}]},
        "severity": {"coding": [{"system": FSIII, "code": "B3"}]},
        "code": {"coding": [{"system": FSIII, "code": "J3.8", "display": "Gå"}]},
        "subject": {"reference": "urn:uuid:a"},
        "recordedDate": "2024-05-02",
    }
    resource.update(changes)
    return resource


def with_code(resource: dict[str, Any], system: str | None, code: str) -> dict[str, Any]:
    resource = copy.deepcopy(resource)
    coding = {"code": code} if system is None else {"system": system, "code": code}
    if resource["resourceType"] == "CarePlan":
        resource["activity"][0]["detail"]["code"] = {"coding": [coding]}
    else:
        resource["code"] = {"coding": [coding]}
    return resource


def run(tmp_path: Path, resources: list[dict[str, Any]], context: FhirContext | None = None):
    """Map the resources; return (staged rows per table, quarantine rows per table, report)."""
    report = ReaderReport("fhir")
    staging = Staging(tmp_path / "staging", tmp_path / "quarantine", report)
    context = context or ctx("a", "b")
    for resource in resources:
        assert fsiii.handles(resource), resource
        fsiii.map_resource(resource, context, staging)
    staging.close()
    staged = {}
    for folder in (tmp_path / "staging").glob("*"):
        staged[folder.name] = pq.read_table(folder).to_pylist()
    bad = {f.stem.removeprefix("source__"): pq.read_table(f).to_pylist()
           for f in (tmp_path / "quarantine").glob("*.parquet")}
    return staged, bad, report


def single_reason(tmp_path: Path, resource: dict[str, Any]) -> tuple[str, str]:
    """('quarantined' | 'out_of_scope', reason) of one resource that does not map."""
    staged, _, report = run(tmp_path, [resource])
    assert not staged
    (table,) = report.tables.values()
    outcome = [(kind, reason) for kind in ("quarantined", "out_of_scope") for reason in getattr(table, kind)]
    assert len(outcome) == 1 and table.read == 1
    return outcome[0]


# ----------------------------------------------------------------------------- well-formed

def test_planned_intervention_becomes_one_service_row(tmp_path):
    staged, bad, report = run(tmp_path, [care_plan()])
    assert bad == {}
    assert staged["municipal_service"] == [{
        "service_id": "cp1", "person_id": "P-a", "municipality_code": "461", "service_code": "H1.1",
        "service_group": "personal_care", "start_date": "2024-03-01",
        "end_date": "2024-04-01",          # period.end is the last day; canonical end is exclusive
        "minutes_per_week": "45.0", "source_record": "CarePlan/cp1",
    }]
    assert report.tables["municipal_service"].mapped == 1


def test_ongoing_service_and_service_without_minutes(tmp_path):
    plan = care_plan(period={"start": "2024-03-01"})
    del plan["activity"][0]["detail"]["extension"]
    staged, _, _ = run(tmp_path, [plan])
    row = staged["municipal_service"][0]
    assert (row["end_date"], row["minutes_per_week"]) == (None, None)


def test_one_day_service_ends_the_next_day(tmp_path):
    staged, _, _ = run(tmp_path, [care_plan(period={"start": "2024-03-01", "end": "2024-03-01"})])
    assert staged["municipal_service"][0]["end_date"] == "2024-03-02"


@pytest.mark.parametrize(("repeat", "minutes"), [
    ({"frequency": 2, "period": 1, "periodUnit": "d", "duration": 15, "durationUnit": "min"}, "210.0"),
    ({"frequency": 1, "period": 2, "periodUnit": "wk", "duration": 1, "durationUnit": "h"}, "30.0"),
    ({"dayOfWeek": ["mon", "thu"], "timeOfDay": ["08:00:00", "20:00:00"], "duration": 20}, "80.0"),
])
def test_weekly_minutes_from_a_fhir_timing(tmp_path, repeat, minutes):
    plan = care_plan()
    plan["activity"][0]["detail"] = {"code": plan["activity"][0]["detail"]["code"],
                                     "scheduledTiming": {"repeat": repeat}}
    staged, _, _ = run(tmp_path, [plan])
    assert staged["municipal_service"][0]["minutes_per_week"] == minutes


def test_hours_per_week_extension_is_converted(tmp_path):
    plan = care_plan()
    plan["activity"][0]["detail"]["extension"][0]["valueQuantity"] = {"value": 1.5, "code": "h/wk"}
    staged, _, _ = run(tmp_path, [plan])
    assert staged["municipal_service"][0]["minutes_per_week"] == "90.0"


def test_kl_terminology_uuid_codes_and_old_kl_code_system(tmp_path):
    uuid_plan = with_code(care_plan(id="u1"), FSIII, "17312894-b23f-43d9-9723-b725ac25d872")
    old_plan = with_code(care_plan(id="o1"), "http://kl.dk/fhir/common/caresocial/CodeSystem/FSIII", "G1.20")
    systemless = with_code(care_plan(id="s1"), None, "H1.8")  # allowed in a Gateway-profiled resource
    nursing_home = with_code(care_plan(id="n1", extension=[{  # DK-core's municipality extension also does
        "url": fsiii.DK_MUNICIPALITY_EXT, "valueCodeableConcept": {"coding": [{"code": "0461"}]}}]),
        fsiii.KLYNGE_SERVICES, "PLEJEBOLIG")
    staged, bad, _ = run(tmp_path, [uuid_plan, old_plan, systemless, nursing_home])
    assert bad == {}
    got = {r["service_id"]: (r["service_code"], r["service_group"]) for r in staged["municipal_service"]}
    assert got == {"u1": ("H1.1", "personal_care"), "o1": ("G1.20", "home_nursing"),
                   "s1": ("H1.8", "practical_help"), "n1": ("PLEJEBOLIG", "nursing_home")}


def test_functional_condition_becomes_an_assessment(tmp_path):
    svaere = {"coding": [{"system": FSIII, "code": "1ceef776-0cfa-4acd-b222-c5bb2424e0c1", "display": "3"}]}
    uuid_severity = condition(id="c2", severity=svaere, recordedDate="2024-03-31T23:30:00Z")  # Danish 1 April
    staged, bad, _ = run(tmp_path, [condition(), uuid_severity])
    assert bad == {}
    assert staged["functional_assessment"] == [
        {"person_id": "P-a", "assessment_date": "2024-05-02", "state_code": "J3.8", "severity": "B3",
         "municipality_code": "461", "source_record": "Condition/c1"},
        {"person_id": "P-a", "assessment_date": "2024-04-01", "state_code": "J3.8", "severity": "B4",
         "municipality_code": "461", "source_record": "Condition/c2"},
    ]


# ----------------------------------------------------------------------------- recognising

def test_handles_gateway_profiles_and_fsiii_codes_only():
    assert fsiii.handles(care_plan())
    assert fsiii.handles({"resourceType": "Encounter", "meta": {"profile": [PROFILE + "general-encounter"]}})
    unprofiled = condition()
    del unprofiled["meta"]
    assert fsiii.handles(unprofiled)                                   # by the FSIII code system
    assert not fsiii.handles({"resourceType": "Patient", "meta": {"profile": [PROFILE + "citizen"]}})
    assert not fsiii.handles({"resourceType": "Condition", "code": {"coding": [
        {"system": "http://hl7.org/fhir/sid/icd-10", "code": "I50.0"}]}})
    assert not fsiii.handles({"resourceType": "Observation", "meta": "not a dict"})
    assert not fsiii.handles(["not", "a", "resource"])


# ----------------------------------------------------------------------------- malformed / out of scope

def _no_subject():
    plan = care_plan()
    del plan["subject"]
    return plan


def _no_municipality():
    return care_plan(extension=[])


QUARANTINED = [
    (with_code(care_plan(), FSIII, "H1.99"), "unknown FSIII intervention code 'H1.99'"),
    (with_code(care_plan(), FSIII, "0f0f0f0f-0000-4000-8000-000000000000"),
     "unknown FSIII intervention code '0f0f0f0f-0000-4000-8000-000000000000'"),
    (with_code(care_plan(), FSIII, "J1.1"), "unknown FSIII intervention code 'J1.1'"),
    (with_code(care_plan(), "http://snomed.info/sct", "225358003"),
     "no FSIII intervention code (systems: http://snomed.info/sct)"),
    (with_code(care_plan(), fsiii.KLYNGE_SERVICES, "SPA"), "unknown klynge service code 'SPA'"),
    (_no_subject(), "missing citizen reference (subject)"),
    (care_plan(subject={"reference": "Patient/zz"}), "unresolved patient reference"),
    (care_plan(period={"start": "2024-03-10", "end": "2024-03-01"}), "period.end before period.start"),
    (care_plan(period={"start": "2024-03"}), "period.start: imprecise date '2024-03' (year or month only)"),
    (care_plan(period={"start": "2024-02-30"}), "period.start: not a date: '2024-02-30'"),
    (care_plan(period={"end": "2024-03-01"}), "missing period.start (grant date)"),
    (care_plan(period="2024-03-01"), "missing period (grant date)"),
    (care_plan(period={"start": 20240301}), "malformed period.start: 20240301"),
    (care_plan(id=None), "planned intervention without id (service_id)"),
    (care_plan(extension=[{"url": fsiii.DK_MUNICIPALITY_EXT,
                           "valueCodeableConcept": {"coding": [{"code": "46"}]}}]),
     "malformed municipality code '46'"),
    (_no_municipality(), "no municipality (KL Gateway names only the citizen's SOR organisation): "
     'add "fsiii": {"municipality_code": "<kommunekode>"} (a delivery from one municipality) or '
     '"fsiii": {"organisations": {"<SOR code>": "<kommunekode>"}} to klynge-source.json in the source folder'),
    (care_plan(extension=[{"url": fsiii.EXT_MUNICIPALITY, "valueCoding": {"code": "Odense"}}]),
     "malformed municipality code 'Odense'"),
    (condition(severity={"coding": [{"system": FSIII, "code": "B7"}]}), "severity 'B7' outside B1-B5"),
    (condition(severity={"coding": [{"system": FSIII, "code": "C2"}]}), "severity 'C2' outside B1-B5"),
    (condition(severity=None), "functional condition without severity"),
    (with_code(condition(), FSIII, "J9.9"), "unknown FSIII functional state 'J9.9'"),
    (condition(recordedDate="2024"), "recordedDate: imprecise date '2024' (year or month only)"),
    (condition(recordedDate=None), "missing recordedDate (assessment date)"),
    (condition(subject={"display": "no reference"}), "missing citizen reference (subject)"),
]


@pytest.mark.parametrize(("resource", "reason"), QUARANTINED, ids=[r for _, r in QUARANTINED])
def test_unmappable_records_are_quarantined_with_a_reason(tmp_path, resource, reason):
    assert single_reason(tmp_path, resource) == ("quarantined", reason)


def _minutes(plan, quantity):
    plan["activity"][0]["detail"]["extension"][0]["valueQuantity"] = quantity
    return plan


def _timing(plan, timing):
    plan["activity"][0]["detail"] = {"code": plan["activity"][0]["detail"]["code"], "scheduledTiming": timing}
    return plan


@pytest.mark.parametrize(("resource", "reason"), [
    (_minutes(care_plan(), {"value": "45"}), "malformed planned minutes '45'"),
    (_minutes(care_plan(), {"value": 45, "code": "min/d"}), "unknown unit of planned minutes 'min/d'"),
    (_timing(care_plan(), {"repeat": {"frequency": 2}}),
     "scheduledTiming without frequency/period (or dayOfWeek) and duration"),
])
def test_bad_minutes_are_quarantined(tmp_path, resource, reason):
    assert single_reason(tmp_path, resource) == ("quarantined", reason)


OUT_OF_SCOPE = [
    (with_code(care_plan(), FSIII, "G1.10"), "FSIII intervention not in klynge's service list (G1.10)"),
    (care_plan(status="entered-in-error"), "entered in error"),
    (care_plan(status="draft"), "not a granted intervention (draft or proposal)"),
    (with_code(care_plan(), "http://kl.dk/fhir/common/caresocial/CodeSystem/FFB", "x"),
     "FFB (adult social services) intervention"),
    (with_code(condition(severity=None), FSIII, "I4.4"), "FSIII health condition (I-code) is not modelled"),
    (condition(clinicalStatus={"coding": [{"code": "inactive"}]}), "inactive functional condition"),
    (condition(severity={"coding": [{"system": FSIII, "code": "B6"}]}), "severity B6 (ikke relevant)"),
    (condition(verificationStatus={"coding": [{"code": "entered-in-error"}]}), "entered in error"),
    ({"resourceType": "Procedure", "meta": {"profile": [PROFILE + "completed-intervention"]}},
     "completed intervention (single delivery) is not modelled"),
    ({"resourceType": "Encounter", "meta": {"profile": [PROFILE + "general-encounter"]}},
     "visit or follow-up encounter is not modelled"),
    ({"resourceType": "Observation", "meta": {"profile": [PROFILE + "follow-up-observation"]}},
     "FSIII observation (performance, meaning, follow-up) is not modelled"),
    ({"resourceType": "Goal", "meta": {"profile": [PROFILE + "goal"]}},
     "goal (expected state) is not modelled"),
]


@pytest.mark.parametrize(("resource", "reason"), OUT_OF_SCOPE, ids=[r for _, r in OUT_OF_SCOPE])
def test_well_formed_but_unmodelled_records_are_out_of_scope(tmp_path, resource, reason):
    assert single_reason(tmp_path, resource) == ("out_of_scope", reason)


def test_quarantined_record_is_kept_without_cpr(tmp_path):
    plan = care_plan(subject={"reference": "Patient/zz", "display": "borger 0101501234"})
    _, bad, _ = run(tmp_path, [plan])
    (row,) = bad["municipal_service"]
    assert row["reason"] == "unresolved patient reference" and row["source_record"] == "CarePlan/cp1"
    assert "0101501234" not in row["record"] and '"borger XXXXXXXXXX"' in row["record"]


# ----------------------------------------------------------------------------- reconciliation

def test_every_resource_is_accounted_for_once(tmp_path):
    resources = [care_plan(id=f"cp{i}") for i in range(3)] + [condition(id=f"c{i}") for i in range(2)]
    resources += [r for r, _ in QUARANTINED] + [r for r, _ in OUT_OF_SCOPE]
    staged, bad, report = run(tmp_path, resources)
    tables = report.tables
    assert sum(t.read for t in tables.values()) == len(resources)
    for name, table in tables.items():
        assert table.read == table.mapped + sum(table.quarantined.values()) + sum(table.out_of_scope.values())
        assert table.mapped == len(staged.get(name, []))
        assert sum(table.quarantined.values()) == len(bad.get(name, []))
    assessed = ("Condition", "Goal", "Observation")
    per_table = Counter("functional_assessment" if r.get("resourceType") in assessed else "municipal_service"
                        for r in resources)
    assert {name: t.read for name, t in tables.items()} == dict(per_table)
    assert tables["municipal_service"].mapped == 3 and tables["functional_assessment"].mapped == 2


# ----------------------------------------------------------------------------- municipality from configuration

def _gateway_delivery(source: Path, settings: dict[str, Any] | None) -> None:
    """A KL Gateway-like delivery: two citizens of two SOR organisations, their services and one assessment,
    none carrying a municipality (as real reports)."""
    import json

    from fhir_support import bundle

    def citizen(pid: str, sor: str) -> dict[str, Any]:
        return {"resourceType": "Patient", "id": pid, "meta": {"profile": [PROFILE + "citizen"]},
                "gender": "female", "birthDate": "1940-01-01",
                "managingOrganization": {"identifier": {"system": "urn:oid:1.2.208.176.1.1", "value": sor}}}

    entries = [{"resource": citizen("a", "1234561000016000")}, {"resource": citizen("b", "9999991000016000")},
               {"resource": care_plan(id="s1", extension=[])},
               {"resource": care_plan(id="s2", extension=[], subject={"reference": "Patient/b"})},
               {"resource": condition(id="f1", extension=[], subject={"reference": "Patient/b"})},
               {"resource": care_plan(id="s3")}]    # carries its own municipality (0461): kept
    bundle(source / "delivery.json", entries)
    if settings is not None:
        (source / "klynge-source.json").write_text(json.dumps(settings), encoding="utf-8")


def _read(tmp_path: Path, settings: dict[str, Any] | None):
    from fhir_support import read

    _gateway_delivery(tmp_path / "src", settings)
    return read(tmp_path / "src", tmp_path / "out")


def test_without_configuration_gateway_rows_are_quarantined_with_the_setting_to_add(tmp_path):
    report, rows, bad = _read(tmp_path, None)
    assert [r["service_id"] for r in rows["municipal_service"]] == ["s3"]
    reasons = {r["reason"] for table in bad.values() for r in table}
    assert len(reasons) == 1 and '"fsiii": {"municipality_code": "<kommunekode>"}' in reasons.pop()
    assert sum(report.tables["municipal_service"].quarantined.values()) == 2
    assert sum(report.tables["functional_assessment"].quarantined.values()) == 1
    assert not [n for n in report.notes if n.startswith("fsiii:")]


def test_one_municipality_delivery_takes_the_configured_code(tmp_path):
    report, rows, bad = _read(tmp_path, {"period_start": "2024-01-01", "period_end": "2024-12-31",
                                         "fsiii": {"municipality_code": "0751"}})
    assert {r["service_id"]: r["municipality_code"] for r in rows["municipal_service"]} == {
        "s1": "751", "s2": "751", "s3": "461"}
    assert [r["municipality_code"] for r in rows["functional_assessment"]] == ["751"]
    assert not bad
    assert [n for n in report.notes if n.startswith("fsiii:")] == [
        "fsiii: 1 functional_assessment row(s) got their municipality from fsiii.municipality_code in "
        "klynge-source.json (configuration, not data: KL Gateway reports carry no municipality)",
        "fsiii: 2 municipal_service row(s) got their municipality from fsiii.municipality_code in "
        "klynge-source.json (configuration, not data: KL Gateway reports carry no municipality)"]


def test_managing_organisation_maps_to_its_municipality(tmp_path):
    settings = {"fsiii": {"organisations": {"1234561000016000": "101"}}}
    report, rows, bad = _read(tmp_path, settings)
    assert {r["service_id"]: r["municipality_code"] for r in rows["municipal_service"]} == {"s1": "101", "s3": "461"}
    # Citizen b's organisation is not configured and there is no default: quarantined, saying what to add.
    reasons = sorted(r["reason"] for table in bad.values() for r in table)
    assert reasons == 2 * ["no municipality: the citizen's managing organisation (9999991000016000) is not in "
                           "fsiii.organisations of klynge-source.json; add it there, or set "
                           '"fsiii": {"municipality_code": "<kommunekode>"}']
    assert any(n.startswith("fsiii: 1 municipal_service row(s) got their municipality from fsiii.organisations")
               for n in report.notes)


def test_organisation_wins_over_the_default_and_the_organisation_may_be_a_resource(tmp_path):
    from fhir_support import bundle, read

    source = tmp_path / "src"
    org = {"resourceType": "Organization", "id": "odense",
           "identifier": [{"system": "urn:oid:1.2.208.176.1.1", "value": "5551000016000"}]}
    citizen = {"resourceType": "Patient", "id": "a", "gender": "male", "birthDate": "1940-01-01",
               "managingOrganization": {"reference": "Organization/odense"}}
    bundle(source / "d.json", [{"resource": org}, {"resource": citizen}, {"resource": care_plan(extension=[])}])
    (source / "klynge-source.json").write_text(
        '{"fsiii": {"municipality_code": "751", "organisations": {"5551000016000": "461"}}}', encoding="utf-8")
    _, rows, _ = read(source, tmp_path / "out")
    assert [r["municipality_code"] for r in rows["municipal_service"]] == ["461"]


@pytest.mark.parametrize("settings", [{"fsiii": {"municipality_code": "999"}},
                                      {"fsiii": {"organisations": {"123": "Odense"}}},
                                      {"fsiii": {"kommune": "461"}}, {"fsiii": "461"}])
def test_bad_fsiii_configuration_stops_the_read(tmp_path, settings):
    with pytest.raises(ValueError, match="klynge-source.json"):
        _read(tmp_path, settings)
