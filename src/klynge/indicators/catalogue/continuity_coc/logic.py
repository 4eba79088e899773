"""Continuity of GP care per person and calendar year: Bice-Boxerman COC or UPC."""

import ibis


def _contacts(ctx, *columns):
    """The GP contacts of the period with their year, and only the columns asked for.

    Two uses of the contacts select different columns: two scans, where one shared expression
    would be materialised by DuckDB for both (a copy of every contact).
    """
    g = ctx.table("gp_contact").select("person_id", "contact_date", *columns)
    g = g.filter(g.contact_date >= ctx.lit(ctx.start), g.contact_date <= ctx.lit(ctx.end))
    return g.mutate(year=g.contact_date.year())


def units(ctx):
    # The unit is dated 1 July; when the person's counted contacts of the year all lie before or
    # after it (born, moved in, died or moved away during the year), the nearest contact date, so
    # that age and municipality are taken on a day the person lived here. The first and last
    # counted contacts come from the same aggregate as the counts (one pass over the contacts).
    if ctx.params.get("measure") == "upc":
        # Usual provider continuity: the share of contacts with the clinic the person is listed with.
        # UPC is about the clinic, so every contact counts, with or without a named doctor.
        g = _contacts(ctx, "clinic_id")
        lst = ctx.table("gp_listing")
        own = g.join(lst, [g.person_id == lst.person_id, g.clinic_id == lst.clinic_id, lst.valid_from <= g.contact_date,
                           lst.valid_to.isnull() | (lst.valid_to > g.contact_date)])
        own = own.group_by(["person_id", "year"]).agg(n_own=own.count())
        g = _contacts(ctx)
        tot = g.group_by(["person_id", "year"]).agg(
            n=g.count(), first=g.contact_date.min(), last=g.contact_date.max()
        )
        t = tot.left_join(own, ["person_id", "year"]).filter(ibis._.n >= 2)
        t = t.mutate(value=t.n_own.fill_null(0).cast("float64") / t.n)
    else:
        # Bice-Boxerman COC: contacts per named doctor (provider_id identifies the doctor, in
        # whichever clinic the contact took place); contacts without a named doctor are left out.
        g = _contacts(ctx, "provider_id")
        g = g.filter(g.provider_id.notnull())
        per_doctor = g.group_by(["person_id", "year", "provider_id"]).agg(
            n=g.count(), first=g.contact_date.min(), last=g.contact_date.max()
        )
        t = per_doctor.group_by(["person_id", "year"]).agg(
            total=per_doctor.n.sum(), sq=(per_doctor.n ** 2).sum(), first=per_doctor["first"].min(),
            last=per_doctor["last"].max(),
        )
        t = t.filter(t.total >= 2)
        t = t.mutate(value=(t.sq - t.total).cast("float64") / (t.total * (t.total - 1)))
    date = ibis.least(ibis.greatest(ibis.date(t.year, 7, 1), t["first"]), t["last"])
    return t.select("person_id", date=date, numerator=t.value, denominator=ibis.literal(1.0))
