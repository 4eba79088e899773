"""The FHIR reader on small hand-made resources: mapping, malformed input, time zones, CPR, counts."""

from __future__ import annotations

import json

import pytest

from fhir_support import HOSPITAL, KL, SKS, UNIT, bundle, dk_address, ndjson, patient, read, reconciles

from klynge.readers.fhir._context import FhirContext

CPR = "2509479989"   # a MedCom test CPR number: 25 Sep 1947, male
KEY = "a test key of at least sixteen bytes"


@pytest.fixture(autouse=True)
def _no_key(monkeypatch):
    monkeypatch.delenv("KLYNGE_PSEUDONYM_KEY", raising=False)
    monkeypatch.delenv("KLYNGE_PSEUDONYM_KEY_FILE", raising=False)


def _hospital_encounter(eid, subject, start, end=None, **extra):
    period = {"start": start, **({"end": end} if end else {})}
    return {"resourceType": "Encounter", "id": eid, "status": "finished",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
            "priority": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActPriority", "code": "EM"}]},
            "subject": {"reference": subject}, "period": period,
            "serviceProvider": {"reference": "Organization/ouh-med"}, **extra}


def test_transaction_bundle_maps_every_kind_of_resource(tmp_path):
    entries = [
        {"fullUrl": "urn:uuid:p1", "resource": patient("p1", address=[dk_address("0461", "2010-02-01", "2020-06-30"),
                                                                      dk_address("0147", "2020-07-01"),
                                                                      {"city": "Boston"}])},
        {"fullUrl": "urn:uuid:ouh", "resource": HOSPITAL},
        {"fullUrl": "urn:uuid:ouh-med", "resource": UNIT},
        {"fullUrl": "urn:uuid:e1", "resource": _hospital_encounter("e1", "urn:uuid:p1", "2024-01-05T10:00:00+01:00",
                                                                   "2024-01-07T12:30:00+01:00")},
        {"resource": {"resourceType": "Condition", "id": "c1", "encounter": {"reference": "urn:uuid:e1"},
                      "subject": {"reference": "urn:uuid:p1"},
                      "code": {"coding": [{"system": "http://snomed.info/sct", "code": "42343007"},
                                          {"system": "http://hl7.org/fhir/sid/icd-10", "code": "I50.0"}]}}},
        {"resource": {"resourceType": "Condition", "id": "c2", "encounter": {"reference": "Encounter/e1"},
                      "code": {"coding": [{"system": "http://snomed.info/sct", "code": "42343007"}]}}},
        {"resource": {"resourceType": "Procedure", "id": "pr1", "status": "completed",
                      "encounter": {"reference": "Encounter/e1"}, "performedDateTime": "2024-01-06T09:00:00+01:00",
                      "code": {"coding": [{"system": SKS, "code": "KJAB10"}]}}},
        {"resource": {"resourceType": "Observation", "id": "o1", "status": "final",
                      "category": [{"coding": [{"code": "laboratory"}]}],
                      "code": {"coding": [{"system": "urn:oid:1.2.208.176.2.1", "code": "NPU27300"}]},
                      "subject": {"reference": "Patient/p1"}, "encounter": {"reference": "Encounter/e1"},
                      "effectiveDateTime": "2024-01-05T11:00:00+01:00",
                      "valueQuantity": {"value": 48, "unit": "mmol/mol"},
                      "referenceRange": [{"low": {"value": 20}, "high": {"value": 42}}]}},
        {"resource": {"resourceType": "Observation", "id": "o2", "category": [{"coding": [{"code": "vital-signs"}]}],
                      "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]}}},
        {"resource": {"resourceType": "MedicationDispense", "id": "d1", "status": "completed",
                      "medicationCodeableConcept": {"coding": [
                          {"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "860975"},
                          {"system": "http://www.whocc.no/atc", "code": "A10BA02"}]},
                      "subject": {"reference": "Patient/p1"}, "whenHandedOver": "2024-02-01"}},
        {"resource": {"resourceType": "MedicationDispense", "id": "d2", "status": "completed",
                      "medicationCodeableConcept": {"coding": [
                          {"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "860975"}]},
                      "subject": {"reference": "Patient/p1"}, "whenHandedOver": "2024-02-01"}},
        {"resource": {"resourceType": "MedicationRequest", "id": "r1", "status": "active", "intent": "order",
                      "subject": {"reference": "Patient/p1"}}},
        {"resource": {"resourceType": "Immunization", "id": "i1", "status": "completed",
                      "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "140"}]},
                      "patient": {"reference": "Patient/p1"}, "occurrenceDateTime": "2023-10-15T10:00:00+02:00"}},
        {"resource": {"resourceType": "AllergyIntolerance", "id": "a1", "patient": {"reference": "Patient/p1"}}},
    ]
    source = tmp_path / "src"
    bundle(source / "b.json", entries, kind="transaction")
    report, rows, bad = read(source, tmp_path)

    assert rows["person"][0] | {"source_record": None} == {
        "person_id": "p1", "birth_date": "1950-05-17", "sex": "F", "death_date": None, "source_record": None}
    assert [(r["municipality_code"], r["valid_from"], r["valid_to"]) for r in rows["residence"]] == [
        ("461", "2010-02-01", "2020-07-01"), ("147", "2020-07-01", None)]
    assert report.tables["residence"].out_of_scope == {
        "address without a Danish municipality code (DK-core extension)": 1}
    contact = rows["hospital_contact"][0]
    assert (contact["contact_id"], contact["person_id"], contact["start_time"], contact["end_time"]) == (
        "e1", "p1", "2024-01-05T09:00:00+00:00", "2024-01-07T11:30:00+00:00")
    assert (contact["priority"], contact["contact_type"], contact["unit_id"], contact["hospital_id"],
            contact["specialty"], contact["branch"]) == (
        "ATA1", "ALCA00", "SGH10-internal_medicine", "SGH10", "internal_medicine", "somatic")
    assert rows["hospital_unit"] == [{"unit_id": "SGH10-internal_medicine", "hospital_id": "SGH10",
                                      "hospital_name": "OUH", "unit_name": "Medicinsk afdeling",
                                      "specialty": "internal_medicine", "branch": "somatic", "region_code": "1083",
                                      "source_record": "Organization/ouh-med"}]
    # The source columns name the coding actually used: ICD-10 here, not the SNOMED CT beside it.
    assert [(r["contact_id"], r["diagnosis_code"], r["diagnosis_type"], r["source_system"], r["source_code"])
            for r in rows["diagnosis"]] == [("e1", "DI500", "B", "http://hl7.org/fhir/sid/icd-10", "I50.0")]
    assert report.tables["diagnosis"].quarantined == {}
    assert report.tables["diagnosis"].out_of_scope == {
        "Condition coded only in SNOMED CT (no ICD-10/SKS coding)": 1}
    assert [(r["procedure_code"], r["procedure_time"], r["source_system"], r["source_code"])
            for r in rows["procedure"]] == [("KJAB10", "2024-01-06T08:00:00+00:00", SKS, "KJAB10")]
    lab = rows["lab_result"][0]
    assert (lab["npu_code"], lab["value"], lab["ref_low"], lab["ref_high"], lab["sector"], lab["source_system"],
            lab["source_code"]) == ("NPU27300", "48.0", "20.0", "42.0", "hospital", "urn:oid:1.2.208.176.2.1",
                                    "NPU27300")
    assert report.tables["lab_result"].out_of_scope == {"Observation category vital-signs (only laboratory is modelled)": 1}
    assert [(r["atc"], r["dispensing_date"], r["source_system"], r["source_code"]) for r in rows["prescription"]] == [
        ("A10BA02", "2024-02-01", "http://www.whocc.no/atc", "A10BA02")]
    assert report.tables["prescription"].quarantined == {}
    assert report.tables["prescription"].out_of_scope == {
        "MedicationRequest (a prescription is counted when dispensed)": 1,
        "MedicationDispense coded only in RxNorm (no ATC coding)": 1}
    assert [(r["vaccine"], r["vaccination_date"]) for r in rows["vaccination"]] == [("INFLUENZA", "2023-10-15")]
    assert report.tables["person"].out_of_scope == {"resource type AllergyIntolerance not modelled": 1}
    assert report.tables["hospital_unit"].out_of_scope == {"Organization that is not a hospital unit (kind hospital)": 1}
    assert reconciles(report)
    # 14 resources + 3 addresses, each a residence record.
    assert sum(t.read for t in report.tables.values()) == len(entries) + 3
    assert bad == {}
    notes = [n for n in report.notes if n.startswith("unmapped source codes")]
    assert notes == [
        "unmapped source codes, diagnosis: 1 record(s), 1 distinct code(s); the 1 most frequent "
        "(system|code: records): http://snomed.info/sct|42343007: 1",
        "unmapped source codes, prescription: 1 record(s), 1 distinct code(s); the 1 most frequent "
        "(system|code: records): http://www.nlm.nih.gov/research/umls/rxnorm|860975: 1"]


def test_malformed_ndjson_is_quarantined_with_reasons(tmp_path):
    source = tmp_path / "src"
    ndjson(source / "Patient.000.ndjson", [patient("p1"), patient("p1", gender="male"), "{not json",
                                           patient("p2", birthDate="1950"), patient("p3", gender="other"), "[1, 2]"])
    ndjson(source / "Encounter.000.ndjson", [
        _hospital_encounter("e1", "Patient/p1", "2024-03"),
        _hospital_encounter("e2", "Patient/nobody", "2024-03-01T10:00:00Z"),
        _hospital_encounter("e3", "Patient/p1", "2024-03-01T10:00:00Z"),
    ])
    ndjson(source / "Condition.000.ndjson", [
        {"resourceType": "Condition", "id": "c1", "encounter": {"reference": "Encounter/unknown"},
         "code": {"coding": [{"system": f"{SKS}", "code": "DI21"}]}},
        {"resourceType": "Condition", "id": "c2", "code": {"coding": [{"system": SKS, "code": "DJ44"}]}},
    ])
    (source / "empty.ndjson").write_text("")
    bundle(source / "entries.json", [{"fullUrl": "urn:uuid:x"}, {"resource": HOSPITAL}])
    (source / "log.ndjson").write_text(json.dumps({"eventId": "kickoff"}) + "\n")
    report, rows, bad = read(source, tmp_path)

    person = report.tables["person"]
    assert [r["person_id"] for r in rows["person"]] == ["p1"]
    assert person.quarantined == {
        "duplicate resource id Patient/p1": 1, "invalid JSON (Expecting property name enclosed in double quotes)": 1,
        "birth or death date: imprecise date '1950' (year or month only)": 1,
        "gender 'other' is not one of male, female (the CPR sexes)": 1, "not a JSON object": 1,
        "bundle entry without a resource": 1}
    contact = report.tables["hospital_contact"]
    assert contact.quarantined["period: imprecise date '2024-03' (year or month only)"] == 1
    assert contact.quarantined["unresolved patient reference"] == 1
    # No unit in this source: the one good encounter is quarantined for that, not dropped.
    assert sum(contact.quarantined.values()) == 3
    assert report.tables["diagnosis"].quarantined == {"unresolved encounter reference": 1}
    assert report.tables["diagnosis"].out_of_scope == {
        "Condition without an encounter (not tied to a hospital contact)": 1}
    assert any("log.ndjson" in note for note in report.notes)
    assert reconciles(report)
    assert {b["source_record"] for b in bad["person"]} >= {"Patient.000.ndjson:2", "Patient.000.ndjson:3"}


def test_dst_switch_days_are_danish(tmp_path):
    source = tmp_path / "src"
    gp = {"system": f"{KL}/sid/ydernummer", "value": "461001"}
    ndjson(source / "all.ndjson", [
        patient("p1"),
        # 23:30 UTC the night before the spring switch is 00:30 CET on 31 March.
        {"resourceType": "Encounter", "id": "g1", "class": {"code": "AMB"}, "subject": {"reference": "Patient/p1"},
         "period": {"start": "2024-03-30T23:30:00Z"}, "serviceProvider": {"identifier": gp}},
        # 22:30 UTC before the autumn switch is 00:30 CEST on 27 October.
        {"resourceType": "Encounter", "id": "g2", "class": {"code": "VR"}, "subject": {"reference": "Patient/p1"},
         "period": {"start": "2024-10-26T22:30:00+00:00"}, "serviceProvider": {"identifier": gp}},
        # A local time without offset in the autumn's double hour: the earlier (summer) one.
        {"resourceType": "Observation", "id": "o1", "extension": [
            {"url": f"{KL}/StructureDefinition/sector", "valueCode": "gp"}],
         "category": [{"coding": [{"code": "laboratory"}]}], "subject": {"reference": "Patient/p1"},
         "code": {"coding": [{"system": "urn:oid:1.2.208.176.2.1", "code": "NPU02319"}]},
         "effectiveDateTime": "2024-10-27T02:30:00"},
    ])
    report, rows, _ = read(source, tmp_path)
    assert [(r["contact_date"], r["kind"], r["clinic_id"]) for r in rows["gp_contact"]] == [
        ("2024-03-31", "consultation", "461001"), ("2024-10-27", "video", "461001")]
    assert rows["lab_result"][0]["sample_time"] == "2024-10-27T00:30:00+00:00"
    assert reconciles(report)


def test_cpr_without_key_is_quarantined_and_never_staged(tmp_path):
    source = tmp_path / "src"
    ndjson(source / "p.ndjson", [
        {"resourceType": "Patient", "id": "x1", "identifier": [{"system": "urn:oid:1.2.208.176.1.2", "value": CPR}],
         "address": [dk_address("0461", "2000-01-01")]},
        {"resourceType": "Immunization", "id": "i1", "status": "completed", "patient": {"reference": "Patient/x1"},
         "vaccineCode": {"coding": [{"system": f"{KL}/CodeSystem/vaccine", "code": "INFLUENZA"}]},
         "occurrenceDateTime": "2024-10-01"},
    ])
    report, rows, bad = read(source, tmp_path)
    reason = "CPR number but no pseudonymisation key set (KLYNGE_PSEUDONYM_KEY)"
    assert report.tables["person"].quarantined == {reason: 1}
    assert report.tables["residence"].quarantined == {f"patient quarantined: {reason}": 1}
    assert report.tables["vaccination"].quarantined == {reason: 1}
    assert "person" not in rows
    text = json.dumps(bad) + json.dumps(report.as_dict())
    assert CPR not in text and CPR[:6] not in text


def test_cpr_with_key_is_pseudonymised_and_gives_birth_date_and_sex(tmp_path, monkeypatch):
    monkeypatch.setenv("KLYNGE_PSEUDONYM_KEY", KEY)
    source = tmp_path / "src"
    ndjson(source / "p.ndjson", [
        {"resourceType": "Patient", "id": "x1", "identifier": [{"system": "urn:oid:1.2.208.176.1.2", "value": CPR}]},
        {"resourceType": "Patient", "id": CPR},   # a CPR number as id is a CPR number too
    ])
    report, rows, _ = read(source, tmp_path)
    person = rows["person"]
    assert len(person) == 1 and person[0]["person_id"].startswith("X") and CPR not in person[0]["person_id"]
    assert (person[0]["birth_date"], person[0]["sex"]) == ("1947-09-25", "M")
    assert report.tables["person"].out_of_scope == {"same person as an earlier Patient resource": 1}


def test_medcom_hospital_notification_becomes_a_message(tmp_path, monkeypatch):
    monkeypatch.setenv("KLYNGE_PSEUDONYM_KEY", KEY)
    base = "https://medcomfhir.dk/ig/hospitalnotification"
    entries = [
        {"fullUrl": f"{base}/MessageHeader/h1", "resource": {
            "resourceType": "MessageHeader", "id": "h1",
            "eventCoding": {"system": "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-eventCodes",
                            "code": "hospital-notification-message"},
            "destination": [{"receiver": {"reference": f"{base}/Organization/o2"}}],
            "sender": {"reference": f"{base}/Organization/o1"}, "focus": [{"reference": f"{base}/Encounter/e1"}]}},
        {"fullUrl": f"{base}/Patient/p1", "resource": {
            "resourceType": "Patient", "id": "p1", "identifier": [{"system": "urn:oid:1.2.208.176.1.2", "value": CPR}]}},
        {"fullUrl": f"{base}/Encounter/e1", "resource": {
            "resourceType": "Encounter", "id": "e1", "status": "in-progress", "class": {"code": "IMP"},
            "subject": {"reference": f"{base}/Patient/p1"}, "period": {"start": "2026-03-01T12:00:00+01:00"},
            "serviceProvider": {"reference": f"{base}/Organization/o1"}}},
        {"fullUrl": f"{base}/Organization/o2", "resource": {
            "resourceType": "Organization", "id": "o2", "identifier": [{"system": "urn:oid:1.2.208.176.1.1",
                                                                        "value": "953741000016009"}]}},
        {"fullUrl": f"{base}/Organization/o1", "resource": {
            "resourceType": "Organization", "id": "o1", "identifier": [{"system": "urn:oid:1.2.208.176.1.1",
                                                                        "value": "265161000016000"}]}},
        {"fullUrl": f"{base}/Provenance/v1", "resource": {
            "resourceType": "Provenance", "id": "v1", "occurredDateTime": "2026-03-01T12:00:00+01:00",
            "activity": {"coding": [{"system": "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-activityCodes",
                                     "code": "admit-inpatient"}]}}},
    ]
    source = tmp_path / "src"
    bundle(source / "advis.json", entries, kind="message")
    report, rows, _ = read(source, tmp_path)
    message = rows["message"][0]
    assert (message["message_type"], message["sender_id"], message["receiver_id"], message["sent_time"],
            message["text"], message["related_contact_id"]) == (
        "hospital_notification", "265161000016000", "953741000016009", "2026-03-01T11:00:00+00:00",
        "admit-inpatient (STIN)", None)
    assert message["person_id"] == rows["person"][0]["person_id"]
    assert report.tables["hospital_contact"].out_of_scope == {
        "Encounter of a MedCom message (the message is kept)": 1}
    assert report.tables["message"].out_of_scope == {
        "Provenance of a MedCom message (its activity is kept in the message text)": 1}
    assert reconciles(report)


def test_context_contract_for_the_fsiii_mapper():
    ctx = FhirContext(keys={"Patient/p1": "Patient/p1", "urn:uuid:abc": "Patient/p1"}, persons={"Patient/p1": "P1"})
    assert ctx.person_id("Patient/p1") == ctx.person_id({"reference": "urn:uuid:abc"}) == "P1"
    assert ctx.person_id("http://server/fhir/Patient/p1/_history/3") == "P1"
    assert ctx.person_id("Patient/p2") is None and ctx.person_id("Encounter/p1") is None
    ctx.location = "x.ndjson:4"
    assert ctx.record({"resourceType": "CarePlan", "id": "s1"}) == "CarePlan/s1"
    assert ctx.record({"resourceType": "CarePlan"}) == "x.ndjson:4"
