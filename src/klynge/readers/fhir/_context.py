"""What the FHIR reader knows while it maps resources: references, persons, the current record.

`FhirContext` is built by a first pass over all files (`klynge.readers.fhir._index`) and handed to
every mapper, including the FSIII mappers in ``_fsiii.py``. The contract they rely on:

* ``ctx.person_id(reference)`` -> the canonical person_id of a Patient reference, or None when
  the reference does not resolve or the patient could not be mapped (then quarantine the record
  with reason ``"unresolved patient reference"``);
* ``ctx.record(resource)`` -> the ``source_record`` label of a resource (``Encounter/8f2c``, or
  ``file.ndjson:17`` for a resource without id);
* ``ctx.resolve(reference, type_=None)`` -> the key ``Type/id`` of the referenced resource in this
  source, or None;
* ``ctx.contact_id(reference)`` -> the canonical contact_id of an Encounter reference that was
  mapped to ``hospital_contact`` or ``gp_contact``, else None;
* ``ctx.encounter_table(reference)`` -> which canonical table that Encounter went to, else None;
* ``ctx.managing_organisation(reference)`` -> the SOR code (else the Organization id) of a
  Patient's ``managingOrganization``, or None;
* ``ctx.settings`` -> ``klynge-source.json`` of the source folder (empty without one);
  ``ctx.codemap`` the council's code map and ``ctx.unmapped`` the unmapped source codes
  (`klynge.readers._codemap`).

References resolve by ``Type/id`` (also absolute ``http://.../Type/id``), by the ``fullUrl`` of a
Bundle entry (``urn:uuid:...``) and by conditional identifiers
(``Patient?identifier=system|value``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from klynge.readers._codemap import CodeMap, Unmapped


@dataclass
class EncounterInfo:
    """What the first pass learned about one Encounter: where it goes and its canonical ids."""

    table: str | None            # hospital_contact, gp_contact, or None (out of scope / bad)
    contact_id: str | None
    person_id: str | None


@dataclass
class FhirContext:
    """References and person ids of one FHIR source (see the module docstring for the contract)."""

    keys: dict[str, str] = field(default_factory=dict)
    """Every way of naming a resource (``Type/id``, fullUrl, conditional) -> its key ``Type/id``."""
    persons: dict[str, str | None] = field(default_factory=dict)
    """Patient key -> canonical person_id (None: the patient was quarantined)."""
    encounters: dict[str, EncounterInfo] = field(default_factory=dict)
    """Encounter key -> its canonical table and ids."""
    organisations: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Organization/Location key -> a few facts (name, identifiers, part-of, type)."""
    medications: dict[str, Any] = field(default_factory=dict)
    """Medication key -> its code (a CodeableConcept), for ``medicationReference``."""
    problems: dict[str, str] = field(default_factory=dict)
    """Patient key -> why it has no person_id (the quarantine reason of its records)."""
    managing: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Patient key -> its ``managingOrganization`` reference."""
    settings: dict[str, Any] = field(default_factory=dict)
    """``klynge-source.json`` of the source folder (``fsiii`` configures municipalities)."""
    codemap: CodeMap = field(default_factory=CodeMap)
    unmapped: Unmapped = field(default_factory=Unmapped)
    counts: Counter[str] = field(default_factory=Counter)
    """Counters for manifest notes (e.g. FSIII municipalities taken from configuration)."""
    location: str = ""
    """Where the current resource was read (``file.ndjson:17`` or ``bundle.json#3``)."""
    bundle: list[dict[str, Any]] | None = None
    """The resources of the Bundle the current resource came in (None for NDJSON)."""

    def resolve(self, reference: str | dict[str, Any] | None, type_: str | None = None) -> str | None:
        """The key ``Type/id`` of a referenced resource in this source, or None."""
        if isinstance(reference, dict):
            reference = reference.get("reference")
        if not reference or not isinstance(reference, str):
            return None
        ref = reference.strip()
        key = self.keys.get(ref)
        if key is None and "/" in ref and not ref.startswith("urn:"):
            # An absolute URL http://server/fhir/Patient/1 (or .../_history/2) names Patient/1.
            parts = ref.split("/")
            if len(parts) >= 4 and parts[-2] == "_history":
                parts = parts[:-2]
            key = self.keys.get("/".join(parts[-2:]))
        if key is None or (type_ is not None and not key.startswith(type_ + "/")):
            return None
        return key

    def person_id(self, reference: str | dict[str, Any] | None) -> str | None:
        """The canonical person_id of a Patient reference (None when unresolved or quarantined)."""
        key = self.resolve(reference, "Patient")
        return None if key is None else self.persons.get(key)

    def person_problem(self, reference: str | dict[str, Any] | None) -> str:
        """Why a Patient reference gives no person_id: the quarantine reason for its records."""
        key = self.resolve(reference, "Patient")
        if key is None:
            return "unresolved patient reference"
        return self.problems.get(key, "patient not mapped")

    def encounter(self, reference: str | dict[str, Any] | None) -> EncounterInfo | None:
        """What the first pass learned about a referenced Encounter, or None."""
        key = self.resolve(reference, "Encounter")
        return None if key is None else self.encounters.get(key)

    def contact_id(self, reference: str | dict[str, Any] | None) -> str | None:
        """The canonical contact_id of a mapped Encounter, or None."""
        info = self.encounter(reference)
        return None if info is None else info.contact_id

    def encounter_table(self, reference: str | dict[str, Any] | None) -> str | None:
        """``hospital_contact`` or ``gp_contact`` for a mapped Encounter, else None."""
        info = self.encounter(reference)
        return None if info is None else info.table

    def managing_organisation(self, reference: str | dict[str, Any] | None) -> str | None:
        """The SOR code (else the Organization id) of a Patient's ``managingOrganization``, or None."""
        key = self.resolve(reference, "Patient")
        org = self.managing.get(key or "")
        if not org:
            return None
        ident = org.get("identifier")
        if isinstance(ident, dict) and ident.get("value"):
            return str(ident["value"]).strip()
        target = self.resolve(org, "Organization")
        if target is None:
            return None
        return self.organisations.get(target, {}).get("sor") or target.split("/", 1)[1]

    def record(self, resource: dict[str, Any]) -> str:
        """The ``source_record`` label of a resource: ``Type/id``, or where it was read."""
        rtype, rid = resource.get("resourceType"), resource.get("id")
        if isinstance(rtype, str) and isinstance(rid, str) and rid:
            return f"{rtype}/{rid}"
        return self.location or str(rtype or "resource")
