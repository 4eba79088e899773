"""FHIR R4 Measure and MeasureReport: structure from the spec, values from the gated table."""

from __future__ import annotations

import json
import math

import pytest

from klynge.exports import export_indicators
from klynge.indicators import registry

from fhir_checks import check_measure, check_measure_report

POP = "http://terminology.hl7.org/CodeSystem/measure-population"
DAR = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"


@pytest.fixture(scope="module")
def fhir(small_warehouse, tmp_path_factory):
    out = tmp_path_factory.mktemp("fhir")
    result = export_indicators(small_warehouse, out, format="measurereport", bundle=True)
    measures = [json.loads(line) for line in (out / "Measure.ndjson").read_text(encoding="utf-8").splitlines()]
    reports = [json.loads(line) for line in (out / "MeasureReport.ndjson").read_text(encoding="utf-8").splitlines()]
    return result, measures, reports, out


def _pop(cell: dict, code: str) -> dict:
    return next(p for p in cell["population"] if p["code"]["coding"][0]["code"] == code)


def _masked(element: dict) -> bool:
    return any(e["url"] == DAR and e["valueCode"] == "masked" for e in element.get("extension", []))


def _report(reports, indicator, period, level, geo):
    measure = f"https://klynge.dk/fhir/Measure/{indicator.replace('_', '-')}|"
    return next(r for r in reports if r["measure"].startswith(measure) and r["id"].endswith(f"-{period}-{level}-{geo}"))


def test_every_resource_conforms_to_r4(fhir):
    result, measures, reports, _ = fhir
    assert result.resources == {"Measure": len(measures), "MeasureReport": len(reports)}
    assert len(measures) == len(registry())
    problems = [p for r in reports for p in check_measure_report(r)] + [p for m in measures for p in check_measure(m)]
    assert problems == []
    assert {r["status"] for r in reports} == {"complete"} and {r["type"] for r in reports} == {"summary"}
    assert len({r["id"] for r in reports}) == len(reports)


def test_every_report_resolves_to_a_measure(fhir):
    _, measures, reports, _ = fhir
    canon = {f"{m['url']}|{m['version']}": m for m in measures}
    assert {r["measure"] for r in reports} <= set(canon)
    for r in reports[:200]:
        m = canon[r["measure"]]
        report_codes = {p["code"]["coding"][0]["code"] for p in r["group"][0]["population"]}
        assert report_codes == {p["code"]["coding"][0]["code"] for p in m["group"][0]["population"]}


def test_values_equal_the_gated_table(fhir, gated):
    _, _, reports, _ = fhir
    picked = 0
    for indicator in ("readmission_30d", "mortality", "length_of_stay"):
        rows = gated[(gated.indicator_id == indicator) & (gated.period_type == "year") & (gated.stratum_type == "all")
                     & (~gated.suppressed)]
        for row in rows.head(3).itertuples():
            r = _report(reports, indicator, row.period, row.level, row.geo_code)
            group = r["group"][0]
            assert math.isclose(group["measureScore"]["value"], row.value, rel_tol=1e-12)
            ci = group["measureScore"]["extension"][0]["extension"][1]["valueRange"]
            assert math.isclose(ci["low"]["value"], row.ci_low) and math.isclose(ci["high"]["value"], row.ci_high)
            family = registry()[indicator].definition.family
            if family == "proportion":
                assert _pop(group, "numerator")["count"] == row.numerator
                assert _pop(group, "denominator")["count"] == row.denominator
                assert _pop(group, "initial-population")["count"] == row.n_units
                assert group["measureScore"]["unit"] == "%" and group["measureScore"]["code"] == "%"
            elif family == "rate":
                assert _pop(group, "numerator")["count"] == row.numerator
                amount = _pop(group, "denominator")["extension"][0]["valueQuantity"]
                assert math.isclose(amount["value"], row.denominator) and amount["unit"] == "person-years"
            else:
                assert _pop(group, "measure-population")["count"] == row.denominator
            assert r["period"] == {"start": f"{row.period}-01-01", "end": f"{row.period}-12-31"}
            picked += 1
    assert picked == 9


def test_strata_and_suppressed_cells_are_masked_never_zero(fhir, gated):
    _, _, reports, _ = fhir
    hidden = gated[gated.suppressed & (gated.stratum_type == "sex") & (gated.period_type == "year")]
    assert len(hidden) > 0
    for row in hidden.head(10).itertuples():
        r = _report(reports, row.indicator_id, row.period, row.level, row.geo_code)
        sex = next(s for s in r["group"][0]["stratifier"] if s["code"][0]["coding"][0]["code"] == "sex")
        stratum = next(s for s in sex["stratum"] if s["value"]["text"] == row.stratum)
        assert "value" not in stratum["measureScore"] and _masked(stratum["measureScore"])
        for pop in stratum["population"]:
            code = pop["code"]["coding"][0]["code"]
            if code != "initial-population" or row.n_units_suppressed:
                assert "count" not in pop and "extension" not in pop and _masked(pop["_count"])
    # No published count anywhere is 1-4.
    counts = [p["count"] for r in reports for g in r["group"] for cell in [g, *(st for s in g.get("stratifier", [])
                                                                               for st in s["stratum"])]
              for p in cell.get("population", []) if "count" in p]
    assert counts and not any(1 <= c <= 4 for c in counts)


def test_masked_cells_match_the_tables_flags(fhir, gated):
    """Every score the table suppresses is masked in FHIR, and nothing else is."""
    _, _, reports, _ = fhir
    masked = set()
    shown = set()
    for r in reports:
        key = r["id"]
        g = r["group"][0]
        (masked if _masked(g.get("measureScore", {})) else shown).add((key, "all"))
        for s in g.get("stratifier", []):
            for st in s["stratum"]:
                (masked if _masked(st["measureScore"]) else shown).add((key, st["value"]["text"]))
    assert len(masked) == int(gated["suppressed"].sum())
    assert len(masked) + len(shown) == len(gated)


def test_measures_come_from_the_catalogue(fhir, gated):
    _, measures, _, _ = fhir
    by_id = {m["identifier"][0]["value"]: m for m in measures}
    computed = dict(zip(gated["indicator_id"], gated["indicator_version"], strict=True))
    for ind in registry().values():
        d, m = ind.definition, by_id[ind.id]
        # The version the results were computed with (equal to the catalogue's unless it changed since).
        assert m["title"] == d.title.en and m["version"] == computed[ind.id]
        assert m["_title"]["extension"][0]["extension"][1]["valueString"] == d.title.da
        scoring = m["scoring"]["coding"][0]["code"]
        assert scoring == {"proportion": "proportion", "rate": "ratio", "mean": "continuous-variable"}[d.family]
        notation = m.get("improvementNotation", {}).get("coding", [{}])[0].get("code")
        assert notation == {"higher": "increase", "lower": "decrease", "neither": None}[d.better]


def test_bundle_holds_every_resource(fhir):
    result, measures, reports, out = fhir
    bundle = json.loads((out / "bundle.json").read_text(encoding="utf-8"))
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    assert len(bundle["entry"]) == len(measures) + len(reports)
    assert all(e["fullUrl"].startswith("https://") for e in bundle["entry"])


def test_a_maintained_validator_accepts_them(fhir):
    """fhir.resources (R4B models; MeasureReport and Measure are unchanged from R4), when installed."""
    r4b = pytest.importorskip("fhir.resources.R4B.measurereport")
    from fhir.resources.R4B.measure import Measure

    _, measures, reports, _ = fhir
    for m in measures:
        Measure.model_validate(m)
    for r in reports[:300]:
        r4b.MeasureReport.model_validate(r)
