"""A discharge letter sent within 24 hours of discharge."""

import ibis

from klynge.indicators.helpers import discharges


def units(ctx):
    d = discharges(ctx, 1)
    m = ctx.table("message")
    cs = ctx.table("core__contact_stay")
    # Only letters to general practice: the indicator is about the epikrise to the GP.
    letters = m.filter(m.message_type == "discharge_letter", m.receiver_sector == "gp")
    letters = letters.join(cs, letters.related_contact_id == cs.contact_id)
    letters = letters.select(ls=letters.stay_id, sent=letters.sent_time)
    j = d.left_join(letters, [d.stay_id == letters.ls, letters.sent <= d.end_time + ibis.interval(hours=24)])
    u = j.group_by(["stay_id", "person_id", "discharge_date"]).agg(hit=j.ls.notnull().any())
    return u.select("person_id", date=u.discharge_date, numerator=u.hit.cast("float64"), denominator=ibis.literal(1.0))
