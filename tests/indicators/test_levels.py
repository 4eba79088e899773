"""On the synthetic population, indicator levels are plausible against the Danish reference levels.

Ranges: domain reference sections in the comments; where there is no national figure, a broad
range of what is clinically plausible [I]. Figures are whole-population, year 2023, crude.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from klynge.cli import app
from klynge.indicators import registry
from klynge.indicators._run import compute_indicator, geography

RANGES = {
    "readmission_30d": (5, 12),            # §2.4/§5.10: 8-10 % all ages
    "readmission_30d_65": (9, 20),         # §5.10: 13-16 % for 65+
    "preventable_admissions_65": (35, 95),  # §2.2: ~58 per 1,000 nationally, 71 in Region H
    "acute_admissions_65": (250, 520),     # §5.7: acute admissions by age, weighted to 65+ ~ 340
    "mortality": (8, 13),                  # §5.1: ~57,000 deaths / 5.95 M
    "deaths_in_hospital": (28, 55),        # [M] about 40-50 % die in hospital
    "length_of_stay": (2.5, 5.0),          # §5.7: 3-4 days
    "medical_bed_days_65": (700, 2500),    # §2.5 benchmark.dk: order of 1,000-2,000 per 1,000 65+
    "discharge_letter_1d": (60, 90),       # [I]
    "gp_contact_7d_65": (35, 85),          # [I]
    "municipal_contact_3d_65": (20, 75),   # [I]
    "temporary_place_65": (1, 12),         # §4.8: temporary stays peak after discharge
    "continuity_upc": (0.6, 0.97),         # [I] Danish list system: most contacts with own clinic
    "continuity_coc": (0.3, 0.85),         # [I]
    "home_care_rising": (3, 30),           # [I] PATINA alerts
    "acute_admissions_copd": (200, 800),   # [I] COPD patients are admitted often
    "acute_admissions_t2d": (100, 450),    # [I]
    "emergency_without_admission": (40, 250),  # [M]
    "home_time_30d": (26, 30),             # [I]
    "home_time_90d": (80, 90),             # [I]
    "days_to_municipal_contact_65": (0.5, 10),  # [I]
}


@pytest.fixture(scope="module")
def levels(con, synthetic_period):
    # Plausibility is a property of the computed levels, before the privacy gate: on this small
    # population the gate may hide a whole national year of a rare indicator.
    start, end = synthetic_period
    geo = geography(con)
    t = pd.concat([compute_indicator(con, ind, start, end, geo) for ind in registry().values()])
    t = t[(t.period_type == "year") & (t.period == "2023") & (t.level == "country") & (t.stratum_type == "all")]
    return t.set_index("indicator_id")


def test_the_published_table_is_the_gated_computation(con, levels):
    # Where the national 2023 figure is published, it is the computed one.
    t = con.table("marts__indicator_long")
    t = t.filter(t.period_type == "year", t.period == "2023", t.level == "country", t.stratum_type == "all")
    pub = t.execute().set_index("indicator_id")
    shown = pub[pub["value"].notna()]
    assert len(shown) >= 15
    assert np.allclose(shown["value"], levels.loc[shown.index, "value"])


@pytest.mark.parametrize("indicator_id", sorted(RANGES))
def test_level_is_plausible(levels, indicator_id):
    low, high = RANGES[indicator_id]
    value = levels.loc[indicator_id, "value"]
    assert low <= value <= high, f"{indicator_id}: {value:.3g} not in [{low}, {high}]"


def test_every_indicator_has_a_stated_range(levels):
    assert set(levels.index) == set(RANGES)


def test_standardised_and_crude_agree_for_the_whole_population(levels):
    # Standardised to the whole population's own structure, the whole-population value is close
    # to the crude one (not identical: the standard spans the whole period).
    s = levels[levels["std_value"].notna()]
    assert len(s) >= 10
    assert ((s["std_value"] - s["value"]).abs() <= 0.15 * s["value"].abs() + 1e-9).all()
    assert ((s["smr"] - 1).abs() < 1e-6).all()


def test_cli_show(synthetic_warehouse):
    wh, _ = synthetic_warehouse
    runner = CliRunner()
    out = runner.invoke(app, ["indicators", "show", "readmission_30d", "--warehouse", str(wh), "--level", "region",
                              "--period", "year", "--format", "json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert {r["geo_code"] for r in rows} == {"1081", "1082", "1083", "1084", "1085"}
    table = runner.invoke(app, ["indicators", "show", "readmission_30d", "--warehouse", str(wh), "--level", "country"],
                          env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "Danmark" in table.output
    bad = runner.invoke(app, ["indicators", "show", "nope", "--warehouse", str(wh)])
    assert bad.exit_code == 2


def test_no_small_count_leaves_through_the_long_table(con):
    df = con.table("marts__indicator_long").execute()
    visible = df[~df["suppressed"]]
    for col in ("n_units", "n_events"):
        assert not ((visible[col] > 0) & (visible[col] < 5)).any()
    assert df.loc[df["suppressed"], "value"].isna().all()


def test_annual_measures_are_published_by_year_only(sql):
    # Continuity is computed per calendar year: months and quarters would be meaningless.
    annual = sql("select distinct period_type from marts__indicator_long where indicator_id like 'continuity_%'")
    assert set(annual["period_type"]) == {"year"}
    monthly = sql("select distinct period_type from marts__indicator_long where indicator_id = 'readmission_30d'")
    assert set(monthly["period_type"]) == {"month", "quarter", "year"}
