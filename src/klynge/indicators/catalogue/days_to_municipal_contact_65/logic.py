"""Days from discharge to the first municipal service starting after it."""

import ibis

from klynge.indicators.helpers import discharges

GROUPS = ["home_nursing", "personal_care", "practical_help", "temporary_stay", "rehabilitation"]


def units(ctx):
    d = discharges(ctx, 30)
    s = ctx.table("municipal_service")
    s = s.filter(s.service_group.isin(GROUPS)).select(sp=s.person_id, s_from=s.start_date)
    j = d.join(s, [d.person_id == s.sp, s.s_from >= d.discharge_date, s.s_from <= d.discharge_date + ibis.interval(days=30)])
    u = j.group_by(["stay_id", "person_id", "discharge_date"]).agg(first=j.s_from.min())
    return u.select("person_id", date=u.discharge_date,
                    numerator=u.first.delta(u.discharge_date, unit="day").cast("float64"), denominator=ibis.literal(1.0))
