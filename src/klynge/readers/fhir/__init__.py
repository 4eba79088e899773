"""FHIR R4 reader: Bundles (``*.json``) and bulk NDJSON (``*.ndjson``) into the canonical model.

``klynge build --source DIR --format fhir``. Two passes over the files (`_files`): the first
indexes every resource's names, each Patient's person_id and each Encounter's table
(`_index`); the second maps each resource to one canonical row, a quarantined record or an
out-of-scope count. Resources of the KL Gateway FSIII profiles go to ``_fsiii`` (when that
module is present) before the generic mapping. The mapping is documented in
``docs/inputs.md``; `write_fhir` writes a canonical source folder as FHIR.
"""

from __future__ import annotations

import importlib
import json
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

from klynge.readers._base import Staging
from klynge.readers._codemap import CodeMap
from klynge.readers.fhir import _clinical, _other
from klynge.readers.fhir._context import FhirContext
from klynge.readers.fhir._files import Item, NotFhir, items, source_files
from klynge.readers.fhir._index import Indexer, keys_of
from klynge.readers.fhir._patient import map_patient

# Where a resource type's records are counted (unmodelled types: under person).
TABLE_OF = {
    "Patient": "person", "Encounter": "hospital_contact", "Condition": "diagnosis", "Procedure": "procedure",
    "Observation": "lab_result", "MedicationRequest": "prescription", "MedicationDispense": "prescription",
    "MedicationStatement": "prescription", "MedicationAdministration": "prescription",
    "Immunization": "vaccination", "Organization": "hospital_unit", "Location": "hospital_unit",
    "Appointment": "appointment", "Communication": "message", "MessageHeader": "message", "Provenance": "message",
}
UNMODELLED = "person"


def _load_fsiii() -> ModuleType | None:
    try:
        return importlib.import_module("klynge.readers.fhir._fsiii")
    except ModuleNotFoundError as error:
        if error.name != "klynge.readers.fhir._fsiii":
            raise
        return None


def _table_of(item: Item) -> str:
    kind = item.resource.get("resourceType") if item.resource else item.hint
    return TABLE_OF.get(str(kind), UNMODELLED)


def _walk(source: Path, staging: Staging | None) -> Any:
    """Every record of every FHIR file (files that are not FHIR are noted once and skipped)."""
    for path in source_files(source):
        try:
            yield from items(path, source)
        except NotFhir as skipped:
            if staging is not None:
                staging.note(f"skipped {skipped} (not FHIR resources)")
        except UnicodeDecodeError:
            if staging is not None:
                staging.note(f"skipped {path.name} (not UTF-8 text)")


SETTINGS_FILE = "klynge-source.json"


def _settings(source: Path) -> dict[str, Any]:
    """``klynge-source.json`` of the source folder (empty without one).

    Raises
    ------
    ValueError
        When it is not a JSON object.
    """
    path = source / SETTINGS_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except ValueError as error:
        raise ValueError(f"{SETTINGS_FILE}: not valid JSON ({error})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{SETTINGS_FILE}: expected a JSON object")
    return data


def read(source: Path, staging: Staging) -> None:
    """Read every FHIR file under ``source`` into ``staging`` (see the module docstring)."""
    source = Path(source)
    settings, codemap = _settings(source), CodeMap.load(source)
    indexer = Indexer()
    for item in _walk(source, None):
        if item.resource is not None:
            indexer.add(item.resource, item.full_url, item.bundle)
    ctx = indexer.finish()
    ctx.settings, ctx.codemap = settings, codemap
    fsiii = _load_fsiii()
    if fsiii is not None and hasattr(fsiii, "configure"):
        fsiii.configure(ctx)
    seen: set[str] = set()
    persons: set[str] = set()
    files: set[str] = set()
    types: Counter[str] = Counter()
    for item in _walk(source, staging):
        files.add(item.location.split(":")[0].split("#")[0])
        ctx.location, ctx.bundle = item.location, item.bundle
        if item.resource is None:
            staging.quarantine(_table_of(item), item.location, str(item.error), item.raw)
            continue
        resource = item.resource
        types[resource["resourceType"]] += 1
        key, _ = keys_of(resource, item.full_url)
        if key is not None and key in seen:
            staging.quarantine(_table_of(item), item.location, f"duplicate resource id {key}", resource)
            continue
        if key is not None:
            seen.add(key)
        if fsiii is not None and fsiii.handles(resource):
            fsiii.map_resource(resource, ctx, staging)
            continue
        _dispatch(resource, key, ctx, staging, persons)
    staging.report.files.extend(sorted(files))
    if types:
        staging.note("resources read: " + ", ".join(f"{t} {n}" for t, n in sorted(types.items())))
    ctx.codemap.note(staging)
    ctx.unmapped.note(staging)
    if fsiii is not None and hasattr(fsiii, "finish"):
        fsiii.finish(ctx, staging)


def _dispatch(resource: dict[str, Any], key: str | None, ctx: FhirContext, staging: Staging,
              persons: set[str]) -> None:
    rtype = resource["resourceType"]
    if rtype == "Patient":
        map_patient(resource, ctx, staging, key, persons)
    elif rtype == "Encounter":
        _clinical.map_encounter(resource, ctx, staging, key or "")
    elif rtype == "Condition":
        _clinical.map_condition(resource, ctx, staging)
    elif rtype == "Procedure":
        _clinical.map_procedure(resource, ctx, staging)
    elif rtype in ("Organization", "Location"):
        _clinical.map_organization(resource, ctx, staging, key or "")
    elif rtype == "Observation":
        _other.map_observation(resource, ctx, staging)
    elif rtype.startswith("Medication") and rtype != "Medication":
        _other.map_medication(resource, ctx, staging)
    elif rtype == "Immunization":
        _other.map_immunization(resource, ctx, staging)
    elif rtype == "Appointment":
        _other.map_appointment(resource, ctx, staging)
    elif rtype == "Communication":
        _other.map_communication(resource, ctx, staging)
    elif rtype == "MessageHeader":
        _other.map_message_header(resource, ctx, staging)
    elif rtype == "Provenance" and ctx.bundle and ctx.bundle[0].get("resourceType") == "MessageHeader":
        staging.out_of_scope("message", "Provenance of a MedCom message (its activity is kept in the message text)")
    else:
        staging.out_of_scope(UNMODELLED, f"resource type {rtype} not modelled")


def write_fhir(source: Path, out_dir: Path) -> dict[str, int]:
    """Write a canonical source folder as bulk FHIR NDJSON (see `klynge.readers.fhir.write`)."""
    from klynge.readers.fhir.write import write_fhir as _write

    return _write(source, out_dir)


__all__ = ["FhirContext", "read", "write_fhir"]
