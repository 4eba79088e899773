"""Personal-care minutes on the 1st of each month against 8 weeks earlier (the PATINA rule, §6)."""

import ibis
import pandas as pd


def units(ctx):
    share = float(ctx.params.get("share", 0.2))
    weeks = int(ctx.params.get("weeks", 8))
    months = pd.date_range(pd.Timestamp(ctx.start) + pd.DateOffset(weeks=weeks), ctx.end, freq="MS")
    m = ibis.memtable({"day": [d.date() for d in months]})
    s = ctx.table("municipal_service")
    s = s.filter(s.service_group == "personal_care", s.minutes_per_week.notnull())

    def minutes_on(offset_days: int, name: str):
        day = m.day - ibis.interval(days=offset_days)
        j = m.mutate(at=day).join(s, [s.start_date <= ibis._.at, s.end_date.isnull() | (s.end_date > ibis._.at)])
        return j.group_by(["person_id", "day"]).agg(**{name: j.minutes_per_week.sum()})

    now = minutes_on(0, "now")
    before = minutes_on(7 * weeks, "before")
    both = now.join(before, ["person_id", "day"])
    both = both.filter(both.now > 0, both.before > 0)
    rising = (both.now > both.before * (1 + share)).cast("float64")
    return both.select("person_id", date=both.day, numerator=rising, denominator=ibis.literal(1.0))
