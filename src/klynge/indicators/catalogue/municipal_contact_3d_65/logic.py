"""An active municipal nursing or care service on days 0-3 after discharge."""

import ibis

from klynge.indicators.helpers import discharges

GROUPS = ["home_nursing", "personal_care", "practical_help", "temporary_stay"]


def units(ctx):
    days = int(ctx.params.get("days", 3))
    d = discharges(ctx, days)
    s = ctx.table("municipal_service")
    s = s.filter(s.service_group.isin(GROUPS)).select(sp=s.person_id, s_from=s.start_date, s_to=s.end_date)
    j = d.left_join(s, [d.person_id == s.sp, s.s_from <= d.discharge_date + ibis.interval(days=days),
                        s.s_to.isnull() | (s.s_to > d.discharge_date)])
    u = j.group_by(["stay_id", "person_id", "discharge_date"]).agg(hit=j.sp.notnull().any())
    return u.select("person_id", date=u.discharge_date, numerator=u.hit.cast("float64"), denominator=ibis.literal(1.0))
