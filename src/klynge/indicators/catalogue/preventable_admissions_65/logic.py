"""Preventable admissions among the 65+ (§2.2)."""

import ibis

from klynge.indicators import matches


def units(ctx):
    a = ctx.admissions
    a = a.filter(a.acute, a.admission_date >= ctx.lit(ctx.start), a.admission_date <= ctx.lit(ctx.end),
                 matches(a.action_diagnosis.fill_null(""), "preventable_admissions"))
    return a.select("person_id", date=a.admission_date, numerator=ibis.literal(1.0), denominator=ibis.literal(0.0))
