"""Sector overlap and population on eight hand-made persons (``sectors_con``); an empty warehouse."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from marts_support import Source, opened, rows

from klynge.marts import (
    chronic_conditions,
    cost_per_citizen,
    multimorbidity,
    population_by,
    sector_overlap,
    write_overview,
)


@pytest.fixture(scope="module")
def sectors_con(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Eight persons in 2023-2024 with contacts in every combination of sectors.

    In 2024 (municipality 101, all born 1950-01-01, age band 70-74):
    A hospital+municipality+gp, B gp, C hospital+gp, D municipality, E none, H none;
    F (born 2024-06-01 in 147) gp; G (moved away on 2024-01-01) is outside the population.
    """
    s = Source()
    for pid in "ABCDEH":
        s.person(pid)
    s.person("F", "2024-06-01", municipality="147")
    s.person("G", resident_to="2024-01-01")
    s.contact("A", "2024-03-01 10:00", "2024-03-01 11:00")
    s.service("A", "personal_care", "2024-02-01", "2024-03-01", minutes=60)
    s.gp("A", "2024-04-01")
    s.gp("B", "2024-05-02", "phone")
    s.contact("C", "2024-02-10 09:00", "2024-02-10 09:20", kind="ALCA03")
    # Across midnight at the new year: hospital in 2023 and in 2024.
    s.contact("C", "2023-12-31 23:00", "2024-01-01 01:00", priority="ATA1")
    s.gp("C", "2024-12-31")
    s.service("D", "home_nursing", "2023-06-01", minutes=30)
    s.contact("E", "2023-12-30 10:00", "2023-12-30 12:00")
    s.gp("F", "2024-09-01")
    s.gp("G", "2024-02-01")  # no longer resident: not counted
    # Ends the day before 2024 (end dates are exclusive): municipality in 2023 only.
    s.service("H", "practical_help", "2023-03-01", "2024-01-01", minutes=15)
    with opened(s.build(tmp_path_factory.mktemp("sectors"))) as con:
        yield con


def _persons(frame: pd.DataFrame, period: str, municipality: str) -> dict[str, int]:
    cell = frame[(frame.period == period) & (frame.municipality_code == municipality)]
    return {r.combination: int(r.persons) for r in cell.itertuples() if r.persons}


def test_every_combination_of_sectors_in_2024(sectors_con: Any) -> None:
    t = sector_overlap(sectors_con, gated=False)
    assert _persons(t, "2024", "101") == {
        "hospital+municipality+gp": 1,  # A
        "gp": 1,                        # B
        "hospital+gp": 1,               # C: virtual contact and the new-year contact
        "municipality": 1,              # D: open-ended service
        "none": 2,                      # E, H (H's service ended on 2024-01-01, exclusive)
    }
    assert _persons(t, "2024", "147") == {"gp": 1}  # F, born in 2024, in the 0-4 band
    cell = t[(t.period == "2024") & (t.municipality_code == "101")]
    # All 8 combinations are rows (zeros included); G, no longer resident, is not counted.
    assert len(cell) == 8 and set(cell.population) == {6} and cell.persons.sum() == 6
    assert set(cell.age_band) == {"70-74"}
    assert set(t[t.municipality_code == "147"].age_band) == {"0-4"}
    flags = cell.set_index("combination").loc["hospital+gp", ["hospital", "municipality", "gp"]]
    assert flags.tolist() == [True, False, True]


def test_sector_overlap_in_2023(sectors_con: Any) -> None:
    t = sector_overlap(sectors_con, gated=False)
    # D and H had services; C and E hospital contacts (C's crossing into 2024); F not yet born.
    assert _persons(t, "2023", "101") == {"municipality": 2, "hospital": 2, "none": 3}
    assert set(t[t.period == "2023"].municipality_code) == {"101"}


def test_quarters_and_shares(sectors_con: Any) -> None:
    t = sector_overlap(sectors_con, "quarter", gated=False)
    assert sorted(t.period.unique())[:2] == ["2023-Q1", "2023-Q2"]
    q1 = _persons(t, "2024-Q1", "101")
    # A's hospital contact and service fall in Q1, the GP contact in Q2.
    assert q1 == {"hospital+municipality": 1, "hospital": 1, "municipality": 1, "none": 3}
    cell = t[(t.period == "2024-Q1") & (t.municipality_code == "101")]
    assert cell.share.sum() == pytest.approx(1.0)


def test_gated_sector_overlap_suppresses_small_counts(sectors_con: Any) -> None:
    t = sector_overlap(sectors_con)
    cell = t[(t.period == "2024") & (t.municipality_code == "101")].set_index("combination")
    assert cell.loc["gp", "persons"] is pd.NA and cell.loc["gp", "persons_suppressed"]
    assert cell.loc["gp", "share"] != cell.loc["gp", "share"]  # NaN: rests on a suppressed count
    assert cell.loc["municipality+gp", "persons"] == 0  # 0 is published
    assert cell.loc["none", "population"] == 6


def test_population_at_start_and_mean_population(sectors_con: Any) -> None:
    t = population_by(sectors_con, gated=False)
    got = rows(t, "period", "municipality_code", "sex", "age_band", "persons_at_start", "person_years")
    # 2023: A-E, G, H all year (365 days); 2024: A-E, H (366 days) and F from 1 June (214 days).
    assert [g[:5] for g in got] == [
        ("2023", "101", "F", "70-74", 7),
        ("2024", "101", "F", "70-74", 6),
        ("2024", "147", "F", "0-4", 0),
    ]
    assert [g[5] for g in got] == pytest.approx([7 * 365 / 365.25, 6 * 366 / 365.25, 214 / 365.25])
    assert t.mean_population.tolist() == pytest.approx([7.0, 6.0, 214 / 366])


def test_population_by_month_and_bad_period(sectors_con: Any) -> None:
    t = population_by(sectors_con, "month", gated=False)
    june = t[(t.period == "2024-06") & (t.municipality_code == "147")]
    assert rows(june, "persons_at_start", "mean_population") == [(1, 1.0)]
    assert len(t.period.unique()) == 24
    with pytest.raises(ValueError, match="period must be one of"):
        population_by(sectors_con, "week")


def test_a_warehouse_without_population_gives_empty_marts(tmp_path: Path) -> None:
    s = Source()
    s.person("X", resident_to="1960-01-01")  # emigrated long before the study period
    s.gp("X", "2024-01-05")
    with opened(s.build(tmp_path), writable=True) as con:
        assert con.table("core__person_time").count().execute() == 0
        counts = write_overview(con)
        assert {k: v for k, v in counts.items() if k != "marts__conditions"} == dict.fromkeys(
            ["marts__population", "marts__sector_overlap", "marts__condition_prevalence",
             "marts__multimorbidity", "marts__cost"], 0)
        for frame in (population_by(con), sector_overlap(con), chronic_conditions(con),
                      multimorbidity(con), cost_per_citizen(con)):
            assert frame.empty and "suppressed" in frame.columns
