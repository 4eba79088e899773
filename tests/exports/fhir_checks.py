"""Structural checks of FHIR R4 (4.0.1) Measure and MeasureReport resources, written from the spec.

Each element's allowed children and cardinality follow the R4 resource definitions; the
invariants checked are mrp-1, mrp-2 (MeasureReport), ele-1 (no empty elements), ext-1
(an extension has a value or extensions, not both), qty-3 (a Quantity code needs a system)
and exp-1 (an Expression has an expression or a reference). Returns the problems found.
"""

from __future__ import annotations

import re
from typing import Any

ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
POPULATION_CODES = {"initial-population", "numerator", "numerator-exclusion", "denominator", "denominator-exclusion",
                    "denominator-exception", "measure-population", "measure-population-exclusion",
                    "measure-observation"}

# element -> {child: (min, max)}; "*" is unbounded. Children not listed are not allowed.
_DOMAIN = {"id": (0, 1), "meta": (0, 1), "implicitRules": (0, 1), "language": (0, 1), "text": (0, 1),
           "contained": (0, "*"), "extension": (0, "*"), "modifierExtension": (0, "*")}
_BACKBONE = {"id": (0, 1), "extension": (0, "*"), "modifierExtension": (0, "*")}
REPORT = {**_DOMAIN, "resourceType": (1, 1), "identifier": (0, "*"), "status": (1, 1), "type": (1, 1),
          "measure": (1, 1), "subject": (0, 1), "date": (0, 1), "reporter": (0, 1), "period": (1, 1),
          "improvementNotation": (0, 1), "group": (0, "*"), "evaluatedResource": (0, "*")}
GROUP = {**_BACKBONE, "code": (0, 1), "population": (0, "*"), "measureScore": (0, 1), "stratifier": (0, "*")}
POPULATION = {**_BACKBONE, "code": (0, 1), "count": (0, 1), "_count": (0, 1), "subjectResults": (0, 1)}
STRATIFIER = {**_BACKBONE, "code": (0, "*"), "stratum": (0, "*")}
STRATUM = {**_BACKBONE, "value": (0, 1), "component": (0, "*"), "population": (0, "*"), "measureScore": (0, 1)}
MEASURE = {**_DOMAIN, "resourceType": (1, 1), "url": (0, 1), "identifier": (0, "*"), "version": (0, 1),
           "name": (0, 1), "title": (0, 1), "_title": (0, 1), "subtitle": (0, 1), "status": (1, 1),
           "experimental": (0, 1), "subjectCodeableConcept": (0, 1), "subjectReference": (0, 1), "date": (0, 1),
           "publisher": (0, 1), "contact": (0, "*"), "description": (0, 1), "_description": (0, 1),
           "useContext": (0, "*"), "jurisdiction": (0, "*"), "purpose": (0, 1), "usage": (0, 1), "copyright": (0, 1),
           "approvalDate": (0, 1), "lastReviewDate": (0, 1), "effectivePeriod": (0, 1), "topic": (0, "*"),
           "author": (0, "*"), "editor": (0, "*"), "reviewer": (0, "*"), "endorser": (0, "*"),
           "relatedArtifact": (0, "*"), "library": (0, "*"), "disclaimer": (0, 1), "scoring": (0, 1),
           "compositeScoring": (0, 1), "type": (0, "*"), "riskAdjustment": (0, 1), "rateAggregation": (0, 1),
           "rationale": (0, 1), "clinicalRecommendationStatement": (0, 1), "improvementNotation": (0, 1),
           "definition": (0, "*"), "guidance": (0, 1), "group": (0, "*"), "supplementalData": (0, "*")}
M_GROUP = {**_BACKBONE, "code": (0, 1), "description": (0, 1), "population": (0, "*"), "stratifier": (0, "*")}
M_POPULATION = {**_BACKBONE, "code": (0, 1), "description": (0, 1), "criteria": (1, 1)}
M_STRATIFIER = {**_BACKBONE, "code": (0, 1), "description": (0, 1), "criteria": (0, 1), "component": (0, "*")}
QUANTITY = {"id": (0, 1), "extension": (0, "*"), "value": (0, 1), "comparator": (0, 1), "unit": (0, 1),
            "system": (0, 1), "code": (0, 1)}
CODEABLE = {"id": (0, 1), "extension": (0, "*"), "coding": (0, "*"), "text": (0, 1)}
CODING = {"id": (0, 1), "extension": (0, "*"), "system": (0, 1), "version": (0, 1), "code": (0, 1),
          "display": (0, 1), "userSelected": (0, 1)}
REFERENCE = {"id": (0, 1), "extension": (0, "*"), "reference": (0, 1), "type": (0, 1), "identifier": (0, 1),
             "display": (0, 1)}
EXPRESSION = {"id": (0, 1), "extension": (0, "*"), "description": (0, 1), "name": (0, 1), "language": (1, 1),
              "expression": (0, 1), "reference": (0, 1)}


def _card(obj: dict, spec: dict, where: str, problems: list[str]) -> None:
    if not isinstance(obj, dict):
        problems.append(f"{where}: not an object")
        return
    if not obj:
        problems.append(f"{where}: empty element (ele-1)")
    for key in obj:
        if key not in spec:
            problems.append(f"{where}.{key}: not an element of {where}")
    for key, (lo, hi) in spec.items():
        value = obj.get(key)
        n = 0 if value is None else (len(value) if isinstance(value, list) else 1)
        if isinstance(value, list) and hi != "*":
            problems.append(f"{where}.{key}: must not be an array")
        if hi == "*" and value is not None and not isinstance(value, list):
            problems.append(f"{where}.{key}: must be an array")
        if n < lo:
            problems.append(f"{where}.{key}: required ({lo}..{hi})")
        if isinstance(value, list) and not value:
            problems.append(f"{where}.{key}: empty array (ele-1)")
    for ext in obj.get("extension", []) or []:
        _extension(ext, f"{where}.extension", problems)


def _extension(ext: dict, where: str, problems: list[str]) -> None:
    if "url" not in ext:
        problems.append(f"{where}: extension without url")
    values = [k for k in ext if k.startswith("value")]
    if len(values) > 1 or (values and ext.get("extension")) or (not values and not ext.get("extension")):
        problems.append(f"{where}: an extension has a value or extensions, not both (ext-1)")
    for sub in ext.get("extension", []) or []:
        _extension(sub, f"{where}.extension", problems)


def _codeable(cc: dict, where: str, problems: list[str]) -> None:
    _card(cc, CODEABLE, where, problems)
    for coding in cc.get("coding", []) or []:
        _card(coding, CODING, f"{where}.coding", problems)


def _quantity(q: dict, where: str, problems: list[str]) -> None:
    _card(q, QUANTITY, where, problems)
    if "value" in q and not isinstance(q["value"], int | float):
        problems.append(f"{where}.value: not a decimal")
    if "code" in q and "system" not in q:
        problems.append(f"{where}: a code needs a system (qty-3)")


def _populations(pops: list[dict], where: str, problems: list[str]) -> None:
    for pop in pops or []:
        _card(pop, POPULATION, f"{where}.population", problems)
        _codeable(pop.get("code", {"text": "-"}), f"{where}.population.code", problems)
        code = (pop.get("code", {}).get("coding") or [{}])[0].get("code")
        if code not in POPULATION_CODES:
            problems.append(f"{where}.population.code: {code!r} is not a measure-population code")
        if "count" in pop and (not isinstance(pop["count"], int) or isinstance(pop["count"], bool)):
            problems.append(f"{where}.population.count: not an integer")
        if "_count" in pop:
            _card(pop["_count"], {"id": (0, 1), "extension": (1, "*")}, f"{where}.population._count", problems)


def check_measure_report(r: dict) -> list[str]:
    """Problems of one MeasureReport (empty when it conforms)."""
    p: list[str] = []
    _card(r, REPORT, "MeasureReport", p)
    if r.get("resourceType") != "MeasureReport":
        p.append("resourceType is not MeasureReport")
    if "id" in r and not ID.match(r["id"]):
        p.append(f"id {r['id']!r} is not a FHIR id")
    if r.get("status") not in ("complete", "pending", "error"):
        p.append(f"status {r.get('status')!r}")
    if r.get("type") not in ("individual", "subject-list", "summary", "data-collection"):
        p.append(f"type {r.get('type')!r}")
    if r.get("type") == "data-collection" and r.get("group"):
        p.append("mrp-1: a data-collection report has no groups")
    if not isinstance(r.get("measure"), str) or not r["measure"].startswith(("http://", "https://", "urn:")):
        p.append("measure is not a canonical URL")
    period = r.get("period", {})
    _card(period, {"id": (0, 1), "extension": (0, "*"), "start": (0, 1), "end": (0, 1)}, "MeasureReport.period", p)
    if not all(DATE.match(period.get(k, "")) or DATETIME.match(period.get(k, "")) for k in ("start", "end")):
        p.append("period start/end are not dates")
    elif period["start"] > period["end"]:
        p.append("period ends before it starts (per-1)")
    if "date" in r and not DATETIME.match(r["date"]):
        p.append(f"date {r['date']!r} is not a dateTime")
    if "subject" in r:
        _card(r["subject"], REFERENCE, "MeasureReport.subject", p)
    for g in r.get("group", []) or []:
        _card(g, GROUP, "group", p)
        _populations(g.get("population"), "group", p)
        if "measureScore" in g:
            _quantity(g["measureScore"], "group.measureScore", p)
        for s in g.get("stratifier", []) or []:
            _card(s, STRATIFIER, "group.stratifier", p)
            for code in s.get("code", []) or []:
                _codeable(code, "group.stratifier.code", p)
            for st in s.get("stratum", []) or []:
                _card(st, STRATUM, "group.stratifier.stratum", p)
                if ("value" in st) == bool(st.get("component")):
                    p.append("mrp-2: a stratum has a value or components, not both")
                if "value" in st:
                    _codeable(st["value"], "stratum.value", p)
                _populations(st.get("population"), "stratum", p)
                if "measureScore" in st:
                    _quantity(st["measureScore"], "stratum.measureScore", p)
    return p


def check_measure(m: dict) -> list[str]:
    """Problems of one Measure (empty when it conforms)."""
    p: list[str] = []
    _card(m, MEASURE, "Measure", p)
    if m.get("resourceType") != "Measure":
        p.append("resourceType is not Measure")
    if m.get("status") not in ("draft", "active", "retired", "unknown"):
        p.append(f"status {m.get('status')!r}")
    if "name" in m and not re.match(r"^[A-Z]([A-Za-z0-9_]){0,254}$", m["name"]):
        p.append("cnl-0: name is not usable as an identifier")
    if "id" in m and not ID.match(m["id"]):
        p.append("id is not a FHIR id")
    for key in ("scoring", "improvementNotation"):
        if key in m:
            _codeable(m[key], f"Measure.{key}", p)
    for g in m.get("group", []) or []:
        _card(g, M_GROUP, "Measure.group", p)
        for pop in g.get("population", []) or []:
            _card(pop, M_POPULATION, "Measure.group.population", p)
            e = pop.get("criteria", {})
            _card(e, EXPRESSION, "Measure.group.population.criteria", p)
            if not (e.get("expression") or e.get("reference")):
                p.append("exp-1: an expression or a reference")
        for s in g.get("stratifier", []) or []:
            _card(s, M_STRATIFIER, "Measure.group.stratifier", p)
    return p
