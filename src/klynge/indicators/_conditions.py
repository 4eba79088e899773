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
import yaml

from klynge.core import input_table


@cache
def condition_rules() -> dict[str, Any]:
    """The parsed `conditions.yaml` (version and rules)."""
    text = resources.files("klynge.indicators").joinpath("conditions.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _prefix_match(column: ibis.Value, prefixes: list[str]) -> ibis.Value:
    return ibis.or_(*[column.startswith(p) for p in prefixes])


def conditions_expr(con) -> ibis.Table:
    """One row per person and condition: `person_id`, `condition`, `first_date`, `via`."""
    rules = condition_rules()["conditions"]
    contact = input_table(con, "hospital_contact")
    diagnosis = input_table(con, "diagnosis")
    rx = input_table(con, "prescription")
    person = input_table(con, "person").select("person_id", "birth_date")
    dx = diagnosis.filter(diagnosis.diagnosis_type.isin(["A", "B"]), ~diagnosis.refuted.fill_null(False))
    dx = dx.join(contact.select("contact_id", "person_id", day=contact.start_time.date()), "contact_id")
    dx = dx.join(person, "person_id")
    rx = rx.join(person, "person_id")
    parts = []
    for name, rule in rules.items():
        d = dx.filter(_prefix_match(dx.diagnosis_code, rule["diagnoses"]))
        if "min_age" in rule:
            d = d.filter(d.day >= d.birth_date + ibis.interval(years=rule["min_age"]))
        parts.append(d.group_by("person_id").agg(first_date=d.day.min()).mutate(condition=ibis.literal(name),
                                                                                via=ibis.literal("diagnosis")))
        med = rule.get("medication")
        if med:
            m = rx.filter(_prefix_match(rx.atc, med["atc"]))
            if med.get("exclude_atc"):
                m = m.filter(~_prefix_match(m.atc, med["exclude_atc"]))
            if "min_age" in med:
                m = m.filter(m.dispensing_date >= m.birth_date + ibis.interval(years=med["min_age"]))
            if "max_age" in med:
                m = m.filter(m.dispensing_date < m.birth_date + ibis.interval(years=med["max_age"] + 1))
            k = med.get("purchases", 1)
            if k > 1:
                # The k-th redemption counts when the (k-1)-th before it lies within the window.
                w = ibis.window(group_by="person_id", order_by="dispensing_date")
                m = m.mutate(earlier=m.dispensing_date.lag(k - 1).over(w))
                m = m.filter(m.earlier.notnull(),
                             m.dispensing_date <= m.earlier + ibis.interval(days=med.get("within_days", 365)))
            parts.append(m.group_by("person_id").agg(first_date=m.dispensing_date.min())
                         .mutate(condition=ibis.literal(name), via=ibis.literal("medication")))
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
    ruled = {name: rule for name, rule in rules.items() if rule.get("not_if") or rule.get("medication_not_if")}
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
