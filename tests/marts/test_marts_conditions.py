"""Prevalence of RUKS conditions and multimorbidity on hand-made persons (`conditions_source`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from marts_support import Source, opened, rows

from klynge.marts import OVERVIEW_TABLES, chronic_conditions, multimorbidity, write_overview


def conditions_source() -> Source:
    """Persons with conditions via diagnoses and medication, and near misses (see the tests).

    Everyone lives in 101 and is born 1950-01-01 (70-74 on 2024-01-01, female) unless noted.
    """
    s = Source()
    for pid in ("P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8", "P10", "P14"):
        s.person(pid)
    s.person("P9", death="2023-12-15")
    s.person("P11", sex="M")
    s.person("P12", "1985-05-05")
    s.person("P13", "1990-05-05")
    s.person("P15", "1980-05-05")
    s.contact("P1", "2023-05-01 10:00", "2023-05-01 11:00", diagnoses=("DE119",))
    for day in ("2023-02-01", "2023-08-01"):  # 2nd redemption within 365 days: T2D on 2023-08-01
        s.rx("P2", day, "A10BA02", 100)
    s.rx("P3", "2023-03-01", "A10BA02", 100)  # one redemption only
    for day in ("2022-01-10", "2023-03-01"):  # 415 days apart
        s.rx("P4", day, "A10BA02", 100)
    for day in ("2023-02-01", "2023-03-01"):  # GLP-1 analogue: not counted
        s.rx("P5", day, "A10BJ02", 10)
    s.contact("P6", "2023-03-01 10:00", "2023-03-01 11:00", diagnoses=("DE109",))
    for day in ("2023-04-01", "2023-05-01"):  # insulin, but T1D wins over T2D
        s.rx("P6", day, "A10AB01", 50)
    s.contact("P7", "2023-05-01 10:00", "2023-05-01 11:00", diagnoses=("DE119",), refuted=True)
    s.contact("P8", "2024-01-01 10:00", "2024-01-01 11:00", diagnoses=("DE119",))  # on the day itself
    s.contact("P9", "2023-06-01 10:00", "2023-06-01 11:00", diagnoses=("DE119",))  # dead by 2024
    s.contact("P10", "2023-04-01 10:00", "2023-04-01 11:00", diagnoses=("DE119", "DI500", "DJ441"))
    s.contact("P11", "2023-04-01 10:00", "2023-04-01 11:00", diagnoses=("DJ449", "DI500"))
    s.contact("P12", "2023-02-01 10:00", "2023-02-01 11:00", diagnoses=("DJ449",))
    for pid in ("P12", "P13"):  # asthma medication at 37/32; P12 has COPD
        for day in ("2023-03-01", "2023-09-01"):
            s.rx(pid, day, "R03AC02", 30)
    s.rx("P14", "2023-06-01", "N06DA02", 30)  # dementia medication at 73
    s.rx("P15", "2023-06-01", "N06DA02", 30)  # at 43: under the minimum age
    return s


@pytest.fixture(scope="module")
def conditions_con(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The warehouse of `conditions_source`, read-only."""
    with opened(conditions_source().build(tmp_path_factory.mktemp("conditions"))) as con:
        yield con


def _cell(t: pd.DataFrame, period: str, band: str, sex: str = "F") -> pd.DataFrame:
    return t[(t.period == period) & (t.age_band == band) & (t.sex == sex)].set_index("condition")


def test_prevalence_via_diagnosis_medication_and_hierarchy(conditions_con: Any) -> None:
    t = chronic_conditions(conditions_con, gated=False)
    old = _cell(t, "2024", "70-74")
    # Alive and resident on 2024-01-01: P1-P8, P10, P14 (P9 died, P11 is male).
    assert set(old.population) == {10}
    assert old.persons[old.persons > 0].to_dict() == {
        "t2d": 3,            # P1 diagnosis, P2 2nd redemption, P10 diagnosis (not P3-P5, P7-P9)
        "t1d": 1,            # P6: T1D diagnosis and insulin, so not T2D
        "copd": 1,           # P10
        "heart_failure": 1,  # P10
        "dementia": 1,       # P14 medication at 73
    }
    assert old.loc["t2d", "prevalence"] == 0.3
    male = _cell(t, "2024", "70-74", "M")
    assert male.persons[male.persons > 0].to_dict() == {"copd": 1, "heart_failure": 1}
    # P12: COPD, so the asthma medication does not count; P13: asthma by medication at 32-33.
    assert _cell(t, "2024", "35-39").persons[lambda s: s > 0].to_dict() == {"copd": 1}
    assert _cell(t, "2024", "30-34").persons[lambda s: s > 0].to_dict() == {"asthma": 1}
    assert _cell(t, "2024", "40-44").persons.sum() == 0  # P15: dementia drug under 60
    # Nine conditions per cell; on 2023-01-01 nobody had anything yet (P9 then alive).
    assert len(old) == 9
    early = _cell(t, "2023", "70-74")
    assert early.persons.sum() == 0 and set(early.population) == {11}


def test_multimorbidity_counts(conditions_con: Any) -> None:
    t = multimorbidity(conditions_con, gated=False)
    got = rows(t[t.period == "2024"], "age_band", "conditions", "persons", "population")
    assert got == [
        ("30-34", "0", 0, 1), ("30-34", "1", 1, 1), ("30-34", "2", 0, 1), ("30-34", "3+", 0, 1),
        ("35-39", "0", 0, 1), ("35-39", "1", 1, 1), ("35-39", "2", 0, 1), ("35-39", "3+", 0, 1),
        ("40-44", "0", 1, 1), ("40-44", "1", 0, 1), ("40-44", "2", 0, 1), ("40-44", "3+", 0, 1),
        # 0: P3, P4, P5, P7, P8; 1: P1, P2, P6, P14; 2: P11; 3+: P10 (three conditions).
        ("70-74", "0", 5, 11), ("70-74", "1", 4, 11), ("70-74", "2", 1, 11), ("70-74", "3+", 1, 11),
    ]


def test_write_overview_materialises_the_tables(tmp_path: Path) -> None:
    warehouse = conditions_source().build(tmp_path)
    with opened(warehouse, writable=True) as con:
        counts = write_overview(con)
        assert list(counts) == list(OVERVIEW_TABLES)
        assert counts == {name: con.table(name).count().execute() for name in OVERVIEW_TABLES}
        conditions = con.table("marts__conditions").to_pandas().set_index(["person_id", "condition"])
        assert conditions.loc[("P1", "t2d"), "via"] == "diagnosis"
        p2 = conditions.loc[("P2", "t2d")]
        assert (p2.via, pd.Timestamp(p2.first_date)) == ("medication", pd.Timestamp("2023-08-01"))
        prevalence = con.table("marts__condition_prevalence").to_pandas()
        assert len(prevalence) == len(chronic_conditions(con, gated=False))
        # 2 years × 4 age bands × 4 classes; then 8 quarters, replacing the tables.
        assert counts["marts__multimorbidity"] == 2 * 4 * 4
        assert write_overview(con, "quarter")["marts__multimorbidity"] == 8 * 4 * 4
        assert con.table("marts__multimorbidity").period.nunique().execute() == 8
