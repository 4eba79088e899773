"""Cost per citizen by sector, from configurable unit prices (``unit_prices.yaml``).

Rules (each cost goes to the period of its date and to the person's cell in that period):

* hospital, per stay of ``core__stay`` by admission date: an admission (≥ 12 h) costs its
  price per stay plus its price per bed day × nights (discharge date - admission date), acute
  or planned by the first contact's priority; an acute stay under 12 h is an emergency visit;
  a planned stay under 12 h costs the outpatient price per physical contact. Each virtual
  (ALCA03) and home-visit (ALCA10) contact costs its price, by start date.
* municipality, per service and day active in the period (and alive): hourly services cost
  planned minutes per week / 60 × days / 7 × price per hour; stays cost days × price per day.
* gp: each contact by kind, on its date.
* medicine: each redeemed prescription, DDD × the price per DDD of its ATC main group.

Only persons in the period's population (alive and resident on some day) are costed; their
costs go to their cell on their first resident day (see `klynge.marts._population`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from klynge.core import input_table
from klynge.marts._grid import complete, labels
from klynge.marts._output import finish
from klynge.marts._periods import in_period, overlapping
from klynge.marts._population import period_population, report_periods, with_age_band
from klynge.marts._prices import load_unit_prices

COST_SECTORS = ("hospital", "municipality", "gp", "medicine")
COST_COLUMNS = (
    "period", "sector", "municipality_code", "age_band", "age_band_start",
    "cost", "users", "persons", "cost_per_citizen",
)
VIRTUAL, HOME_VISIT = "ALCA03", "ALCA10"
_OPEN = ibis.date(9999, 12, 31)


def _lookup(value: ir.Value, prices: Mapping[str, float], default: float = 0.0) -> ir.FloatingValue:
    """The price of ``value`` in ``prices`` (``default`` when absent), as an expression."""
    cases = [(value == key, ibis.literal(float(price))) for key, price in prices.items()]
    if not cases:
        return ibis.literal(float(default))
    return ibis.cases(*cases, else_=ibis.literal(float(default)))


def hospital_costs(con: Any, prices: Mapping[str, Any], period: str, periods: ir.Table) -> ir.Table:
    """``person_id``, ``period``, ``cost`` for every hospital stay and non-physical contact."""
    h = prices["hospital"]
    stay = con.table("core__stay")
    # Nights in hospital; an ongoing stay counts up to the latest time known.
    nights = ibis.coalesce(stay.discharge_date, stay.end_time.date()).delta(stay.admission_date, unit="day")
    acute, planned = h["acute_admission"], h["planned_admission"]
    cost = ibis.cases(
        (stay.is_admission & stay.acute, acute["per_stay"] + acute["per_bed_day"] * nights),
        (stay.is_admission, planned["per_stay"] + planned["per_bed_day"] * nights),
        (stay.acute, ibis.literal(float(h["emergency_visit"]))),
        else_=h["outpatient_physical"] * stay.n_contacts,
    )
    stays = in_period(stay.mutate(cost=cost.cast("float64")), stay.admission_date, period, periods)
    contact = input_table(con, "hospital_contact")
    other = contact.filter(contact.contact_type.isin([VIRTUAL, HOME_VISIT]))
    other = other.mutate(cost=_lookup(other.contact_type, {VIRTUAL: h["outpatient_virtual"],
                                                           HOME_VISIT: h["outpatient_home_visit"]}))
    other = in_period(other, other.start_time.date(), period, periods)
    return stays.select("person_id", "period", "cost").union(other.select("person_id", "period", "cost"))


def municipal_costs(con: Any, prices: Mapping[str, Any], periods: ir.Table) -> ir.Table:
    """``person_id``, ``period``, ``cost`` for every municipal service active in a period."""
    m = prices["municipality"]
    service = input_table(con, "municipal_service")
    death = input_table(con, "person").select("person_id", "death_date")
    s = service.join(death, "person_id")
    # A service ends at its end date or at death, whichever comes first (both exclusive).
    s = s.mutate(_until=ibis.least(s.end_date.fill_null(_OPEN), s.death_date.fill_null(_OPEN)))
    j = overlapping(s, "start_date", "_until", periods)
    days = j._hi.delta(j._lo, unit="day").cast("float64")
    hours = j.minutes_per_week.fill_null(0) / 60 * days / 7
    cost = hours * _lookup(j.service_group, m["per_hour"]) + days * _lookup(j.service_group, m["per_day"])
    return j.select("person_id", "period", cost=cost)


def gp_costs(con: Any, prices: Mapping[str, Any], period: str, periods: ir.Table) -> ir.Table:
    """``person_id``, ``period``, ``cost`` for every GP contact."""
    gp = input_table(con, "gp_contact")
    gp = in_period(gp, gp.contact_date, period, periods)
    return gp.select("person_id", "period", cost=_lookup(gp.kind, prices["gp"]["per_contact"]))


def medicine_costs(con: Any, prices: Mapping[str, Any], period: str, periods: ir.Table) -> ir.Table:
    """``person_id``, ``period``, ``cost`` for every redeemed prescription (DDD × price)."""
    med = prices["medicine"]
    rx = input_table(con, "prescription")
    rx = in_period(rx, rx.dispensing_date, period, periods)
    per_ddd = _lookup(rx.atc.substr(0, 1), med["per_ddd_by_atc_group"], med["per_ddd"])
    return rx.select("person_id", "period", cost=rx.ddd.fill_null(0) * per_ddd)


def cost_expr(
    con: Any,
    period: str = "year",
    prices: str | Path | Mapping[str, Any] | None = None,
    population: ir.Table | None = None,
) -> ir.Table:
    """The expression behind `cost_per_citizen` (``population``: a `period_population` to reuse)."""
    unit = load_unit_prices(prices)
    periods = report_periods(con, period)
    if population is None:
        population = period_population(con, periods)
    parts = (hospital_costs(con, unit, period, periods), municipal_costs(con, unit, periods),
             gp_costs(con, unit, period, periods), medicine_costs(con, unit, period, periods))
    # Each sector summed per person and period on its own: the union is then of those sums,
    # not of every contact, and no aggregate needs the sector as a key.
    sums = [p.group_by("person_id", "period").aggregate(cost=p.cost.sum()).mutate(sector=ibis.literal(s))
            for p, s in zip(parts, COST_SECTORS, strict=True)]
    per_person = ibis.union(*sums, distinct=False)
    keys = ("period", "municipality_code", "age_band_start")
    j = per_person.join(population.select("person_id", *keys), ["person_id", "period"])
    counted = j.group_by(*keys, "sector").aggregate(cost=j.cost.sum(), users=j.count())
    cells = population.group_by(*keys).aggregate(persons=population.count())
    t = complete(cells, labels("sector", COST_SECTORS), counted, keys, {"cost": 0.0, "users": 0})
    t = t.mutate(cost_per_citizen=t.cost / t.persons)
    return with_age_band(t).select(*COST_COLUMNS)


def cost_per_citizen(
    con: Any,
    period: str = "year",
    prices: str | Path | Mapping[str, Any] | None = None,
    *,
    gated: bool = True,
) -> pd.DataFrame:
    """Cost by sector (hospital, municipality, gp, medicine), period, municipality and age band.

    Costs are activity × unit price (see the module docstring and ``unit_prices.yaml``); the
    prices are documented orders of magnitude, not actual spending.

    Parameters
    ----------
    con
        Ibis connection to a warehouse with ``input__*``, ``core__stay`` and
        ``core__person_time`` tables.
    period
        ``'year'``, ``'quarter'`` or ``'month'``.
    prices
        Overrides of the packaged unit prices: a YAML file or a mapping of the same structure
        (see `load_unit_prices`).
    gated
        Pass the result through the privacy gate; only switch off inside klynge.

    Returns
    -------
    pandas.DataFrame
        One row per period × sector × municipality × 5-year age band (on the first resident
        day): ``cost`` (DKK), ``users`` (count of persons with a cost in the sector),
        ``persons`` (count: the population, alive and resident on some day of the period) and
        ``cost_per_citizen`` (cost / persons).

    Examples
    --------
    >>> t = cost_per_citizen(con, prices={"medicine": {"per_ddd": 2.5}})  # doctest: +SKIP
    >>> t.query("period == '2024'").groupby("sector").cost.sum().round(-6).to_dict()  # doctest: +SKIP
    {'gp': 17000000.0, 'hospital': 224000000.0, 'medicine': 19000000.0, 'municipality': 199000000.0}
    """
    order = ["period", "sector", "municipality_code", "age_band_start"]
    return finish(cost_expr(con, period, prices), order, ["users", "persons"],
                  {"cost": ["users"], "cost_per_citizen": ["users", "persons"]}, gated=gated)
