"""Days alive and out of hospital in the window after discharge."""

import ibis

from klynge.indicators.helpers import discharges

_US_PER_HOUR = 3_600_000_000


def units(ctx):
    days = int(ctx.params.get("days", 30))
    d = discharges(ctx, days)
    window_end = d.end_time + ibis.interval(hours=24 * days)   # 30 x 24 h, also across DST
    d = d.mutate(window_end=window_end)
    st = ctx.stays
    s = st.select(sp=st.person_id, ss=st.start_time, se=st.end_time, so=st.ongoing)
    j = d.left_join(s, [d.person_id == s.sp, s.ss > d.end_time, s.ss < d.window_end])
    # Hours of later stays inside the window (a stay running past the window is cut at its end).
    # A stay still going on at the end of the data (a contact without end) runs past the window:
    # its end_time is only the latest instant known so far (its start, for a single open contact).
    # Hours are elapsed real time, also across a daylight-saving change.
    cut_end = ibis.ifelse(j.so.fill_null(False), j.window_end, ibis.least(j.se, j.window_end))
    hours = (cut_end.delta(j.ss, unit="microsecond").cast("float64") / _US_PER_HOUR).fill_null(0)
    inside = j.group_by(["stay_id", "person_id", "discharge_date", "end_time", "window_end"]).agg(hosp_h=hours.sum())
    p = ctx.table("person").select(pp=ctx.table("person").person_id, death=ctx.table("person").death_date)
    k = inside.join(p, inside.person_id == p.pp)
    dead = ibis.cases((k.death.isnull(), 0), else_=ibis.greatest(
        (k.discharge_date + ibis.interval(days=days)).delta(k.death, unit="day"), 0))
    value = ibis.greatest(days - k.hosp_h / 24.0 - dead.cast("float64"), 0.0)
    return k.select("person_id", date=k.discharge_date, numerator=value, denominator=ibis.literal(1.0))
