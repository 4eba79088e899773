"""Bed days of admissions discharged from a medical specialty (§2.5)."""

import ibis

from klynge.contracts import codes

MEDICAL = [s for s, (_, medical) in codes.SPECIALTIES.items() if medical]


def units(ctx):
    a = ctx.admissions
    a = a.filter(a.discharge_date.notnull(), a.discharge_date >= ctx.lit(ctx.start),
                 a.discharge_date <= ctx.lit(ctx.end), a.discharge_specialty.isin(MEDICAL))
    return a.select("person_id", date=a.discharge_date, numerator=a.duration_hours / 24.0,
                    denominator=ibis.literal(0.0))
