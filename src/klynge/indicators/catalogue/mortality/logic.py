"""Deaths, dated on the day of death."""

import ibis


def units(ctx):
    p = ctx.table("person")
    p = p.filter(p.death_date.notnull(), p.death_date >= ctx.lit(ctx.start), p.death_date <= ctx.lit(ctx.end))
    # The death counts in the month (quarter, year) of the day of death, with the age and the
    # municipality of residence on that day (a resident lives there until death; `valid_to` is
    # exclusive). A death on the 1st falls in that month, not the one before, and a death on the
    # period's first day stays in the period. Person-time stops the day before, so such a unit
    # may lie in a cell without person-time: it counts in the crude value (see _aggregate).
    return p.select("person_id", date=p.death_date, numerator=ibis.literal(1.0), denominator=ibis.literal(0.0))
