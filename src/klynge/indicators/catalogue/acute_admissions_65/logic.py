"""All acute somatic admissions (the population is set by min_age)."""

import ibis


def units(ctx):
    a = ctx.admissions
    a = a.filter(a.acute, a.admission_date >= ctx.lit(ctx.start), a.admission_date <= ctx.lit(ctx.end))
    return a.select("person_id", date=a.admission_date, numerator=ibis.literal(1.0), denominator=ibis.literal(0.0))
