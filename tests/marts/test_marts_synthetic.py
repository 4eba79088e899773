"""Plausibility of the overview on a small synthetic population (5,000 persons, 2021-2025).

The bounds come from the domain reference (danish-domain.md §4.7-4.8, §5.8-5.9); they are wide
enough for a population this small and narrow enough to catch a wrong rule or unit.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from marts_support import build_source, opened

from klynge.marts import (
    OVERVIEW_TABLES,
    chronic_conditions,
    cost_per_citizen,
    population_by,
    sector_overlap,
    write_overview,
)
from klynge.synth import synthesise

PERSONS = 5_000


@pytest.fixture(scope="module")
def synthetic_con(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A writable warehouse of a synthetic population with the overview tables written."""
    folder = tmp_path_factory.mktemp("synthetic")
    synthesise(folder / "source", persons=PERSONS, seed=7)
    warehouse = build_source(folder / "source", folder / "warehouse", ("2021-01-01", "2025-12-31"))
    with opened(warehouse, writable=True) as con:
        write_overview(con)
        yield con


def _share(t: pd.DataFrame, flag: pd.Series) -> float:
    return float(t[flag].persons.sum() / t.persons.sum())


def test_population_adds_up(synthetic_con: Any) -> None:
    t = population_by(synthetic_con, gated=False)
    assert t.period.unique().tolist() == ["2021", "2022", "2023", "2024", "2025"]
    by_year = t.groupby("period")[["persons_at_start", "mean_population"]].sum()
    assert by_year.persons_at_start.between(0.95 * PERSONS, 1.05 * PERSONS).all()
    assert ((by_year.mean_population / by_year.persons_at_start - 1).abs() < 0.02).all()
    stored = synthetic_con.table("marts__population").to_pandas()
    assert stored.persons_at_start.sum() == t.persons_at_start.sum()


def test_type_2_diabetes_prevalence_among_65_to_74(synthetic_con: Any) -> None:
    t = chronic_conditions(synthetic_con, gated=False)
    cell = t[(t.period == "2025") & t.age_band_start.isin([65, 70]) & (t.condition == "t2d")]
    # RUKS-calibrated ≈ 12 % (§5.9); 2025 has four years of history behind it.
    assert 0.08 <= cell.persons.sum() / cell.population.sum() <= 0.16


def test_municipal_care_by_age(synthetic_con: Any) -> None:
    t = sector_overlap(synthetic_con, gated=False)
    year = t[t.period == "2024"]
    old, young_old, younger = (year[year.age_band_start >= 80], year[year.age_band_start.between(65, 79)],
                               year[year.age_band_start < 65])
    # Any municipal service during a whole year, preventive home visits included: well above
    # the point prevalence of home help (28 %) and nursing homes (10-12 %) among 80+ (§5.8).
    assert 0.45 <= _share(old, old.municipality) <= 0.85
    assert 0.10 <= _share(young_old, young_old.municipality) <= 0.35
    assert _share(younger, younger.municipality) < 0.02
    assert 0.80 <= _share(year, year.gp) <= 1.0  # most citizens see their GP in a year


def test_cost_per_citizen_rises_with_age(synthetic_con: Any) -> None:
    t = cost_per_citizen(synthetic_con, gated=False)
    year = t[t.period == "2024"]
    groups = pd.cut(year.age_band_start, [-1, 17, 44, 64, 79, 200])
    cost = year.groupby(groups, observed=True).cost.sum()
    persons = year[year.sector == "gp"].groupby(groups[year.sector == "gp"], observed=True).persons.sum()
    per_citizen = (cost / persons).tolist()
    assert per_citizen == sorted(per_citizen) and len(per_citizen) == 5
    # Orders of magnitude: tens of thousands of DKK per citizen a year overall, most at 80+.
    overall = year.cost.sum() / year[year.sector == "gp"].persons.sum()
    assert 10_000 <= overall <= 60_000 and per_citizen[-1] > 4 * overall


def test_the_overview_tables_are_written(synthetic_con: Any) -> None:
    counts = {name: synthetic_con.table(name).count().execute() for name in OVERVIEW_TABLES}
    assert all(n > 0 for n in counts.values())
    # Per cell of period × municipality × age band: 8 combinations and 4 sectors; per cell at
    # the period start: 4 classes, and 9 conditions per sex.
    assert counts["marts__sector_overlap"] == 2 * counts["marts__cost"]
    assert counts["marts__multimorbidity"] % 4 == 0 and counts["marts__condition_prevalence"] % 9 == 0
