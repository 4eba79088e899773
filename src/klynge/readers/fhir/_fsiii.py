"""Municipal care in FHIR: the KL Gateway care profiles (FSIII) <-> municipal_service, functional_assessment.

Municipalities report care data to KL Gateway as per-citizen delivery reports (FHIR R4 collection
Bundles, IG ``hl7dk/kl-gateway``, profiles
``http://fhir.kl.dk/gateway/StructureDefinition/klgateway-care-*``).
What klynge takes from them (see ``docs/inputs.md`` for every field):

* a **planned intervention** (``CarePlan``, klgateway-care-planned-intervention) is the granted
  service (bevilling): one ``municipal_service`` row; ``period.start`` is the grant day
  (indsatsbevillingstid) and ``period.end`` the last day, so ``end_date = period.end + 1 day``;
* a **functional condition** (``Condition``, klgateway-care-condition) with an FSIII J-code and a
  severity is one ``functional_assessment`` row dated by ``recordedDate``;
* health conditions (I-codes), goals, observations, completed interventions (single deliveries)
  and visits (``Encounter``) are well-formed but not modelled: counted out of scope.

KL Gateway carries neither the municipality nor planned minutes; klynge's writer adds them as two
klynge extensions (below), and the reader also accepts a FHIR ``Timing`` for the minutes. For a
real Gateway delivery the municipality comes from configuration, ``klynge-source.json`` in the
source folder (`configure`)::

    {"fsiii": {"municipality_code": "461",                 # the whole delivery is from Odense
               "organisations": {"12345678": "461"}}}       # or: the citizen's SOR organisation

``organisations`` (the citizen's ``managingOrganization``) wins over ``municipality_code``; the
manifest notes how many rows got their municipality from configuration.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from klynge.contracts import codes, load_reference
from klynge.readers._time import TimeError, parse_day

if TYPE_CHECKING:
    import pandas as pd

    from klynge.readers._base import Staging

GATEWAY_PROFILE = "http://fhir.kl.dk/gateway/StructureDefinition/klgateway-care-"
_OLD_GATEWAY_PROFILE = "http://gateway.kl.dk/1.0/StructureDefinition/klgateway-care-"
PLANNED_INTERVENTION = GATEWAY_PROFILE + "planned-intervention"
CONDITION = GATEWAY_PROFILE + "condition"

FSIII = "urn:oid:1.2.208.176.2.21"
"""The FSIII code system in KL Terminologi and KL Gateway (also the OID of the old URL)."""
FSIII_SYSTEMS = frozenset({FSIII, "http://kl.dk/fhir/common/caresocial/CodeSystem/FSIII"})
FFB_SYSTEMS = frozenset({"http://kl.dk/fhir/common/caresocial/CodeSystem/FFB"})
KL_CARE_CODES = frozenset({"http://fhir.kl.dk/term/CodeSystem/CareSocialCodes",
                           "http://kl.dk/fhir/common/caresocial/CodeSystem/KLCommonCareSocialCodes"})
DK_MUNICIPALITY = "http://hl7.dk/fhir/core/CodeSystem/dk-core-municipality-codes"
DK_MUNICIPALITY_EXT = "http://hl7.dk/fhir/core/StructureDefinition/dk-core-municipalityCodes"

# klynge's own additions (not KL artefacts): the municipality delivering or assessing, planned
# minutes per week, and the two services that have no FSIII indsats code (PLEJEBOLIG, FOREBYG).
EXT_MUNICIPALITY = "https://klynge.dk/fhir/StructureDefinition/municipality"
EXT_MINUTES = "https://klynge.dk/fhir/StructureDefinition/planned-minutes-per-week"
KLYNGE_SERVICES = "https://klynge.dk/fhir/CodeSystem/municipal-service"
_NON_FSIII = ("PLEJEBOLIG", "FOREBYG")

# KL Terminologi 2.x names FSIII concepts by UUID. Only UUIDs seen with their display in KL's own
# Gateway examples are translated; the FSIII code is inferred from that display [I].
UUID_CODES = {
    "17312894-b23f-43d9-9723-b725ac25d872": "H1.1",   # Personlig hygiejne
    "ef8ee035-00d2-48b9-b366-27753ccd5504": "H1.4",   # Mobilitet
    "1ae7906b-5f16-4ba4-9077-7f59067cbedb": "H1.5",   # Hverdagens aktiviteter
    "43608562-e356-4990-8b96-e35128bbdc4f": "H1.8",   # Rengøring
    "9aad7654-b9f9-40a3-84d9-2ae1dec4228a": "H1.11",  # Madservice
    "3198a6ba-879c-4d2e-914b-560ba1e0d63a": "G1.29",  # Respirationsbehandling
    "34b8b9a0-41bf-4dce-88f6-409de21fb175": "G1.41",  # Undersøgelser og måling af værdier
    "b2634ff3-544b-46e8-8908-b056b3c4e27c": "G1.47",  # Supplerende udredning
    "a7ac8429-513f-43cd-bc69-96a8d0e0f0ff": "J2.1",   # (Lave) husligt arbejde
    "75bfc8db-a220-4801-a8c7-5e968e94d44b": "J2.2",   # Lave mad
    # Functional level, shown 0-4 in KL Terminologi 2.x: 1 lette, 2 moderate, 3 svære.
    "fcc16cb1-41f0-4832-b834-110fba0aaabe": "B2",
    "d984ad21-48fe-4619-845e-2aa0303048e7": "B3",
    "1ceef776-0cfa-4acd-b222-c5bb2424e0c1": "B4",
}

# The FSIII indsats catalogues (domain reference §4.5 [C]): a code outside them is unknown.
_G1 = (5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
       34, 35, 36, 37, 38, 39, 40, 41, 42, 44, 46, 47)
FSIII_INTERVENTIONS = frozenset(
    [f"G1.{n}" for n in _G1] + [f"G2.{n}" for n in range(1, 5)] + [f"H1.{n}" for n in range(1, 13)]
    + [f"H2.{n}" for n in range(1, 12)] + ["H3.1", "H3.2", "H3.3", "H4.1", "H5.1", "H6.1", "H7.1", "H7.2"]
)

_CODE = re.compile(r"^[A-J][0-9]{1,2}(\.[0-9]{1,2})?[a-z]?$")
_UNIT_DAYS = {"s": 1 / 86400, "min": 1 / 1440, "h": 1 / 24, "d": 1.0, "wk": 7.0, "mo": 30.4375, "a": 365.25}
_UNIT_MINUTES = {"s": 1 / 60, "min": 1.0, "h": 60.0, "d": 1440.0}


class _Unmappable(Exception):
    """A record that cannot be mapped; its text is the quarantine reason."""


class _OutOfScope(Exception):
    """A well-formed record klynge does not model; its text is the reason."""


# ----------------------------------------------------------------------------- recognising

def _profiles(resource: dict[str, Any]) -> list[str]:
    meta = resource.get("meta")
    profiles = meta.get("profile") if isinstance(meta, dict) else None
    return [p for p in profiles if isinstance(p, str)] if isinstance(profiles, list) else []


def _is_gateway(resource: dict[str, Any]) -> bool:
    return any(p.startswith((GATEWAY_PROFILE, _OLD_GATEWAY_PROFILE)) for p in _profiles(resource))


def _codings(concept: Any) -> list[dict[str, Any]]:
    coding = concept.get("coding") if isinstance(concept, dict) else None
    return [c for c in coding if isinstance(c, dict)] if isinstance(coding, list) else []


def _detail(resource: dict[str, Any]) -> dict[str, Any]:
    activity = resource.get("activity")
    if isinstance(activity, list) and activity and isinstance(activity[0], dict):
        detail = activity[0].get("detail")
        if isinstance(detail, dict):
            return detail
    return {}


def _main_code(resource: dict[str, Any]) -> Any:
    """The CodeableConcept that says what the resource is (intervention, condition, ...)."""
    if resource.get("resourceType") == "CarePlan":
        return _detail(resource).get("code")
    return resource.get("code")


def handles(resource: dict[str, Any]) -> bool:
    """True for a resource of the KL Gateway care profiles, or one coded in FSIII / klynge services.

    Patients (also klgateway-care-citizen) and Bundles are left to the generic FHIR mapping.
    """
    if not isinstance(resource, dict) or resource.get("resourceType") in (None, "Patient", "Bundle"):
        return False
    if _is_gateway(resource):
        return True
    systems = {c.get("system") for c in _codings(_main_code(resource))}
    systems |= {c.get("system") for c in _codings(resource.get("severity"))}
    return bool(systems & (FSIII_SYSTEMS | {KLYNGE_SERVICES}))


# ----------------------------------------------------------------------------- reading values

def _fsiii_code(concept: Any, gateway: bool, what: str) -> tuple[str, str]:
    """(system kind, code) of a CodeableConcept: the FSIII notation (H1.1, J3.8, B2) where possible.

    Kind is ``fsiii``, ``klynge`` or ``ffb``. A coding without system is accepted in a resource
    that claims a KL Gateway profile (the Gateway's completed-intervention examples omit it).
    """
    codings = _codings(concept)
    if not codings:
        raise _Unmappable(f"missing {what} code")
    for coding in codings:
        system, code = coding.get("system"), coding.get("code")
        if not isinstance(code, str) or not code.strip():
            continue
        code = code.strip()
        if system in FSIII_SYSTEMS or (system is None and gateway and _CODE.match(code)):
            if _CODE.match(code):
                return "fsiii", code
            if code.lower() in UUID_CODES:
                return "fsiii", UUID_CODES[code.lower()]
            raise _Unmappable(f"unknown FSIII {what} code {code!r}")
        if system == KLYNGE_SERVICES:
            return "klynge", code
        if system in FFB_SYSTEMS:
            return "ffb", code
    found = sorted({str(c.get("system")) for c in codings})
    raise _Unmappable(f"no FSIII {what} code (systems: {', '.join(found)})")


def _subject(resource: dict[str, Any], ctx: Any) -> str:
    subject = resource.get("subject")
    if not isinstance(subject, dict) or not subject.get("reference"):
        raise _Unmappable("missing citizen reference (subject)")
    person = ctx.person_id(subject)
    if person is None:
        raise _Unmappable("unresolved patient reference")
    return person


def _extension(element: dict[str, Any], url: str) -> dict[str, Any] | None:
    for ext in element.get("extension") or ():
        if isinstance(ext, dict) and ext.get("url") == url:
            return ext
    return None


SETTINGS = "klynge-source.json"
_HOW = ('add "fsiii": {"municipality_code": "<kommunekode>"} (a delivery from one municipality) or '
        '"fsiii": {"organisations": {"<SOR code>": "<kommunekode>"}} to klynge-source.json in the source folder')


def _municipality_code(value: Any, where: str) -> str:
    """A configured municipality code (``461`` or ``0461``), checked against the 98 municipalities."""
    code = str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
    code = code[-3:] if re.fullmatch(r"0?[0-9]{3}", code) else code
    known = set(load_reference()["municipality"]["municipality_code"].astype(str).str.zfill(3))
    if code not in known:
        raise ValueError(f"{SETTINGS}: {where} {value!r} is not a Danish municipality code")
    return code


def configure(ctx: Any) -> None:
    """Check the ``fsiii`` section of ``klynge-source.json`` (``ctx.settings``) and keep it in ``ctx``.

    Raises
    ------
    ValueError
        An unknown key, a municipality code that is not one of the 98, or a malformed mapping.
    """
    section = ctx.settings.get("fsiii") if isinstance(ctx.settings, dict) else None
    config: dict[str, Any] = {"municipality_code": None, "organisations": {}}
    if section is not None:
        if not isinstance(section, dict):
            raise ValueError(f"{SETTINGS}: fsiii must be an object with municipality_code and/or organisations")
        unknown = set(section) - set(config)
        if unknown:
            raise ValueError(f"{SETTINGS}: fsiii: unknown key(s) {sorted(unknown)}; "
                             "expected municipality_code, organisations")
        if section.get("municipality_code") is not None:
            config["municipality_code"] = _municipality_code(section["municipality_code"], "fsiii.municipality_code")
        organisations = section.get("organisations") or {}
        if not isinstance(organisations, dict):
            raise ValueError(f"{SETTINGS}: fsiii.organisations must map SOR codes to municipality codes")
        config["organisations"] = {str(k).strip(): _municipality_code(v, f"fsiii.organisations[{k!r}]")
                                   for k, v in organisations.items()}
    ctx.fsiii = config


def _config(ctx: Any) -> dict[str, Any]:
    config = getattr(ctx, "fsiii", None)
    return config if isinstance(config, dict) else {"municipality_code": None, "organisations": {}}


def _municipality(resource: dict[str, Any], ctx: Any) -> tuple[str, str | None]:
    """The municipality of a record and where it came from (None: the record itself).

    klynge's municipality extension (or DK-core's address one): ``0461`` or ``461`` -> ``461``.
    Without one (a real KL Gateway report), configuration: the citizen's SOR organisation in
    ``fsiii.organisations``, else ``fsiii.municipality_code``.
    """
    ext = _extension(resource, EXT_MUNICIPALITY) or _extension(resource, DK_MUNICIPALITY_EXT)
    if ext is None:
        config = _config(ctx)
        organisation = ctx.managing_organisation(resource.get("subject")) \
            if hasattr(ctx, "managing_organisation") else None
        if organisation is not None and organisation in config["organisations"]:
            return config["organisations"][organisation], "fsiii.organisations"
        if config["municipality_code"] is not None:
            return config["municipality_code"], "fsiii.municipality_code"
        if config["organisations"]:
            raise _Unmappable(f"no municipality: the citizen's managing organisation ({organisation or 'none'}) is "
                              "not in fsiii.organisations of klynge-source.json; add it there, or set "
                              '"fsiii": {"municipality_code": "<kommunekode>"}')
        raise _Unmappable(f"no municipality (KL Gateway names only the citizen's SOR organisation): {_HOW}")
    coding = ext.get("valueCoding") or (_codings(ext.get("valueCodeableConcept")) or [None])[0]
    code = coding.get("code") if isinstance(coding, dict) else ext.get("valueString")
    if not isinstance(code, str) or not re.fullmatch(r"0?[0-9]{3}", code.strip()):
        raise _Unmappable(f"malformed municipality code {code!r}")
    return code.strip()[-3:], None


def _day(value: Any, what: str) -> date | None:
    if value is not None and not isinstance(value, str):
        raise _Unmappable(f"malformed {what}: {value!r}")
    try:
        return parse_day(value)
    except TimeError as exc:
        raise _Unmappable(f"{what}: {exc}") from None


def _minutes(detail: dict[str, Any]) -> float | None:
    """Planned minutes per week: klynge's extension, else a FHIR Timing (frequency x duration)."""
    ext = _extension(detail, EXT_MINUTES)
    if ext is not None:
        quantity = ext.get("valueQuantity")
        value = quantity.get("value") if isinstance(quantity, dict) else None
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise _Unmappable(f"malformed planned minutes {value!r}")
        factor = {"min/wk": 1.0, "h/wk": 60.0}.get(str(quantity.get("code") or "min/wk"))
        if factor is None:
            raise _Unmappable(f"unknown unit of planned minutes {quantity.get('code')!r}")
        return float(value) * factor
    timing = detail.get("scheduledTiming")
    if not isinstance(timing, dict):
        return None
    repeat = timing.get("repeat")
    try:
        duration = float(repeat["duration"]) * _UNIT_MINUTES[repeat.get("durationUnit", "min")]
        if repeat.get("period") is not None:
            weeks = float(repeat["period"]) * _UNIT_DAYS[repeat.get("periodUnit", "d")] / 7
            visits = float(repeat.get("frequency", 1)) / weeks
        else:
            visits = len(repeat["dayOfWeek"]) * max(1, len(repeat.get("timeOfDay") or ()))
    except (KeyError, TypeError, ValueError, ZeroDivisionError, AttributeError):
        raise _Unmappable("scheduledTiming without frequency/period (or dayOfWeek) and duration") from None
    return round(visits * duration, 4)


def _service_group(code: str) -> str | None:
    """The canonical service group of a service code (klynge's list, else the catalogue rule)."""
    if code in codes.SERVICES:
        return codes.SERVICES[code][0]
    head, _, sub = code.partition(".")
    if head in ("G1", "G2"):
        return "home_nursing"
    if head == "H1":
        return "personal_care" if int(sub) <= 6 else "practical_help"
    return {"H2": "rehabilitation", "H3": "respite", "H4": "temporary_stay", "H5": "rehabilitation",
            "H6": "rehabilitation"}.get(head)


# ----------------------------------------------------------------------------- mapping

def _service(resource: dict[str, Any], ctx: Any) -> dict[str, Any]:
    if resource.get("status") == "entered-in-error":
        raise _OutOfScope("entered in error")
    if resource.get("status") == "draft" or resource.get("intent") not in (None, "plan", "order"):
        raise _OutOfScope("not a granted intervention (draft or proposal)")
    kind, code = _fsiii_code(_detail(resource).get("code"), _is_gateway(resource), "intervention")
    if kind == "ffb":
        raise _OutOfScope("FFB (adult social services) intervention")
    if kind == "klynge" and code not in _NON_FSIII:
        raise _Unmappable(f"unknown klynge service code {code!r}")
    if kind == "fsiii" and code not in FSIII_INTERVENTIONS:
        raise _Unmappable(f"unknown FSIII intervention code {code!r}")
    if code not in codes.SERVICES:
        raise _OutOfScope(f"FSIII intervention not in klynge's service list ({code})")
    service_id = resource.get("id")
    if not isinstance(service_id, str) or not service_id:
        raise _Unmappable("planned intervention without id (service_id)")
    person = _subject(resource, ctx)
    period = resource.get("period")
    if not isinstance(period, dict):
        raise _Unmappable("missing period (grant date)")
    start, last = _day(period.get("start"), "period.start"), _day(period.get("end"), "period.end")
    if start is None:
        raise _Unmappable("missing period.start (grant date)")
    if last is not None and last < start:
        raise _Unmappable("period.end before period.start")
    municipality, origin = _municipality(resource, ctx)
    return {
        "_origin": origin,
        "service_id": service_id, "person_id": person, "municipality_code": municipality,
        "service_code": code, "service_group": _service_group(code), "start_date": start,
        "end_date": None if last is None else last + timedelta(days=1),
        "minutes_per_week": _minutes(_detail(resource)),
    }


def _status(concept: Any) -> str | None:
    codings = _codings(concept)
    return codings[0].get("code") if codings else None


def _assessment(resource: dict[str, Any], ctx: Any) -> dict[str, Any]:
    if _status(resource.get("verificationStatus")) == "entered-in-error":
        raise _OutOfScope("entered in error")
    kind, code = _fsiii_code(resource.get("code"), _is_gateway(resource), "condition")
    if kind == "ffb":
        raise _OutOfScope("FFB (adult social services) condition")
    if kind != "fsiii":
        raise _Unmappable(f"unknown condition code {code!r}")
    if code.startswith("I"):
        raise _OutOfScope("FSIII health condition (I-code) is not modelled")
    if code not in codes.FUNCTIONAL_STATES:
        raise _Unmappable(f"unknown FSIII functional state {code!r}")
    if _status(resource.get("clinicalStatus")) in ("inactive", "resolved", "remission"):
        raise _OutOfScope("inactive functional condition")
    if resource.get("severity") is None:
        raise _Unmappable("functional condition without severity")
    _, severity = _fsiii_code(resource.get("severity"), _is_gateway(resource), "severity")
    if severity == "B6":
        raise _OutOfScope("severity B6 (ikke relevant)")
    if severity not in codes.SEVERITIES:
        raise _Unmappable(f"severity {severity!r} outside B1-B5")
    person = _subject(resource, ctx)
    day = _day(resource.get("recordedDate"), "recordedDate")
    if day is None:
        raise _Unmappable("missing recordedDate (assessment date)")
    municipality, origin = _municipality(resource, ctx)
    return {"_origin": origin, "person_id": person, "assessment_date": day, "state_code": code,
            "severity": severity, "municipality_code": municipality}


_NOT_MODELLED = {
    "Procedure": ("municipal_service", "completed intervention (single delivery) is not modelled"),
    "Encounter": ("municipal_service", "visit or follow-up encounter is not modelled"),
    "ServiceRequest": ("municipal_service", "referral to the municipality is not modelled"),
    "Goal": ("functional_assessment", "goal (expected state) is not modelled"),
    "Observation": ("functional_assessment",
                    "FSIII observation (performance, meaning, follow-up) is not modelled"),
}


def map_resource(resource: dict[str, Any], ctx: Any, staging: Staging) -> None:
    """Map one KL Gateway care resource: stage a row, quarantine it, or count it out of scope."""
    rtype = resource.get("resourceType")
    record = ctx.record(resource)
    if rtype == "CarePlan":
        table, build = "municipal_service", _service
    elif rtype == "Condition":
        table, build = "functional_assessment", _assessment
    else:
        table, reason = _NOT_MODELLED.get(rtype, ("municipal_service", f"KL Gateway {rtype} is not modelled"))
        staging.out_of_scope(table, reason)
        return
    try:
        row = build(resource, ctx)
        origin = row.pop("_origin")
        staging.add(table, row, record)
        if origin is not None and hasattr(ctx, "counts"):
            ctx.counts[f"{table}|{origin}"] += 1
    except _OutOfScope as exc:
        staging.out_of_scope(table, str(exc))
    except _Unmappable as exc:
        staging.quarantine(table, record, str(exc), resource)


def finish(ctx: Any, staging: Staging) -> None:
    """Note in the manifest how many rows got their municipality from configuration."""
    counts = getattr(ctx, "counts", {})
    for key in sorted(k for k in counts if k.startswith(("municipal_service|", "functional_assessment|"))):
        table, origin = key.split("|", 1)
        staging.note(f"fsiii: {counts[key]} {table} row(s) got their municipality from {origin} in {SETTINGS} "
                     "(configuration, not data: KL Gateway reports carry no municipality)")


# ----------------------------------------------------------------------------- writing

def _value(value: Any) -> Any:
    """A frame cell as a plain Python value (NaN, NaT and pandas NA become None)."""
    if value is None:
        return None
    try:
        if value != value:  # NaN, NaT
            return None
    except (TypeError, ValueError):  # pandas NA
        return None
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        return value.date()
    return value


def _as_date(value: Any) -> date | None:
    value = _value(value)
    return date.fromisoformat(value[:10]) if isinstance(value, str) else value


def _municipality_ext(code: Any) -> dict[str, Any]:
    coding = {"system": DK_MUNICIPALITY, "code": "0" + str(code).zfill(3)}
    return {"url": EXT_MUNICIPALITY, "valueCoding": coding}


def _coding(code: str) -> dict[str, Any]:
    if code in _NON_FSIII:
        return {"system": KLYNGE_SERVICES, "code": code, "display": codes.SERVICES[code][1]}
    display = codes.SERVICES.get(code, (None, None))[1] or codes.FUNCTIONAL_STATES.get(code) \
        or codes.SEVERITIES.get(code)
    return {"system": FSIII, "code": code, **({"display": display} if display else {})}


def _care_plan(row: dict[str, Any]) -> dict[str, Any]:
    start, end = _as_date(row["start_date"]), _as_date(row.get("end_date"))
    minutes = _value(row.get("minutes_per_week"))
    detail: dict[str, Any] = {"code": {"coding": [_coding(str(row["service_code"]))]},
                              "status": "in-progress" if end is None else "completed"}
    if minutes is not None:
        quantity = {"value": float(minutes), "unit": "min/uge", "system": "http://unitsofmeasure.org",
                    "code": "min/wk"}
        detail["extension"] = [{"url": EXT_MINUTES, "valueQuantity": quantity}]
    period = {"start": start.isoformat()}
    if end is not None:
        period["end"] = (end - timedelta(days=1)).isoformat()
    return {
        "resourceType": "CarePlan", "id": str(row["service_id"]), "meta": {"profile": [PLANNED_INTERVENTION]},
        "extension": [_municipality_ext(row["municipality_code"])],
        "status": "active" if end is None else "completed", "intent": "plan",
        "subject": {"reference": f"Patient/{row['person_id']}"}, "period": period,
        "activity": [{"detail": detail}],
    }


def _condition(row: dict[str, Any], number: int) -> dict[str, Any]:
    return {
        "resourceType": "Condition", "id": f"fsiii-fa-{number}", "meta": {"profile": [CONDITION]},
        "extension": [_municipality_ext(row["municipality_code"])],
        "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                       "code": "active"}]},
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category",
                                  "code": "problem-list-item"}]}],
        "severity": {"coding": [_coding(str(row["severity"]))]},
        "code": {"coding": [_coding(str(row["state_code"]))]},
        "subject": {"reference": f"Patient/{row['person_id']}"},
        "recordedDate": _as_date(row["assessment_date"]).isoformat(),
    }


def write_resources(frames: dict[str, pd.DataFrame]) -> Iterator[dict[str, Any]]:
    """Canonical municipal_service and functional_assessment rows as KL Gateway care resources.

    Patients are referenced as ``Patient/<person_id>`` (the FHIR writer writes them). Reading the
    resources back with `map_resource` gives the same canonical rows.
    """
    services = frames.get("municipal_service")
    if services is not None:
        for row in services.to_dict("records"):
            yield _care_plan(row)
    assessments = frames.get("functional_assessment")
    if assessments is not None:
        for number, row in enumerate(assessments.to_dict("records"), start=1):
            yield _condition(row, number)
