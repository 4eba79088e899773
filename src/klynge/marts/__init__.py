"""Marts: the population overview, aggregated inside the engine from the input and core tables.

Each public function takes an Ibis connection to a warehouse and returns a tidy (long) pandas
DataFrame: one row per period and cell, explicit count columns and the values derived from
them, gated by the privacy gate unless ``gated=False``. Periods are calendar years (``'2024'``),
quarters (``'2024-Q1'``) or months (``'2024-03'``) of the build's study period.

* `population_by`: persons at the period start and mean population (person-years).
* `sector_overlap`: persons by the combination of hospital, municipal care and GP contact.
* `chronic_conditions`, `multimorbidity`: the nine RUKS conditions (approximated) at the
  period start: prevalence, and persons by number of conditions.
* `cost_per_citizen`: cost by sector from documented unit prices (`load_unit_prices`).
* `write_overview`: all of these as ``marts__*`` warehouse tables.

The rules, unit prices and approximations are described in ``docs/overview.md``.
"""

from klynge.marts._chronic import chronic_conditions, multimorbidity
from klynge.marts._cost import cost_per_citizen
from klynge.marts._population import population_by
from klynge.marts._prices import load_unit_prices
from klynge.marts._sectors import sector_overlap
from klynge.marts._write import OVERVIEW_TABLES, write_overview

__all__ = [
    "OVERVIEW_TABLES",
    "chronic_conditions",
    "cost_per_citizen",
    "load_unit_prices",
    "multimorbidity",
    "population_by",
    "sector_overlap",
    "write_overview",
]
