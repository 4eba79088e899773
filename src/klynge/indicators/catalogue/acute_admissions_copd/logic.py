"""Acute somatic admissions of persons with a chronic condition (§2.3)."""

import ibis


def units(ctx):
    a = ctx.admissions
    a = a.filter(a.acute, a.admission_date >= ctx.lit(ctx.start), a.admission_date <= ctx.lit(ctx.end))
    cond = ctx.table("marts__conditions")
    cond = cond.filter(cond.condition == ctx.params["condition"]).select(cp=cond.person_id, first_date=cond.first_date)
    j = a.join(cond, [a.person_id == cond.cp, cond.first_date <= a.admission_date])
    return j.select("person_id", date=j.admission_date, numerator=ibis.literal(1.0), denominator=ibis.literal(0.0))
