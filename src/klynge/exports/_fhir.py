"""FHIR R4 Measure and MeasureReport resources from the catalogue and the gated indicator table.

One Measure per indicator (from its definition) and one summary MeasureReport per indicator,
period and area; the strata (sex, age group) are stratifiers of the report's one group.
The mapping of every element is in ``docs/outputs.md``. A suppressed count or score is left out
and marked with the data-absent-reason ``masked``; it is never written as 0.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

DEFAULT_BASE = "https://klynge.dk/fhir"
FHIR_VERSION = "4.0.1"

POPULATION = "http://terminology.hl7.org/CodeSystem/measure-population"
SCORING = "http://terminology.hl7.org/CodeSystem/measure-scoring"
IMPROVEMENT = "http://terminology.hl7.org/CodeSystem/measure-improvement-notation"
DATA_ABSENT = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"
GENDER = "http://hl7.org/fhir/administrative-gender"
UCUM = "http://unitsofmeasure.org"
# Area code systems. The municipality system is DK-core's (seen in DK-core 3.x examples, with
# 4-digit codes "0461"; not yet confirmed against the domain reference §8.4). Regions use
# ISO 3166-2 as DK-core's RegionalSubDivisionCodes do.
MUNICIPALITY_SYSTEM = "http://hl7.dk/fhir/core/CodeSystem/dk-core-municipality-codes"
REGION_SYSTEM = "urn:iso:std:iso:3166:-2"
COUNTRY_SYSTEM = "urn:iso:std:iso:3166"

SCORING_OF = {"proportion": "proportion", "rate": "ratio", "mean": "continuous-variable"}
IMPROVEMENT_OF = {"higher": "increase", "lower": "decrease"}
# UCUM codes only where the unit is exactly one; rates per 1,000 person-years keep the text.
UCUM_OF = {"%": "%", "days": "d", "index (0-1)": "1"}
GENDER_OF = {"F": "female", "M": "male"}
STRATIFIERS = {"sex": "sex", "age_group": "age-group"}
_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


def ext_url(base: str, name: str) -> str:
    """URL of one of klynge's own extensions."""
    return f"{base}/StructureDefinition/{name}"


def fhir_id(indicator_id: str) -> str:
    """A FHIR id from an indicator id: ``readmission_30d`` -> ``readmission-30d``."""
    return indicator_id.replace("_", "-")


def measure_url(base: str, indicator_id: str) -> str:
    """Canonical URL of an indicator's Measure (without version)."""
    return f"{base}/Measure/{fhir_id(indicator_id)}"


def _translated(en: str, da: str) -> dict[str, Any]:
    return {"extension": [{"url": TRANSLATION, "extension": [{"url": "lang", "valueCode": "da"},
                                                              {"url": "content", "valueString": da}]}]}


def _code(system: str, code: str, text: str | None = None) -> dict[str, Any]:
    cc: dict[str, Any] = {"coding": [{"system": system, "code": code}]}
    if text:
        cc["text"] = text
    return cc


def _expression(text: str) -> dict[str, Any]:
    # The logic is Python in the catalogue (logic.py), not CQL or FHIRPath: the criteria are
    # given as plain text.
    return {"language": "text/plain", "expression": text}


def _populations(family: str) -> list[str]:
    if family == "proportion":
        return ["initial-population", "denominator", "numerator"]
    if family == "rate":
        return ["denominator", "numerator"]
    return ["initial-population", "measure-population"]


def measure(definition: Any, base: str = DEFAULT_BASE, version: str | None = None) -> dict[str, Any]:
    """The Measure resource of one indicator definition (`klynge.indicators.Definition`).

    ``version`` is the version the results were computed with (the table's), when it differs
    from the installed definition's: the reports must resolve to it, and the text says so.
    """
    d = definition
    version = version or d.version
    desc = {"initial-population": (d.population.en, "Units counted (n_units)."),
            "denominator": (d.population.en if d.family != "rate" else
                            "Person-years of the population: " + d.population.en, None),
            "numerator": (d.event.en, None),
            "measure-population": (d.population.en, None)}
    groups = [{"code": {"text": "population"}, "population": [
        {"code": _code(POPULATION, p), "description": desc[p][1] or desc[p][0], "criteria": _expression(desc[p][0])}
        for p in _populations(d.family)]}]
    strata = [s for s in ("sex", "age_group") if s in d.breakdowns]
    if strata:
        groups[0]["stratifier"] = [{"code": _code(f"{base}/CodeSystem/stratifier", STRATIFIERS[s], s),
                                    "description": {"sex": "Sex as registered in CPR (F, M).",
                                                    "age_group": "Age group on the unit date: 0-19, 20-64, 65-79, 80+."}[s],
                                    "criteria": _expression(s)} for s in strata]
    guidance = [f"Unit: {d.unit.en} (x {d.multiplier:g}). Periods: {', '.join(d.periods)}."]
    guidance += [f"Excluded: {e.en}" for e in d.exclusions]
    if d.window:
        guidance.append(f"Window: {d.window}.")
    if d.approximation:
        guidance.append(f"Where klynge approximates: {d.approximation}")
    if version != d.version:
        guidance.append(f"Results computed with version {version}; this text is from version {d.version}.")
    resource: dict[str, Any] = {
        "resourceType": "Measure",
        "id": fhir_id(d.id),
        "url": measure_url(base, d.id),
        "identifier": [{"system": f"{base}/indicator", "value": d.id}],
        "version": version,
        "name": "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", d.id) if part),
        "title": d.title.en,
        "_title": _translated(d.title.en, d.title.da),
        "status": "active",
        "experimental": False,
        "publisher": "klynge",
        "description": d.description.en,
        "_description": _translated(d.description.en, d.description.da),
        "scoring": _code(SCORING, SCORING_OF[d.family]),
        "guidance": "\n\n".join(guidance),
        "group": groups,
    }
    if d.better in IMPROVEMENT_OF:
        resource["improvementNotation"] = _code(IMPROVEMENT, IMPROVEMENT_OF[d.better])
    if d.source.url or d.source.name:
        resource["relatedArtifact"] = [{"type": "documentation", "display": d.source.name,
                                        **({"url": d.source.url} if d.source.url else {})}]
    return resource


def _number(value: Any) -> float | None:
    if value is None or value is pd.NA:
        return None
    v = float(value)
    return None if math.isnan(v) else v


def _absent(code: str) -> dict[str, Any]:
    return {"extension": [{"url": DATA_ABSENT, "valueCode": code}]}


def _population(code: str, count: Any, hidden: bool, *, quantity_unit: str | None = None,
                base: str = DEFAULT_BASE) -> dict[str, Any]:
    """One population: an integer ``count``; a non-integer amount (person-years, bed days) as
    klynge's ``population-amount`` extension; a hidden one with data-absent-reason ``masked``."""
    pop: dict[str, Any] = {"code": _code(POPULATION, code)}
    value = _number(count)
    if hidden or value is None:
        pop["_count"] = _absent("masked" if hidden else "unknown")
    elif quantity_unit is None:
        pop["count"] = int(round(value))
    else:
        pop["extension"] = [{"url": ext_url(base, "population-amount"),
                             "valueQuantity": {"value": value, "unit": quantity_unit}}]
    return pop


def _score(row: Any, unit: dict[str, str], base: str) -> dict[str, Any]:
    value = _number(row.value)
    if row.suppressed:
        return _absent("masked")
    if value is None:
        return _absent("not-applicable")
    score: dict[str, Any] = {"value": value, **unit}
    low, high = _number(row.ci_low), _number(row.ci_high)
    if low is not None and high is not None:
        score["extension"] = [{"url": ext_url(base, "confidence-interval"), "extension": [
            {"url": "level", "valueDecimal": 0.95},
            {"url": "interval", "valueRange": {"low": {"value": low, **unit}, "high": {"value": high, **unit}}}]}]
    return score


def _cell(row: Any, definition: Any, unit: dict[str, str], base: str) -> dict[str, Any]:
    """Populations and measureScore of one row of the table (a group or a stratum)."""
    d = definition
    hidden_units = bool(row.n_units_suppressed)
    pops = []
    for code in _populations(d.family):
        if code == "initial-population":
            pops.append(_population(code, row.n_units, hidden_units, base=base))
        elif code in ("denominator", "measure-population"):
            amount = "person-years" if d.family == "rate" else None
            pops.append(_population(code, row.denominator, bool(row.suppressed), quantity_unit=amount, base=base))
        else:
            amount = None if d.numerator_is_count else d.unit.en.split(" per ")[0]
            pops.append(_population(code, row.numerator, bool(row.suppressed), quantity_unit=amount, base=base))
    return {"population": pops, "measureScore": _score(row, unit, base)}


def _unit(definition: Any) -> dict[str, str]:
    en = definition.unit.en
    return {"unit": en, "system": UCUM, "code": UCUM_OF[en]} if en in UCUM_OF else {"unit": en}


def _subject(level: str, code: str, name: str, iso: dict[str, str], base: str) -> dict[str, Any]:
    if level == "municipality":
        ident = {"system": MUNICIPALITY_SYSTEM, "value": code.zfill(4)}
    elif level == "region":
        ident = {"system": REGION_SYSTEM, "value": iso.get(code, code)}
    elif level == "country":
        ident = {"system": COUNTRY_SYSTEM, "value": "DK"}
    else:
        ident = {"system": f"{base}/CodeSystem/health-{level}", "value": code}
    return {"type": "Location", "identifier": ident, "display": name}


def report_id(indicator_id: str, period: str, level: str, geo_code: str) -> str:
    """A stable FHIR id of a report: readable when it fits in 64 characters, else a hash."""
    rid = f"{fhir_id(indicator_id)}-{period}-{level}-{geo_code}"
    rid = re.sub(r"[^A-Za-z0-9\-.]", "-", rid)
    return rid if _ID.match(rid) else "mr-" + hashlib.sha1(rid.encode()).hexdigest()[:32]


_REPORT_KEY = ["indicator_id", "indicator_version", "period_type", "period", "level", "geo_code"]


def _reports_rows(frame: pd.DataFrame) -> Iterator[list[Any]]:
    """The rows of each report (same indicator, period and area), in one pass over the sorted table."""
    ordered = frame.sort_values(_REPORT_KEY, kind="stable")
    key_of = ordered[_REPORT_KEY].astype(str).agg("\x1f".join, axis=1).tolist()
    current: list[Any] = []
    last = None
    for key, row in zip(key_of, ordered.itertuples(index=False), strict=True):
        if key != last and current:
            yield current
            current = []
        current.append(row)
        last = key
    if current:
        yield current


def measure_reports(frame: pd.DataFrame, definitions: dict[str, Any], *, base: str = DEFAULT_BASE,
                    region_iso: dict[str, str] | None = None) -> Iterator[dict[str, Any]]:
    """One summary MeasureReport per indicator, period and area of the exported table."""
    iso = region_iso or {}
    for rows in _reports_rows(frame):
        first = rows[0]
        ind, version, period, level, geo = (first.indicator_id, first.indicator_version, first.period,
                                            first.level, first.geo_code)
        d = definitions[ind]
        unit = _unit(d)
        top = next((r for r in rows if r.stratum_type == "all"), None)
        group: dict[str, Any] = {"code": {"text": "population"}}
        if top is not None:
            group.update(_cell(top, d, unit, base))
        stratifiers = []
        for stype, scode in STRATIFIERS.items():
            strata = [r for r in rows if r.stratum_type == stype]
            if not strata:
                continue
            system = f"{base}/CodeSystem/{scode}"
            stratifiers.append({"code": [_code(f"{base}/CodeSystem/stratifier", scode, stype)], "stratum": [
                {"value": _code(GENDER, GENDER_OF[r.stratum], r.stratum) if stype == "sex" else
                 _code(system, r.stratum, r.stratum), **_cell(r, d, unit, base)} for r in strata]})
        if stratifiers:
            group["stratifier"] = stratifiers
        report: dict[str, Any] = {
            "resourceType": "MeasureReport",
            "id": report_id(ind, period, level, geo),
            "status": "complete",
            "type": "summary",
            "measure": f"{measure_url(base, ind)}|{version}",
            "subject": _subject(level, geo, first.geo_name, iso, base),
            "date": first.run_at,
            "period": {"start": first.period_start.isoformat(), "end": first.period_end.isoformat()},
            "group": [group],
        }
        if d.better in IMPROVEMENT_OF:
            report["improvementNotation"] = _code(IMPROVEMENT, IMPROVEMENT_OF[d.better])
        yield report


def _dump(resource: dict[str, Any]) -> str:
    # allow_nan=False: a NaN that slipped through must fail, never reach a file.
    return json.dumps(resource, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def write_fhir(frame: pd.DataFrame, out: Path, *, base_url: str = DEFAULT_BASE,
               bundle: bool = False, region_iso: dict[str, str] | None = None) -> tuple[list[Path], dict[str, int]]:
    """Write ``Measure.ndjson`` and ``MeasureReport.ndjson`` (and ``bundle.json``) to the folder ``out``."""
    from klynge.contracts import load_reference
    from klynge.indicators import registry

    base = base_url.rstrip("/")
    if region_iso is None:
        regions = load_reference()["region"]
        region_iso = dict(zip(regions["region_code"], regions["iso_code"], strict=True))
    reg = registry()
    pairs = list(dict.fromkeys(zip(frame["indicator_id"], frame["indicator_version"], strict=True)))
    definitions = {i: reg[i].definition for i, _ in pairs}
    out.mkdir(parents=True, exist_ok=True)
    measures = [measure(definitions[i], base, version=v) for i, v in pairs]
    files = [out / "Measure.ndjson", out / "MeasureReport.ndjson"]
    with files[0].open("w", encoding="utf-8") as fh:
        for m in measures:
            fh.write(_dump(m) + "\n")
    n = 0
    entries = [{"fullUrl": f"{base}/Measure/{m['id']}", "resource": m} for m in measures] if bundle else []
    with files[1].open("w", encoding="utf-8") as fh:
        for report in measure_reports(frame, definitions, base=base, region_iso=region_iso):
            fh.write(_dump(report) + "\n")
            n += 1
            if bundle:
                entries.append({"fullUrl": f"{base}/MeasureReport/{report['id']}", "resource": report})
    if bundle:
        files.append(out / "bundle.json")
        files[-1].write_text(_dump({"resourceType": "Bundle", "type": "collection", "entry": entries}) + "\n",
                             encoding="utf-8")
    return files, {"Measure": len(measures), "MeasureReport": n}
