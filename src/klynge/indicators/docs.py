"""Generate `docs/indicators.md` from the registry (the catalogue is the single source)."""

from __future__ import annotations

from pathlib import Path

from klynge.indicators._codelists import codelist_version
from klynge.indicators._conditions import condition_rules
from klynge.indicators._registry import registry


def catalogue_rows(lang: str = "da") -> list[dict]:
    """One plain dict per indicator, for `klynge indicators list` and the API."""
    rows = []
    for ind in registry().values():
        d = ind.definition
        rows.append({"id": d.id, "version": d.version, "title": getattr(d.title, lang), "family": d.family,
                     "unit": getattr(d.unit, lang), "multiplier": d.multiplier, "better": d.better,
                     "source": d.source.name, "reference": d.source.reference, "codelists": d.codelists,
                     "description": getattr(d.description, lang)})
    return rows


def indicators_markdown() -> str:
    lines = ["# The indicator catalogue", "",
             "Generated from `src/klynge/indicators/catalogue/` by `klynge docs`; do not edit by hand.", "",
             "Each indicator is one folder: `indicator.yaml` (the definition below), `logic.py` (its unit rows) "
             "and `cases.yaml` (hand-made cases with expected numbers, run by `tests/indicators/test_cases.py`). "
             "Results are computed by month, quarter and year; for municipality, health cluster, health council, "
             "region and the whole population; for all, by sex and by age group (0-19, 20-64, 65-79, 80+: groups of whole 5-year bands, so numerators and person-time match). "
             "Crude values have exact intervals (Clopper-Pearson for proportions, Poisson for counts per "
             "person-time; normal approximation for sums of amounts and for means). Proportions and rates are "
             "also age-sex standardised: directly (standard population: the whole population's denominator by "
             "5-year age band and sex over the whole period, Fay-Feuer interval) and indirectly (observed / "
             "expected with the whole population's rates of the same period, exact interval). Every result "
             "passes the privacy gate (`docs/privacy.md`).", "",
             "| id | title | family | unit | better | source |", "|---|---|---|---|---|---|"]
    for ind in registry().values():
        d = ind.definition
        lines.append(f"| [`{d.id}`](#{d.id.replace('_', '-')}) | {d.title.en} | {d.family} | {d.unit.en} | {d.better} "
                     f"| {d.source.name} |")
    for ind in registry().values():
        d = ind.definition
        lines += ["", f"## {d.id.replace('_', '-')}", "", f"**{d.title.en}** / *{d.title.da}* (version {d.version})", "",
                  d.description.en, "",
                  f"- Family: {d.family}; unit: {d.unit.en} (× {d.multiplier:g}); better: {d.better}.",
                  f"- Population (denominator): {d.population.en}",
                  f"- Event (numerator): {d.event.en}"]
        if d.min_age is not None:
            lines.append(f"- Age: {d.min_age}+ on the unit date.")
        if d.person_time is not None:
            pt = d.person_time
            who = f"persons with {pt.condition}" if pt.condition else "residents"
            ages = f", age band from {pt.min_age}" if pt.min_age else ""
            lines.append(f"- Denominator: person-years of {who}{ages}.")
        for ex in d.exclusions:
            lines.append(f"- Excluded: {ex.en}")
        if d.window:
            lines.append(f"- Window: {d.window}.")
        if d.periods != ["month", "quarter", "year"]:
            lines.append(f"- Periods: {', '.join(d.periods)} only.")
        src = d.source.name + (f" ({d.source.url})" if d.source.url else "")
        lines.append(f"- Source: {src}; domain reference {d.source.reference or '-'}.")
        if d.codelists:
            lines.append("- Code lists: " + ", ".join(f"`{c}` (v{codelist_version(c)})" for c in d.codelists) + ".")
        if d.params:
            lines.append("- Parameters: " + ", ".join(f"`{k}` = {v}" for k, v in d.params.items()) + ".")
        if d.approximation:
            lines.append(f"- **Where we approximate:** {d.approximation}")
    rules = condition_rules()
    lines += ["", "## Chronic conditions (RUKS-like)", "",
              f"Rules version {rules['version']} (`src/klynge/indicators/conditions.yaml`): an approximation of the "
              "official RUKS algorithms (domain reference §1.3). A person has a condition from the first qualifying "
              "diagnosis (type A or B, not refuted, prefix match) or medication history.", "",
              "| condition | diagnoses | medication route |", "|---|---|---|"]
    for name, r in rules["conditions"].items():
        med = r.get("medication")
        med_text = "-" if not med else f"{', '.join(med['atc'])}; {med.get('purchases', 1)} redemption(s)"
        lines.append(f"| {r['title']['en']} | {', '.join(r['diagnoses'])} | {med_text} |")
    return "\n".join(lines) + "\n"


def write_indicators_doc(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(indicators_markdown(), encoding="utf-8")
    return path
