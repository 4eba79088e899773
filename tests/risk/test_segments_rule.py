"""Segments (every citizen in exactly one) and the home-care rule's counts."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from klynge.risk import SEGMENTS, assign_segments, features_at, patina_rule, rule_counts, segment_report


def test_rules_in_order_on_hand_made_rows():
    base = {"age": 50, "max_severity_12m": 0, "acute_admissions_90d": 0, "n_conditions": 0, "nursing_home": 0,
            "home_care_minutes": 0.0, "home_nursing": 0, "acute_admissions_12m": 0}
    rows = [
        ({"age": 70, "max_severity_12m": 5, "nursing_home": 1}, "end_of_life"),
        ({"age": 80, "acute_admissions_90d": 2, "n_conditions": 2, "acute_admissions_12m": 2}, "end_of_life"),
        ({"age": 70, "acute_admissions_90d": 2, "n_conditions": 2, "acute_admissions_12m": 2}, "complex_multimorbid"),
        ({"home_care_minutes": 60.0, "n_conditions": 4}, "frail_municipal_care"),
        ({"n_conditions": 3}, "complex_multimorbid"),
        ({"n_conditions": 2, "acute_admissions_12m": 1}, "chronic_stable"),
        ({"n_conditions": 1}, "chronic_stable"),
        ({"age": 99}, "healthy"),
    ]
    f = pd.DataFrame([{**base, **r} for r, _ in rows])
    assert assign_segments(f).tolist() == [s for _, s in rows]


@pytest.fixture(scope="module")
def report(con):
    return segment_report(con, dt.date(2024, 1, 1))


def test_every_citizen_in_exactly_one_segment(con, report):
    persons = report["persons"]
    population = features_at(con, dt.date(2024, 1, 1))
    assert persons.person_id.is_unique and set(persons.person_id) == set(population.person_id)
    assert set(persons.segment) <= set(SEGMENTS) and persons.segment.notna().all()
    sizes = report["sizes"].frame
    national = sizes[sizes.municipality_code == "all"].set_index("segment")
    assert national.loc["all", "persons"] == len(persons)
    assert national.drop("all").persons.sum() == len(persons)


def test_segment_trajectories_and_cost(report, sql):
    sizes = report["sizes"].frame
    national = sizes[sizes.municipality_code == "all"].set_index("segment")
    # Mortality and cost rise from the healthy to the end of life.
    assert national.loc["end_of_life", "mortality_12m"] > national.loc["chronic_stable", "mortality_12m"] \
        > national.loc["healthy", "mortality_12m"]
    assert national.loc["frail_municipal_care", "cost_per_person_before"] > 5 * national.loc["healthy", "cost_per_person_before"]
    # Deaths in the next 12 months match an independent count.
    persons = report["persons"]
    dead = sql("select person_id from input__person where death_date >= date '2024-01-01' and death_date < date '2024-12-31'")
    assert national.loc["all", "deaths"] == persons.person_id.isin(dead.person_id).sum()
    t = report["transitions"].frame
    assert t[(t.segment == "all") & (t.segment_later == "all")].persons.iloc[0] == len(persons)
    assert {"died"} <= set(t.segment_later)
    shown = sizes.persons.dropna()
    assert ((shown == 0) | (shown >= 5)).all()


def test_rule_flags_rising_minutes():
    f = pd.DataFrame({"age": [70, 70, 70, 64, 80], "personal_care_minutes": [130.0, 119.0, 100.0, 200.0, 50.0],
                      "personal_care_minutes_8w": [100.0, 100.0, 0.0, 100.0, 100.0]})
    eligible, flagged = patina_rule(f, 0.2)
    assert eligible.tolist() == [True, True, False, False, True]
    assert flagged.tolist() == [True, False, False, False, False]


def test_rule_counts_match_an_independent_count(con, sql):
    day = dt.date(2024, 6, 3)
    frame = rule_counts(con, [day]).frame
    dk = frame[(frame.area == "DK") & (frame.check_day == "all")].iloc[0]
    minutes = lambda d: sql(f"""select person_id, sum(coalesce(minutes_per_week, 0)) m from input__municipal_service
        where service_group = 'personal_care' and start_date <= date '{d}' and (end_date is null or end_date > date '{d}')
        group by 1""")
    now, before = minutes(day - dt.timedelta(days=1)), minutes(day - dt.timedelta(weeks=8))
    people = sql(f"""select p.person_id from input__person p join input__residence r using (person_id)
        where (p.death_date is null or p.death_date >= date '{day}') and r.valid_from < date '{day}'
        and (r.valid_to is null or r.valid_to >= date '{day}')
        and date_diff('year', p.birth_date, date '{day}') - (strftime(date '{day}', '%m%d') < strftime(p.birth_date, '%m%d'))::int >= 65""")
    j = now.merge(before, on="person_id", suffixes=("_now", "_before"))
    j = j[j.person_id.isin(people.person_id) & (j.m_now > 0) & (j.m_before > 0)]
    assert dk.eligible == len(j)
    assert dk.flagged == int((j.m_now > j.m_before * 1.2).sum())
    shown = frame.flagged_admitted.dropna()
    assert ((shown == 0) | (shown >= 5)).all()
    assert np.isclose(dk.ppv, dk.flagged_admitted / dk.flagged)


def test_cli_rule_and_segments(shadow, shadow_con):
    import json

    from typer.testing import CliRunner

    from klynge.cli import app
    from klynge.risk import attach_risk

    r = CliRunner().invoke(app, ["risk", "rule", "--warehouse", str(shadow), "--start", "2025-06-02", "--weeks", "1",
                                 "--json"])
    assert r.exit_code == 0, r.output
    rows = {x["area"]: x for x in json.loads(r.output)}
    assert rows["DK"]["eligible"] > 100 and "461" in rows
    r = CliRunner().invoke(app, ["risk", "segments", "--warehouse", str(shadow), "--date", "2025-01-01", "--write",
                                 "--json"])
    assert r.exit_code == 0, r.output
    sizes = {x["segment"]: x for x in json.loads(r.output)["sizes"]}
    assert set(sizes) == {*SEGMENTS, "all"}
    assert "risk__segment" in attach_risk(shadow_con, shadow)
    n = shadow_con.con.sql("select count(*) n, count(distinct person_id) p from risk__segment").df().iloc[0]
    assert n.n == n.p == sizes["all"]["persons"]
