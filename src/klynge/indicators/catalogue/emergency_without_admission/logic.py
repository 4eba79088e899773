"""Acute somatic stays that end within 12 hours (no admission, §2.1)."""

import ibis


def units(ctx):
    s = ctx.stays
    s = s.filter(s.acute, ~s.is_admission, ~s.ongoing, s.branch == "somatic",
                 s.admission_date >= ctx.lit(ctx.start), s.admission_date <= ctx.lit(ctx.end))
    return s.select("person_id", date=s.admission_date, numerator=ibis.literal(1.0), denominator=ibis.literal(0.0))
