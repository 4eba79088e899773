"""Building blocks for indicator logic: discharges and what follows them."""

import ibis


def discharges(ctx, follow_up_days: int = 0):
    """Somatic admissions ending alive in the period, with room for `follow_up_days` after."""
    a = ctx.admissions
    last = ctx.lit(ctx.end) - ibis.interval(days=follow_up_days)
    return a.filter(~a.died_in_stay, a.discharge_date.notnull(), a.discharge_date >= ctx.lit(ctx.start),
                    a.discharge_date <= last)


def followed_by(ctx, events, event_date: str, days: int, start_offset: int = 0):
    """Discharges (with follow-up) and whether an event of the same person falls on
    discharge day + start_offset .. discharge day + days."""
    d = discharges(ctx, days)
    e = events.select(ep=events.person_id, ed=events[event_date])
    j = d.left_join(e, [d.person_id == e.ep, e.ed >= d.discharge_date + ibis.interval(days=start_offset),
                        e.ed <= d.discharge_date + ibis.interval(days=days)])
    u = j.group_by(["stay_id", "person_id", "discharge_date"]).agg(hit=j.ed.notnull().any())
    return u.select("person_id", date=u.discharge_date, numerator=u.hit.cast("float64"), denominator=ibis.literal(1.0))
