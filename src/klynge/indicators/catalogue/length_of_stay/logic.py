"""Length of stay of somatic admissions."""

import ibis


def units(ctx):
    a = ctx.admissions
    a = a.filter(a.discharge_date.notnull(), a.discharge_date >= ctx.lit(ctx.start), a.discharge_date <= ctx.lit(ctx.end))
    return a.select("person_id", date=a.discharge_date, numerator=a.duration_hours / 24.0, denominator=ibis.literal(1.0))
