"""The short population overview printed by `klynge demo` and `klynge overview`.

All numbers are aggregates built with Ibis on the warehouse and passed through the privacy
gate before they are shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import ibis
import pandas as pd

from klynge.core import age_on
from klynge.privacy import gate


@dataclass
class Overview:
    """Gated tables of the overview, keyed by name."""

    reference_date: date
    tables: dict[str, pd.DataFrame]


def _age_band(age: ibis.Value) -> ibis.Value:
    return ibis.cases(
        (age < 18, "0-17"), (age < 65, "18-64"), (age < 80, "65-79"), else_="80+"
    )


def population_overview(con, reference_date: date | None = None) -> Overview:
    """Persons by age band and municipality, contacts by sector, admissions and deaths.

    `reference_date` (default: the last day of the build period) is the day on which persons are
    counted by age and municipality.
    """
    if reference_date is None:
        period = con.table("core__person_time").month.max().execute()
        reference_date = (pd.Timestamp(period) + pd.offsets.MonthEnd(0)).date()
    ref = ibis.literal(reference_date)
    person = con.table("input__person")
    residence = con.table("input__residence")
    alive = person.filter(person.birth_date <= ref, person.death_date.isnull() | (person.death_date > ref))
    res = residence.filter(residence.valid_from <= ref, residence.valid_to.isnull() | (residence.valid_to > ref))
    joined = alive.join(res, "person_id")
    age = age_on(joined.birth_date, ref)   # completed years (Ibis .delta counts year boundaries)
    by_age = (joined.mutate(age_band=_age_band(age))
              .group_by(["municipality_code", "age_band"]).agg(persons=ibis._.count()))
    municipality = con.table("ref__municipality").select("municipality_code", "name")
    by_age = by_age.join(municipality, "municipality_code").execute()
    pivot = by_age.pivot_table(index=["municipality_code", "name"], columns="age_band", values="persons",
                               aggfunc="sum", fill_value=0).reset_index()
    bands = [c for c in ["0-17", "18-64", "65-79", "80+"] if c in pivot.columns]
    pivot["total"] = pivot[bands].sum(axis=1)

    counts = []
    for label, table, key in (("Sygehus: kontakter", "input__hospital_contact", "person_id"),
                              ("Kommune: ydelser", "input__municipal_service", "person_id"),
                              ("Almen praksis: kontakter", "input__gp_contact", "person_id")):
        t = con.table(table)
        row = t.aggregate(events=t.count(), persons=t[key].nunique()).execute().iloc[0]
        counts.append({"sector": label, "events": int(row["events"]), "persons": int(row["persons"])})
    sectors = pd.DataFrame(counts)

    stay = con.table("core__stay")
    adm = stay.filter(stay.is_admission)
    by_year = (adm.mutate(year=adm.admission_date.year(), acute=adm.acute.cast("int64"))
               .group_by("year").agg(admissions=ibis._.count(), acute=ibis._.acute.sum(),
                                     persons=ibis._.person_id.nunique())
               .order_by("year").execute())
    deaths = (person.filter(person.death_date.notnull())
              .mutate(year=person.death_date.year())
              .group_by("year").agg(deaths=ibis._.count()).execute())
    in_hosp = (stay.filter(stay.died_in_stay).mutate(year=stay.discharge_date.year())
               .group_by("year").agg(deaths_in_hospital=ibis._.count()).execute())
    yearly = by_year.merge(deaths, on="year", how="outer").merge(in_hosp, on="year", how="left").fillna(0)
    yearly = yearly.sort_values("year")
    tables = {
        "persons": gate(pivot, [*bands, "total"]),
        "sectors": gate(sectors, ["events", "persons"]),
        "yearly": gate(yearly.astype({"year": int}), ["admissions", "acute", "persons", "deaths", "deaths_in_hospital"]),
    }
    return Overview(reference_date, tables)
