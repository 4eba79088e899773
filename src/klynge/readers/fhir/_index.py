"""The first pass: every resource's names, each Patient's person_id, each Encounter's table.

References may point forward or into another file (bulk exports keep one resource type per
file), so the reader first indexes the whole source, keeping only small facts per resource,
then maps in a second pass. Memory grows with the number of resources (a few short strings
each), not with their size.

Encounter rule (which canonical table an Encounter goes to), in this order:

1. A MedCom HospitalNotification's Encounter -> none (the advis becomes a ``message`` row).
2. A klynge GP contact kind, or a serviceProvider that is a general practice (ydernummer
   identifier, or an Organization of kind clinic) -> ``gp_contact``.
3. An LPR3 contact type (SKS ``ALCA..``) in ``type``, a serviceProvider that is a hospital unit
   (an Organization with a specialty), or a hospital class (IMP, EMER, ACUTE, NONAC, SS,
   OBSENC, PRENC) -> ``hospital_contact``.
4. Otherwise none: out of scope (e.g. a Synthea ``AMB``/``WELLNESS`` visit at a US provider).
"""

from __future__ import annotations

from typing import Any

from klynge.readers.fhir import _systems as fs
from klynge.readers.fhir._context import EncounterInfo, FhirContext
from klynge.readers.fhir._patient import Identities, person_identity


def keys_of(resource: dict[str, Any], full_url: str | None) -> tuple[str | None, list[str]]:
    """The key ``Type/id`` of a resource and all the names a reference may use for it."""
    rtype, rid = resource.get("resourceType"), resource.get("id")
    key = f"{rtype}/{rid}" if isinstance(rid, str) and rid else (full_url or None)
    names = [n for n in (key, full_url) if n]
    for item in resource.get("identifier") or [] if isinstance(resource.get("identifier"), list) else []:
        if isinstance(item, dict) and item.get("value"):
            system = item.get("system") or ""
            names.append(f"{rtype}?identifier={system}|{item['value']}")
            names.append(f"{rtype}?identifier={item['value']}")
    return key, names


def _organisation(resource: dict[str, Any]) -> dict[str, Any]:
    specialty = fs.code_in(resource.get("type"), fs.CS_SPECIALTY)
    kind = fs.code_in(resource.get("type"), fs.CS_ORG_KIND)
    clinic = fs.identifier(resource, fs.SID_CLINIC)
    if specialty:
        kind = "unit"
    elif clinic and kind is None:
        kind = "clinic"
    region = None
    for address in resource.get("address") or []:
        ext = fs.extension(address, fs.EXT_REGION) if isinstance(address, dict) else None
        if ext:
            region = fs.REGION_FROM_ISO.get(fs.code_in(ext.get("valueCodeableConcept") or ext.get("valueCoding"),
                                                       fs.REGION_CS) or "")
    return {
        "kind": kind, "specialty": specialty, "clinic_id": clinic, "name": resource.get("name"),
        "branch": fs.code_in(resource.get("type"), fs.CS_BRANCH), "region": region,
        "unit_id": fs.identifier(resource, {fs.SID_UNIT, fs.SOR}) or resource.get("id"),
        "hospital_id": fs.identifier(resource, {fs.SID_HOSPITAL, fs.SOR}) or resource.get("id"),
        "sor": fs.identifier(resource, fs.SOR),
        "part_of": (resource.get("partOf") or {}).get("reference") if isinstance(resource.get("partOf"), dict) else None,
    }


def _is_notification(bundle: list[dict[str, Any]] | None) -> bool:
    if not bundle:
        return False
    header = bundle[0]
    return header.get("resourceType") == "MessageHeader" and \
        (header.get("eventCoding") or {}).get("code") == "hospital-notification-message"


class Indexer:
    """Collects the first pass; `finish` turns it into a `FhirContext`."""

    def __init__(self) -> None:
        self.ctx = FhirContext()
        self.identities = Identities()
        self._encounters: dict[str, dict[str, Any]] = {}

    def add(self, resource: dict[str, Any], full_url: str | None, bundle: list[dict[str, Any]] | None) -> None:
        """Index one resource (the first of duplicate ids wins)."""
        key, names = keys_of(resource, full_url)
        if key is None:
            return
        for name in names:
            self.ctx.keys.setdefault(name, key)
        rtype = resource["resourceType"]
        if rtype == "Patient" and key not in self.ctx.persons:
            pid, reason = person_identity(resource, self.identities)
            self.ctx.persons[key] = pid
            if reason:
                self.ctx.problems[key] = reason
            if isinstance(resource.get("managingOrganization"), dict):
                self.ctx.managing[key] = resource["managingOrganization"]
        elif rtype in ("Organization", "Location") and key not in self.ctx.organisations:
            self.ctx.organisations[key] = _organisation(resource)
        elif rtype == "Medication":
            self.ctx.medications.setdefault(key, resource.get("code"))
        elif rtype == "Encounter" and key not in self._encounters:
            provider = resource.get("serviceProvider") if isinstance(resource.get("serviceProvider"), dict) else {}
            self._encounters[key] = {
                "id": fs.identifier(resource, {fs.SID_CONTACT, fs.LPR3_EPISODE}) or resource.get("id"),
                "subject": resource.get("subject"),
                "provider": provider,
                "class": (resource.get("class") or {}).get("code") if isinstance(resource.get("class"), dict) else None,
                "gp_kind": fs.code_in(resource.get("type"), fs.CS_GP_KIND),
                "alca": any(str(c.get("code", "")).startswith("ALCA") for c in fs.codings(resource.get("type"))
                            if c.get("system") in fs.SKS_ALIASES),
                "notification": _is_notification(bundle),
            }

    def finish(self) -> FhirContext:
        """Resolve what needed the whole source: each Encounter's table and person."""
        ctx = self.ctx
        for key, facts in self._encounters.items():
            table = None
            if not facts["notification"]:
                provider = facts["provider"]
                logical = provider.get("identifier") if isinstance(provider.get("identifier"), dict) else {}
                org = ctx.organisations.get(ctx.resolve(provider) or "", {})
                if facts["gp_kind"] or logical.get("system") == fs.SID_CLINIC or org.get("kind") == "clinic":
                    table = "gp_contact"
                elif facts["alca"] or org.get("kind") == "unit" or facts["class"] in fs.HOSPITAL_CLASSES:
                    table = "hospital_contact"
            ctx.encounters[key] = EncounterInfo(table, facts["id"], ctx.person_id(facts["subject"]))
        self._encounters.clear()
        return ctx
