"""Deaths, and whether they happened during a hospital stay."""

import ibis


def units(ctx):
    p = ctx.table("person")
    p = p.filter(p.death_date.notnull(), p.death_date >= ctx.lit(ctx.start), p.death_date <= ctx.lit(ctx.end))
    s = ctx.stays
    died = s.filter(s.died_in_stay).select(sp=s.person_id).distinct()
    j = p.left_join(died, p.person_id == died.sp)
    # Dated on the day of death (as mortality): a death on the 1st counts in that month, and a
    # death on the period's first day stays in the period.
    return j.select("person_id", date=j.death_date, numerator=j.sp.notnull().cast("float64"),
                    denominator=ibis.literal(1.0))
