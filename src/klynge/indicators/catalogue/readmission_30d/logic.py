"""Acute 30-day readmission (eSundhed, domain reference §2.4)."""

import ibis

from klynge.indicators import matches

EXCLUDED_REASONS = ["ALCC02", "ALCC03", "ALCC04"]   # accident, violence, suicide attempt


def units(ctx):
    a = ctx.admissions
    dx = a.action_diagnosis.fill_null("")
    days = int(ctx.params.get("days", 30))
    last = ctx.lit(ctx.end) - ibis.interval(days=days)
    index = a.filter(~a.died_in_stay, a.discharge_date.notnull(), a.discharge_date >= ctx.lit(ctx.start),
                     a.discharge_date <= last, ~matches(dx, "readmission_exclusions"))
    readmit = a.filter(a.acute, ~matches(dx, "readmission_exclusions", "birth"),
                       ~a.contact_reason.fill_null("").isin(EXCLUDED_REASONS))
    r = readmit.select(rp=readmit.person_id, rs=readmit.start_time)
    j = index.left_join(r, [index.person_id == r.rp, r.rs >= index.end_time,
                            r.rs <= index.end_time + ibis.interval(hours=24 * days)])
    u = j.group_by(["stay_id", "person_id", "discharge_date"]).agg(hit=j.rs.notnull().any())
    return u.select("person_id", date=u.discharge_date, numerator=u.hit.cast("float64"),
                    denominator=ibis.literal(1.0))
