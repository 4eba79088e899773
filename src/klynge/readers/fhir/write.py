"""Canonical source folder -> FHIR R4 bulk NDJSON, one file per resource type.

`write_fhir(source, out_dir)` writes what `klynge synth` (or a council) put in a canonical
source folder as FHIR resources that the FHIR reader maps back to the same canonical rows:

========================  =====================================================================
canonical table           FHIR
========================  =====================================================================
person                    Patient (id = person_id, klynge person identifier, gender, birthDate,
                          deceasedDateTime)
residence                 Patient.address with the DK-core municipality-code extension and
                          period (end = last day, i.e. valid_to - 1 day)
gp_listing                Patient.generalPractitioner: logical reference to the ydernummer, with a
                          klynge listing-period extension
hospital_unit             Organization (hospital) + Organization (unit: specialty and branch as
                          type codings, partOf the hospital, DK-core region extension)
hospital_contact          Encounter (SKS ALCA/ALCC in type, SKS ATA + v3 priority, specialty in
                          serviceType, serviceProvider = the unit)
gp_contact                Encounter (klynge GP contact kind, serviceProvider = ydernummer)
diagnosis                 Condition (SKS D-code, klynge diagnosis type, verificationStatus)
procedure                 Procedure (SKS code, performedDateTime)
lab_result                Observation (laboratory, NPU code, valueQuantity, referenceRange,
                          klynge sector extension)
prescription              MedicationDispense (ATC, whenHandedOver, klynge DDD extension)
vaccination               Immunization (klynge DDV vaccine group)
appointment               Appointment (klynge sector extension, organisation as identifier)
message                   Communication (klynge message type, sender/receiver as identifiers)
municipal_service,        KL Gateway care resources, written by ``_fsiii.write_resources``
functional_assessment
========================  =====================================================================

Instants are written in Danish local time with their offset. Every table is carried, so
nothing passes through as a canonical file; ``klynge-source.json`` is copied. Tables are read
in batches; person-keyed joins (addresses, listings, the person of a contact) keep one small
dictionary in memory.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from klynge.contracts import TABLES
from klynge.readers._time import DANISH
from klynge.readers.fhir import _systems as fs

_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
_BATCH = 50_000


def fid(value: str) -> str:
    """A valid FHIR id for a canonical id (kept as is when valid, else a stable hash)."""
    return value if _FHIR_ID.match(value) else "h" + hashlib.sha1(value.encode()).hexdigest()[:32]


def _rows(source: Path, table: str) -> Iterator[dict[str, Any]]:
    from klynge.ingest._sources import find_sources

    found, _ = find_sources(source)
    if table not in found:
        return
    fmt, files = found[table]
    for path in files:
        if str(fmt).endswith("parquet") or path.suffix == ".parquet":
            for batch in pq.ParquetFile(path).iter_batches(batch_size=_BATCH):
                yield from batch.to_pylist()
        else:
            names = TABLES[table].column_names
            options = pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()),
                                           strings_can_be_null=True)
            for batch in pacsv.open_csv(path, convert_options=options):
                yield from batch.to_pylist()


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.astimezone(DANISH).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _number(value: Any) -> float | None:
    return None if value is None or value == "" else float(value)


def _day(value: Any) -> date | None:
    text = _text(value)
    return date.fromisoformat(text[:10]) if text else None


def _period(start: Any, end_exclusive: Any) -> dict[str, str]:
    period = {"start": _text(start) or ""}
    end = _day(end_exclusive)
    if end is not None:
        period["end"] = (end - timedelta(days=1)).isoformat()
    return period


def _cc(system: str, code: Any) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": str(code)}]}


def _ext_code(url: str, code: Any) -> dict[str, Any]:
    return {"url": url, "valueCode": str(code)}


def _patient_ref(pid: Any) -> dict[str, str]:
    return {"reference": f"Patient/{pid}"}


class _Out:
    """One NDJSON file per resource type, opened on first use."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.files, self.counts = folder, {}, {}
        self.files: dict[str, IO[str]]
        self.counts: dict[str, int]

    def write(self, resource: dict[str, Any]) -> None:
        rtype = resource["resourceType"]
        if rtype not in self.files:
            self.files[rtype] = (self.folder / f"{rtype}.ndjson").open("w", encoding="utf-8")
            self.counts[rtype] = 0
        self.files[rtype].write(json.dumps(resource, ensure_ascii=False, separators=(",", ":")) + "\n")
        self.counts[rtype] += 1

    def close(self) -> None:
        for handle in self.files.values():
            handle.close()


def _group(source: Path, table: str) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in _rows(source, table):
        grouped.setdefault(str(row["person_id"]), []).append(row)
    return grouped


def _patients(source: Path, out: _Out) -> None:
    residences, listings = _group(source, "residence"), _group(source, "gp_listing")
    for row in _rows(source, "person"):
        pid = str(row["person_id"])
        patient: dict[str, Any] = {
            "resourceType": "Patient", "id": pid, "identifier": [{"system": fs.SID_PERSON, "value": pid}],
            "gender": {"M": "male", "F": "female"}.get(str(row["sex"]), "unknown"),
            "birthDate": _text(row["birth_date"]),
        }
        if _text(row.get("death_date")):
            patient["deceasedDateTime"] = _text(row["death_date"])
        addresses = [{
            "extension": [{"url": fs.EXT_MUNICIPALITY, "valueCodeableConcept": _cc(
                fs.MUNICIPALITY_CS, "0" + str(r["municipality_code"]).zfill(3))}],
            "use": "home", "country": "DK", "period": _period(r["valid_from"], r.get("valid_to")),
        } for r in residences.pop(pid, [])]
        if addresses:
            patient["address"] = addresses
        gps = [{
            "identifier": {"system": fs.SID_CLINIC, "value": str(r["clinic_id"])},
            "extension": [{"url": fs.EXT_LISTING_PERIOD, "valuePeriod": _period(r["valid_from"], r.get("valid_to"))}],
        } for r in listings.pop(pid, [])]
        if gps:
            patient["generalPractitioner"] = gps
        out.write(patient)


def _units(source: Path, out: _Out) -> None:
    hospitals: set[str] = set()
    for row in _rows(source, "hospital_unit"):
        hospital, region = str(row["hospital_id"]), fs.REGION_TO_ISO.get(str(row["region_code"]))
        address = [{"extension": [{"url": fs.EXT_REGION, "valueCodeableConcept": _cc(fs.REGION_CS, region)}],
                    "country": "DK"}] if region else []
        if hospital not in hospitals:
            hospitals.add(hospital)
            out.write({"resourceType": "Organization", "id": fid("hosp-" + hospital),
                       "identifier": [{"system": fs.SID_HOSPITAL, "value": hospital}],
                       "type": [_cc(fs.CS_ORG_KIND, "hospital")], "name": _text(row["hospital_name"]),
                       "address": address})
        out.write({"resourceType": "Organization", "id": fid("unit-" + str(row["unit_id"])),
                   "identifier": [{"system": fs.SID_UNIT, "value": str(row["unit_id"])}],
                   "type": [_cc(fs.CS_ORG_KIND, "unit"), _cc(fs.CS_SPECIALTY, row["specialty"]),
                            _cc(fs.CS_BRANCH, row["branch"])],
                   "name": _text(row["unit_name"]), "address": address,
                   "partOf": {"reference": f"Organization/{fid('hosp-' + hospital)}"}})


def _contacts(source: Path, out: _Out) -> dict[str, str]:
    persons: dict[str, str] = {}
    for row in _rows(source, "hospital_contact"):
        cid, ctype, priority = str(row["contact_id"]), str(row["contact_type"]), str(row["priority"])
        persons[cid] = str(row["person_id"])
        period = {"start": _text(row["start_time"])}
        if _text(row.get("end_time")):
            period["end"] = _text(row["end_time"])
        types = [_cc(fs.SKS, ctype)] + ([_cc(fs.SKS, row["contact_reason"])] if _text(row.get("contact_reason")) else [])
        out.write({
            "resourceType": "Encounter", "id": fid("hc-" + cid), "identifier": [{"system": fs.SID_CONTACT, "value": cid}],
            "status": "finished" if "end" in period else "in-progress",
            "class": {"system": fs.ACT_CODE, "code": fs.CLASS_FROM_CONTACT_TYPE.get(ctype, "AMB")},
            "type": types, "serviceType": _cc(fs.CS_SPECIALTY, row["specialty"]),
            "priority": {"coding": [{"system": fs.SKS, "code": priority},
                                    {"system": fs.ACT_PRIORITY, "code": fs.PRIORITY_TO_V3.get(priority, "R")}]},
            "subject": _patient_ref(row["person_id"]), "period": period,
            "serviceProvider": {"reference": f"Organization/{fid('unit-' + str(row['unit_id']))}"},
        })
    for row in _rows(source, "gp_contact"):
        cid, kind = str(row["contact_id"]), str(row["kind"])
        encounter: dict[str, Any] = {
            "resourceType": "Encounter", "id": fid("gp-" + cid), "identifier": [{"system": fs.SID_CONTACT, "value": cid}],
            "status": "finished",
            "class": {"system": fs.ACT_CODE, "code": {"home_visit": "HH", "phone": "VR", "email": "VR",
                                                      "video": "VR"}.get(kind, "AMB")},
            "type": [_cc(fs.CS_GP_KIND, kind)], "subject": _patient_ref(row["person_id"]),
            "period": {"start": _text(row["contact_date"])},
            "serviceProvider": {"identifier": {"system": fs.SID_CLINIC, "value": str(row["clinic_id"])}},
        }
        if _text(row.get("provider_id")):
            encounter["participant"] = [{"individual": {"identifier": {"system": fs.SID_PROVIDER,
                                                                       "value": str(row["provider_id"])}}}]
        out.write(encounter)
    return persons


def _on_contact(row: dict[str, Any], persons: dict[str, str]) -> dict[str, Any]:
    cid = str(row["contact_id"])
    refs: dict[str, Any] = {"encounter": {"reference": f"Encounter/{fid('hc-' + cid)}"}}
    if cid in persons:
        refs["subject"] = _patient_ref(persons[cid])
    return refs


def _clinical(source: Path, out: _Out, persons: dict[str, str]) -> None:
    for number, row in enumerate(_rows(source, "diagnosis"), start=1):
        condition: dict[str, Any] = {
            "resourceType": "Condition", "id": f"dx-{number}", "code": _cc(fs.SKS, row["diagnosis_code"]),
            "category": [_cc("http://terminology.hl7.org/CodeSystem/condition-category", "encounter-diagnosis"),
                         _cc(fs.CS_DIAGNOSIS_TYPE, row["diagnosis_type"])],
            **_on_contact(row, persons),
        }
        refuted = row.get("refuted")
        if refuted not in (None, ""):
            refuted = refuted if isinstance(refuted, bool) else str(refuted).lower() in ("true", "1")
            condition["verificationStatus"] = _cc(fs.CONDITION_VER, "refuted" if refuted else "confirmed")
        out.write(condition)
    for number, row in enumerate(_rows(source, "procedure"), start=1):
        procedure = {"resourceType": "Procedure", "id": f"pr-{number}", "status": "completed",
                     "code": _cc(fs.SKS, row["procedure_code"]), **_on_contact(row, persons)}
        if _text(row.get("procedure_time")):
            procedure["performedDateTime"] = _text(row["procedure_time"])
        out.write(procedure)


def _person_events(source: Path, out: _Out) -> None:
    for number, row in enumerate(_rows(source, "lab_result"), start=1):
        obs: dict[str, Any] = {
            "resourceType": "Observation", "id": f"lab-{number}", "status": "final",
            "extension": [_ext_code(fs.EXT_SECTOR, row["sector"])],
            "category": [_cc(fs.OBS_CATEGORY, "laboratory")], "code": _cc(fs.NPU, row["npu_code"]),
            "subject": _patient_ref(row["person_id"]), "effectiveDateTime": _text(row["sample_time"]),
        }
        value, unit = _number(row.get("value")), _text(row.get("unit"))
        if value is not None or unit is not None:
            obs["valueQuantity"] = {k: v for k, v in (("value", value), ("unit", unit)) if v is not None}
        low, high = _number(row.get("ref_low")), _number(row.get("ref_high"))
        if low is not None or high is not None:
            obs["referenceRange"] = [{k: {"value": v} for k, v in (("low", low), ("high", high)) if v is not None}]
        out.write(obs)
    for number, row in enumerate(_rows(source, "prescription"), start=1):
        dispense: dict[str, Any] = {
            "resourceType": "MedicationDispense", "id": f"rx-{number}", "status": "completed",
            "medicationCodeableConcept": _cc(fs.ATC, row["atc"]), "subject": _patient_ref(row["person_id"]),
            "whenHandedOver": _text(row["dispensing_date"]),
        }
        if _number(row.get("ddd")) is not None:
            dispense["extension"] = [{"url": fs.EXT_DDD, "valueDecimal": _number(row["ddd"])}]
        out.write(dispense)
    for number, row in enumerate(_rows(source, "vaccination"), start=1):
        out.write({"resourceType": "Immunization", "id": f"vac-{number}", "status": "completed",
                   "vaccineCode": _cc(fs.CS_VACCINE, row["vaccine"]), "patient": _patient_ref(row["person_id"]),
                   "occurrenceDateTime": _text(row["vaccination_date"])})


def _org(value: Any) -> dict[str, Any]:
    return {"identifier": {"system": fs.SID_ORGANISATION, "value": str(value)}}


def _admin(source: Path, out: _Out) -> None:
    for row in _rows(source, "appointment"):
        aid = str(row["appointment_id"])
        appointment: dict[str, Any] = {
            "resourceType": "Appointment", "id": fid("ap-" + aid), "identifier": [{"system": fs.SID_APPOINTMENT, "value": aid}],
            "extension": [_ext_code(fs.EXT_SECTOR, row["sector"])],
            "status": fs.APPOINTMENT_STATUS_TO_FHIR.get(str(row["status"]), str(row["status"])),
            "start": _text(row["start_time"]),
            "participant": [{"actor": _patient_ref(row["person_id"]), "status": "accepted"},
                            {"actor": _org(row["organisation_id"]), "status": "accepted"}],
        }
        if _text(row.get("description")):
            appointment["description"] = _text(row["description"])
        out.write(appointment)
    for row in _rows(source, "message"):
        mid = str(row["message_id"])
        message: dict[str, Any] = {
            "resourceType": "Communication", "id": fid("msg-" + mid), "identifier": [{"system": fs.SID_MESSAGE, "value": mid}],
            "extension": [_ext_code(fs.EXT_SENDER_SECTOR, row["sender_sector"]),
                          _ext_code(fs.EXT_RECEIVER_SECTOR, row["receiver_sector"])],
            "status": "completed", "category": [_cc(fs.CS_MESSAGE_TYPE, row["message_type"])],
            "subject": _patient_ref(row["person_id"]), "sent": _text(row["sent_time"]),
            "sender": _org(row["sender_id"]), "recipient": [_org(row["receiver_id"])],
        }
        if _text(row.get("related_contact_id")):
            message["encounter"] = {"identifier": {"system": fs.SID_CONTACT, "value": str(row["related_contact_id"])}}
        if _text(row.get("text")):
            message["payload"] = [{"contentString": _text(row["text"])}]
        out.write(message)


def _municipal(source: Path, out: _Out) -> None:
    import pandas as pd

    from klynge.readers.fhir import _fsiii

    frames = {t: pd.DataFrame(list(_rows(source, t)), columns=TABLES[t].column_names)
              for t in ("municipal_service", "functional_assessment")}
    for resource in _fsiii.write_resources(frames):
        out.write(resource)


def write_fhir(source: Path | str, out_dir: Path | str) -> dict[str, int]:
    """Write the canonical source folder ``source`` as FHIR NDJSON files in ``out_dir``.

    Returns the number of resources written per resource type.

    Examples
    --------
    >>> write_fhir("source", "fhir")  # doctest: +SKIP
    {'Patient': 2041, 'Encounter': 35725, ...}
    """
    source, out_dir = Path(source), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = _Out(out_dir)
    try:
        _patients(source, out)
        _units(source, out)
        persons = _contacts(source, out)
        _clinical(source, out, persons)
        _person_events(source, out)
        _admin(source, out)
        _municipal(source, out)
    finally:
        out.close()
    metadata = source / "klynge-source.json"
    if metadata.is_file():
        shutil.copy(metadata, out_dir / metadata.name)
    return dict(out.counts)


