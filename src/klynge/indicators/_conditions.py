"""RUKS-style chronic conditions from diagnoses and redeemed prescriptions.

The rules live in `conditions.yaml` (an approximation of the official RUKS algorithms, domain
reference §1.3): a person has a condition from the first date of a qualifying diagnosis (type A
or B, not refuted, SKS code matched by prefix) or of a qualifying medication history (the n-th
redemption within a window, within age limits), whichever comes first.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import ibis
import ibis.selectors as s
import yaml

from klynge.core import input_table


@cache
def condition_rules() -> dict[str, Any]:
    """The parsed `conditions.yaml` (version and rules)."""
    text = resources.files("klynge.indicators").joinpath("conditions.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _prefix_match(column: ibis.Value, prefixes: list[str]) -> ibis.Value:
    return ibis.or_(*[column.startswith(p) for p in prefixes])


def _diagnosis_rule(dx: ibis.Table, rule: dict[str, Any]) -> ibis.BooleanValue:
    """Whether a diagnosis row qualifies for the condition of ``rule``."""
    match = _prefix_match(dx.diagnosis_code, rule["diagnoses"])
    if "min_age" in rule:
        match &= dx.day >= dx.birth_date + ibis.interval(years=rule["min_age"])
    return match


def _medication_rule(rx: ibis.Table, med: dict[str, Any]) -> ibis.BooleanValue:
    """Whether a redemption counts towards the medication history of ``med``."""
    match = _prefix_match(rx.atc, med["atc"])
    if med.get("exclude_atc"):
        match &= ~_prefix_match(rx.atc, med["exclude_atc"])
    if "min_age" in med:
        match &= rx.dispensing_date >= rx.birth_date + ibis.interval(years=med["min_age"])
    if "max_age" in med:
        match &= rx.dispensing_date < rx.birth_date + ibis.interval(years=med["max_age"] + 1)
    return match.fill_null(False)


def _medication_qualifies(rx: ibis.Table, flag: str, med: dict[str, Any]) -> ibis.BooleanValue:
    """Whether a redemption makes the medication history qualify: the k-th counting one whose
    (k-1)-th predecessor lies within the window (any counting one when k is 1)."""
    counts = rx[flag]
    k = med.get("purchases", 1)
    if k == 1:
        return counts
    # Counting redemptions are ordered among themselves (the others form their own group).
    w = ibis.window(group_by=["person_id", flag], order_by="dispensing_date")
    earlier = rx.dispensing_date.lag(k - 1).over(w)
    within = rx.dispensing_date <= earlier + ibis.interval(days=med.get("within_days", 365))
    return counts & earlier.notnull() & within


def _as_rows(wide: ibis.Table, conditions: list[str], via: str) -> ibis.Table:
    """``person_id`` and one date column per condition, as rows: person, condition, date, via."""
    long = wide.pivot_longer(s.cols(*conditions), names_to="condition", values_to="first_date")
    long = long.filter(long.first_date.notnull())
    return long.mutate(via=ibis.literal(via)).select("person_id", "first_date", "condition", "via")


def conditions_expr(con) -> ibis.Table:
    """One row per person and condition: `person_id`, `condition`, `first_date`, `via`."""
    rules = condition_rules()["conditions"]
    contact = input_table(con, "hospital_contact")
    diagnosis = input_table(con, "diagnosis")
    rx = input_table(con, "prescription")
    person = input_table(con, "person").select("person_id", "birth_date")
    # Only the codes of some condition are joined with their contacts and persons.
    codes = sorted({p for rule in rules.values() for p in rule["diagnoses"]})
    dx = diagnosis.filter(diagnosis.diagnosis_type.isin(["A", "B"]), ~diagnosis.refuted.fill_null(False),
                          _prefix_match(diagnosis.diagnosis_code, codes))
    dx = dx.join(contact.select("contact_id", "person_id", day=contact.start_time.date()), "contact_id")
    dx = dx.join(person, "person_id")
    atc = sorted({p for rule in rules.values() for p in rule.get("medication", {}).get("atc", [])})
    rx = rx.filter(_prefix_match(rx.atc, atc) if atc else ibis.literal(False)).join(person, "person_id")
    # One pass over the diagnoses and one over the prescriptions, each giving every condition's
    # first qualifying date per person as a column, then turned into rows: the tables are
    # read once, not once per condition.
    dx_first = {name: dx.day.min(where=_diagnosis_rule(dx, rule)) for name, rule in rules.items()}
    medication = {name: rule["medication"] for name, rule in rules.items() if rule.get("medication")}
    rx = rx.mutate(**{f"_m_{name}": _medication_rule(rx, med) for name, med in medication.items()})
    rx = rx.mutate(**{f"_q_{name}": _medication_qualifies(rx, f"_m_{name}", med)
                      for name, med in medication.items()})
    rx_first = {name: rx.dispensing_date.min(where=rx[f"_q_{name}"]) for name in medication}
    parts = [_as_rows(dx.group_by("person_id").agg(**dx_first), list(dx_first), "diagnosis")]
    if rx_first:
        parts.append(_as_rows(rx.group_by("person_id").agg(**rx_first), list(rx_first), "medication"))
    both = ibis.union(*parts)
    # The first date of each condition, and how it was found: by diagnosis when a diagnosis
    # gives that first date (on a tie with a medication history too), else by medication.
    # One aggregate, so that the union is read once (not joined back with its own minimum).
    via = both.group_by(["person_id", "condition"]).agg(
        first_date=both.first_date.min(), _dx_first=both.first_date.min(where=both.via == "diagnosis"))
    via = via.mutate(via=(via._dx_first == via.first_date).fill_null(False).ifelse("diagnosis", "medication"))
    return _apply_hierarchy(via, rules).select("person_id", "condition", "first_date", "via")


def _apply_hierarchy(via: ibis.Table, rules: dict[str, Any]) -> ibis.Table:
    """Drop a condition that another excludes, for persons who have the other.

    The rules apply in their order in `conditions.yaml`, each to what the earlier ones left:
    ``not_if`` drops the condition, ``medication_not_if`` drops it where it was found by
    medication only. Which conditions a person has is read from one window per person, and
    updated rule by rule, so that the table is read once.
    """
    ruled = {name: rule for name, rule in rules.items()
             if rule.get("not_if") or rule.get("medication_not_if")}
    if not ruled:
        return via
    involved = sorted({c for name, rule in ruled.items()
                       for c in (name, *rule.get("not_if", []), *rule.get("medication_not_if", []))})
    person = ibis.window(group_by="person_id")

    def anywhere(condition: ibis.BooleanValue) -> ibis.BooleanValue:
        return condition.cast("int8").max().over(person) == 1

    by_medication = via.via == "medication"
    t = via.mutate(**{f"_has_{c}": anywhere(via.condition == c) for c in involved},
                   **{f"_med_{c}": anywhere((via.condition == c) & by_medication) for c in ruled})
    has = {c: t[f"_has_{c}"] for c in involved}
    keep = ibis.literal(True)
    for name, rule in ruled.items():
        for other in rule.get("not_if", []):
            keep &= (t.condition != name) | ~has[other]
            has[name] = has[name] & ~has[other]
        for other in rule.get("medication_not_if", []):
            keep &= (t.condition != name) | (t.via != "medication") | ~has[other]
            has[name] = has[name] & ~(has[other] & t[f"_med_{name}"])
    return t.filter(keep)
