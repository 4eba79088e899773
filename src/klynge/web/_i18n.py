"""Danish and English texts of the dashboard and report, and Danish number and date formats.

Danish is the default language. Numbers are written 1.234,5 in Danish and 1,234.5 in English,
dates 23.11.2026 and 23 Nov 2026. Gated numbers are written with `klynge.privacy.render_value`,
so a suppressed number is always the policy's "<5".
"""

from __future__ import annotations

from datetime import date

from klynge.privacy import DEFAULT_POLICY, render_count, render_value

LANGS = ("da", "en")

TEXT: dict[str, dict[str, str]] = {
    "app_title": {"da": "klynge · sundhedsrådets overblik", "en": "klynge · the health council's overview"},
    "skip": {"da": "Gå til indhold", "en": "Skip to content"},
    "nav_overview": {"da": "Overblik", "en": "Overview"},
    "nav_indicators": {"da": "Indikatorer", "en": "Indicators"},
    "nav_targets": {"da": "Mål", "en": "Targets"},
    "nav_risk": {"da": "Kohorter og risiko", "en": "Cohorts and risk"},
    "nav_evaluation": {"da": "Evaluering", "en": "Evaluation"},
    "nav_api": {"da": "API", "en": "API"},
    "switch_lang": {"da": "English", "en": "Dansk"},
    "filters": {"da": "Filtre", "en": "Filters"},
    "apply": {"da": "Vis", "en": "Show"},
    "period_type": {"da": "Periodetype", "en": "Period type"},
    "period": {"da": "Periode", "en": "Period"},
    "year": {"da": "År", "en": "Year"},
    "quarter": {"da": "Kvartal", "en": "Quarter"},
    "month": {"da": "Måned", "en": "Month"},
    "geography": {"da": "Geografi", "en": "Geography"},
    "age": {"da": "Aldersgruppe", "en": "Age group"},
    "sex": {"da": "Køn", "en": "Sex"},
    "all": {"da": "Alle", "en": "All"},
    "all_ages": {"da": "Alle aldre", "en": "All ages"},
    "F": {"da": "Kvinder", "en": "Women"},
    "M": {"da": "Mænd", "en": "Men"},
    "country": {"da": "Hele befolkningen", "en": "Whole population"},
    "region": {"da": "Region", "en": "Region"},
    "cluster": {"da": "Sundhedsklynge", "en": "Health cluster"},
    "council": {"da": "Sundhedsråd", "en": "Health council"},
    "municipality": {"da": "Kommune", "en": "Municipality"},
    "suppressed_legend": {
        "da": "<5: skjult af hensyn til diskretion (tal under 5, eller tal der ellers kunne afsløre dem).",
        "en": "<5: hidden for confidentiality (numbers below 5, or numbers that could reveal them).",
    },
    "show_table": {"da": "Vis tabel", "en": "Show table"},
    "chart_data": {"da": "Data bag figuren", "en": "Data behind the chart"},
    # overview
    "overview_title": {"da": "Overblik over befolkningen", "en": "Population overview"},
    "population": {"da": "Borgere", "en": "Citizens"},
    "population_at_start": {"da": "Borgere 1. januar", "en": "Citizens on 1 January"},
    "pyramid": {"da": "Befolkningspyramide", "en": "Population pyramid"},
    "age_band": {"da": "Alder", "en": "Age"},
    "persons": {"da": "Personer", "en": "Persons"},
    "share": {"da": "Andel", "en": "Share"},
    "overlap": {"da": "Kontakt med sektorerne i året", "en": "Contact with the sectors in the year"},
    "combination": {"da": "Sektorer", "en": "Sectors"},
    "hospital": {"da": "Sygehus", "en": "Hospital"},
    "municipality_care": {"da": "Kommune", "en": "Municipality"},
    "gp": {"da": "Almen praksis", "en": "General practice"},
    "medicine": {"da": "Medicin", "en": "Medicine"},
    "none": {"da": "Ingen kontakt", "en": "No contact"},
    "prevalence": {"da": "Kroniske sygdomme (forekomst 1. januar)", "en": "Chronic conditions (prevalence on 1 January)"},
    "condition": {"da": "Sygdom", "en": "Condition"},
    "multimorbidity": {"da": "Multisygdom: antal kroniske sygdomme", "en": "Multimorbidity: number of chronic conditions"},
    "conditions_n": {"da": "Antal sygdomme", "en": "Number of conditions"},
    "cost": {"da": "Udgift pr. borger efter sektor og alder (kr.)", "en": "Cost per citizen by sector and age (DKK)"},
    "cost_per_citizen": {"da": "Kr. pr. borger", "en": "DKK per citizen"},
    "sector": {"da": "Sektor", "en": "Sector"},
    "no_sex_note": {
        "da": "Denne figur findes ikke opdelt på køn; den viser begge køn.",
        "en": "This chart is not available by sex; it shows both sexes.",
    },
    "overview_year_note": {
        "da": "Overblikket er opgjort pr. kalenderår; det viser året for den valgte periode.",
        "en": "The overview is computed by calendar year; it shows the year of the chosen period.",
    },
    # indicators
    "indicators_title": {"da": "Indikatorkatalog", "en": "Indicator catalogue"},
    "indicator": {"da": "Indikator", "en": "Indicator"},
    "value": {"da": "Værdi", "en": "Value"},
    "crude": {"da": "Rå værdi", "en": "Crude"},
    "standardised": {"da": "Standardiseret (alder og køn)", "en": "Standardised (age and sex)"},
    "ci": {"da": "95 %-KI", "en": "95 % CI"},
    "numerator": {"da": "Tæller", "en": "Numerator"},
    "denominator": {"da": "Nævner", "en": "Denominator"},
    "units": {"da": "Enheder", "en": "Units"},
    "events": {"da": "Hændelser", "en": "Events"},
    "unit": {"da": "Enhed", "en": "Unit"},
    "better": {"da": "Bedre er", "en": "Better is"},
    "better_lower": {"da": "lavere", "en": "lower"},
    "better_higher": {"da": "højere", "en": "higher"},
    "better_neither": {"da": "hverken højere eller lavere", "en": "neither higher nor lower"},
    "trend": {"da": "Udvikling", "en": "Trend"},
    "signal": {"da": "Signal", "en": "Signal"},
    "signal_runs": {"da": "Ikke-tilfældig variation (Anhøjs regler)", "en": "Non-random variation (Anhøj rules)"},
    "signal_sigma": {"da": "Punkt uden for kontrolgrænserne", "en": "Point outside the control limits"},
    "signal_none": {"da": "Ingen signaler: tilfældig variation", "en": "No signals: random variation"},
    "centre_line": {"da": "Centerlinje", "en": "Centre line"},
    "lcl": {"da": "Nedre kontrolgrænse", "en": "Lower control limit"},
    "ucl": {"da": "Øvre kontrolgrænse", "en": "Upper control limit"},
    "chart_type": {"da": "Diagram", "en": "Chart"},
    "funnel": {"da": "Tragtdiagram: kommunerne sammenlignet", "en": "Funnel plot: municipalities compared"},
    "tilemap": {"da": "Kommunekort (felter)", "en": "Municipality tile map"},
    "tilemap_note": {
        "da": "Hvert felt er en kommune, placeret omtrent som på landkortet (Bornholm ved hovedstaden).",
        "en": "Each tile is a municipality, placed roughly as on the map (Bornholm next to the capital).",
    },
    "comparison": {"da": "Sammenligning af kommuner", "en": "Comparison of municipalities"},
    "funnel_target": {"da": "Værdi for hele befolkningen", "en": "Value for the whole population"},
    "within": {"da": "Inden for grænserne", "en": "Within the limits"},
    "above": {"da": "Over 99,8 %-grænsen", "en": "Above the 99.8 % limit"},
    "below": {"da": "Under 99,8 %-grænsen", "en": "Below the 99.8 % limit"},
    "above95": {"da": "Over 95 %-grænsen", "en": "Above the 95 % limit"},
    "below95": {"da": "Under 95 %-grænsen", "en": "Below the 95 % limit"},
    "hidden": {"da": "Skjult (<5)", "en": "Hidden (<5)"},
    "no_funnel_mean": {
        "da": "Gennemsnit sammenlignes med konfidensintervaller i stedet for tragtgrænser.",
        "en": "Means are compared with confidence intervals instead of funnel limits.",
    },
    "stratum_note": {
        "da": "Indikatorerne er opdelt på enten køn eller aldersgruppe, ikke begge; her vises aldersgruppen.",
        "en": "Indicators are broken down by sex or by age group, not both; the age group is shown here.",
    },
    "no_data": {"da": "Ingen data for dette valg.", "en": "No data for this selection."},
    "source": {"da": "Kilde", "en": "Source"},
    "approximation": {"da": "Hvor vi tilnærmer", "en": "Where we approximate"},
    "latest": {"da": "Seneste", "en": "Latest"},
    # targets
    "targets_title": {"da": "Sundhedsrådets mål", "en": "The health council's targets"},
    "target": {"da": "Mål", "en": "Target"},
    "target_value": {"da": "Målværdi", "en": "Target value"},
    "target_date": {"da": "Frist", "en": "Deadline"},
    "direction": {"da": "Retning", "en": "Direction"},
    "at_most": {"da": "højst", "en": "at most"},
    "at_least": {"da": "mindst", "en": "at least"},
    "status": {"da": "Status", "en": "Status"},
    "on_track": {"da": "På rette vej", "en": "On track"},
    "off_track": {"da": "Ikke på rette vej", "en": "Off track"},
    "unknown": {"da": "Kan ikke vurderes", "en": "Cannot be assessed"},
    "projected": {"da": "Fremskrevet til fristen", "en": "Projected to the deadline"},
    "targets_rule": {
        "da": "På rette vej: seneste værdi opfylder målet, eller den lineære tendens i de seneste kvartaler når målet inden fristen.",
        "en": "On track: the latest value meets the target, or the linear trend of the recent quarters reaches it by the deadline.",
    },
    # risk / evaluation
    "risk_title": {"da": "Kohorter og risiko", "en": "Cohorts and risk"},
    "evaluation_title": {"da": "Evaluering", "en": "Evaluation"},
    "not_available": {"da": "Endnu ikke tilgængelig", "en": "Not yet available"},
    "risk_pending": {
        "da": "Siden fyldes, når risikomodulet har skrevet risikoscorer i lageret (tabeller risk__*).",
        "en": "This page fills when the risk module has written risk scores into the warehouse (tables risk__*).",
    },
    "evaluation_pending": {
        "da": "Siden fyldes, når evalueringsresultater findes i lageret (tabeller evaluation__*).",
        "en": "This page fills when evaluation results exist in the warehouse (tables evaluation__*).",
    },
    "segment": {"da": "Segment", "en": "Segment"},
    "risk_area_note": {
        "da": "Risikosegmenterne er opgjort pr. kommune og for hele befolkningen; her vises hele befolkningen.",
        "en": "Risk segments are summarised by municipality and for the whole population; the whole population is shown.",
    },
    "admitted": {"da": "Indlagte borgere (12 mdr.)", "en": "Citizens admitted (12 months)"},
    "acute_admissions": {"da": "Akutte indlæggelser (12 mdr.)", "en": "Acute admissions (12 months)"},
    "cost_before": {"da": "Udgift pr. borger, året før (kr.)", "en": "Cost per citizen, year before (DKK)"},
    "mortality_12m": {"da": "Døde inden 12 mdr. (%)", "en": "Died within 12 months (%)"},
    "reference_date": {"da": "Opgørelsesdag", "en": "Reference day"},
    "table": {"da": "Tabel", "en": "Table"},
    # report
    "report_title": {"da": "Mødemateriale: sundhedsrådets overblik", "en": "Meeting report: the health council's overview"},
    "generated": {"da": "Dannet", "en": "Generated"},
    "api_title": {"da": "API-oversigt", "en": "API overview"},
    "api_intro": {
        "da": "Alle sider bygger på dette JSON-API. Den maskinlæsbare beskrivelse findes på /openapi.json.",
        "en": "Every page is built on this JSON API. The machine-readable description is at /openapi.json.",
    },
}

CONDITION_NAMES: dict[str, dict[str, str]] = {
    "t1d": {"da": "Type 1-diabetes", "en": "Type 1 diabetes"},
    "t2d": {"da": "Type 2-diabetes", "en": "Type 2 diabetes"},
    "copd": {"da": "KOL", "en": "COPD"},
    "asthma": {"da": "Astma", "en": "Asthma"},
    "heart_failure": {"da": "Hjertesvigt", "en": "Heart failure"},
    "dementia": {"da": "Demens", "en": "Dementia"},
    "osteoporosis": {"da": "Knogleskørhed", "en": "Osteoporosis"},
    "ra": {"da": "Leddegigt", "en": "Rheumatoid arthritis"},
    "schizophrenia": {"da": "Skizofreni", "en": "Schizophrenia"},
}

_MONTHS = {
    "da": ["jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"],
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
}


def check_lang(lang: str) -> str:
    """Return ``lang`` if it is a supported language, else raise ``ValueError``."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    return lang


def t(key: str, lang: str = "da") -> str:
    """The text ``key`` in ``lang``; Danish when the English text is missing.

    Example
    -------
    >>> t("nav_targets"), t("nav_targets", "en")
    ('Mål', 'Targets')
    """
    entry = TEXT[key]
    return entry.get(lang) or entry["da"]


def strings(lang: str) -> dict[str, str]:
    """All texts in one language (for templates)."""
    return {k: t(k, lang) for k in TEXT}


def fmt_number(value: object, decimals: int = 1, lang: str = "da", suppressed: bool = False) -> str:
    """A gated number as text: 1.234,5 (da) or 1,234.5 (en); the policy's "<5" when suppressed.

    Example
    -------
    >>> fmt_number(1234.5), fmt_number(1234.5, 1, "en"), fmt_number(3, 0, suppressed=True)
    ('1.234,5', '1,234.5', '<5')
    """
    return render_value(value, bool(suppressed), decimals, check_lang(lang))


def fmt_count(value: object, lang: str = "da", suppressed: bool = False) -> str:
    """A gated count as text: 12.345 (da), 12,345 (en) or "<5".

    Example
    -------
    >>> fmt_count(12345), fmt_count(12345, "en"), fmt_count(None, suppressed=True)
    ('12.345', '12,345', '<5')
    """
    return render_count(value, bool(suppressed), lang=check_lang(lang))


def fmt_date(day: date, lang: str = "da") -> str:
    """A date as 23.11.2026 (da) or 23 Nov 2026 (en).

    Example
    -------
    >>> fmt_date(date(2026, 11, 23)), fmt_date(date(2026, 11, 23), "en")
    ('23.11.2026', '23 Nov 2026')
    """
    if check_lang(lang) == "da":
        return day.strftime("%d.%m.%Y")
    return f"{day.day} {_MONTHS['en'][day.month - 1]} {day.year}"


def fmt_period(label: str, lang: str = "da") -> str:
    """A period label as text: '2024' -> 2024, '2024-Q1' -> 1. kvt. 2024, '2024-03' -> mar 2024.

    Example
    -------
    >>> fmt_period("2024-Q1"), fmt_period("2024-Q1", "en"), fmt_period("2024-03")
    ('1. kvt. 2024', 'Q1 2024', 'mar 2024')
    """
    text = str(label)
    if len(text) == 4:
        return text
    year, part = text.split("-")
    if part.startswith("Q"):
        return f"{part[1]}. kvt. {year}" if lang == "da" else f"{part} {year}"
    return f"{_MONTHS[check_lang(lang)][int(part) - 1]} {year}"


def min_cell_text() -> str:
    """The suppression mark of the default policy ("<5")."""
    return f"<{DEFAULT_POLICY.min_cell}"
