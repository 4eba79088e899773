"""Members, gated counts and descriptions, and the audited person list."""

from __future__ import annotations

import datetime as dt
import os

import pandas as pd
import pytest
from typer.testing import CliRunner

from klynge.access import AccessDenied, Principal, Role, audit_log
from klynge.cli import app
from klynge.cohorts import count, describe, export, parse_target_group, population
from klynge.risk import features_at
from klynge.warehouse import current_build

GROUP = {"id": "older_copd_or_home_care", "title": {"da": "Ældre med KOL eller hjemmepleje"},
         "index_date": "2024-01-01", "age": {"min": 70}, "conditions": {"any": ["copd", "t2d"]}}


@pytest.fixture(scope="module")
def group():
    return parse_target_group(GROUP, "g.yaml")


@pytest.fixture(scope="module")
def shadow(synthetic_warehouse, tmp_path_factory):
    build = current_build(synthetic_warehouse[0])
    folder = tmp_path_factory.mktemp("cohort") / "wh"
    (folder / "builds").mkdir(parents=True)
    (folder / "builds" / build.name).symlink_to(build)
    os.symlink(f"builds/{build.name}", folder / "current")
    return folder


def test_members_match_an_independent_selection(con, group):
    p = population(con, group)
    f = features_at(con, dt.date(2024, 1, 1))
    expected = set(f[(f.age >= 70) & ((f.has_copd > 0) | (f.has_t2d > 0))].person_id)
    assert set(p[p.member].person_id) == expected and len(expected) > 200


def test_count_is_gated_and_adds_up(con, group):
    t = count(con, group).frame
    total = t[t.municipality_code == "all"].iloc[0]
    assert total.members == population(con, group).member.sum()
    shown = t.members.dropna()
    assert ((shown == 0) | (shown >= 5)).all() and t.members_suppressed.any()
    assert (t[~t.share_suppressed].share <= 1).all()


def test_describe_is_gated(con, group):
    d = describe(con, group)
    by = d["by"].frame
    assert set(by.dimension) == {"municipality_code", "sex", "age_band", "segment"}
    for dim, rows in by.groupby("dimension"):
        assert rows[rows.group == "all"].members.iloc[0] == rows[rows.group != "all"].members.fillna(0).sum() \
            or rows.members_suppressed.any()
    conditions = d["conditions"].frame.set_index("condition")
    assert conditions.loc["copd", "members"] >= 5
    means = d["means"].frame.set_index("measure")
    assert means.loc["age", "mean"] >= 70


def test_export_only_for_allowed_roles_and_audited(shadow, group, tmp_path):
    out = tmp_path / "list.csv"
    with pytest.raises(AccessDenied):
        export(shadow, group, Principal("agg", Role.AGGREGATE_ANALYST, "region:1083"), purpose="test", out=out)
    assert not out.exists()
    entry = export(shadow, group, Principal("ana", Role.PSEUDONYMISED_ANALYST, "region:1083"),
                   purpose="invitation to a COPD offer", out=out)
    listed = pd.read_csv(out, dtype=str)
    assert list(listed.columns[:2]) == ["person_id", "index_date"]
    assert sorted(entry["subjects"]) == sorted(listed.person_id)
    log = audit_log(shadow)
    assert log.verify().ok
    lines = log.path.read_text().splitlines()
    assert len(lines) == 2 and '"denied"' in lines[0] and '"allowed"' in lines[1]


def test_cli_count_and_export(shadow, tmp_path):
    import yaml

    path = tmp_path / "g.yaml"
    path.write_text(yaml.safe_dump(GROUP), encoding="utf-8")
    r = CliRunner().invoke(app, ["cohort", "count", str(path), "--warehouse", str(shadow)])
    assert r.exit_code == 0, r.output
    assert "<5" in r.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x1\ntitle: {da: x}\nage: {min: 200}\n", encoding="utf-8")
    r = CliRunner().invoke(app, ["cohort", "count", str(bad), "--warehouse", str(shadow)])
    assert r.exit_code == 2 and "bad.yaml: age.min" in r.output
    args = ["cohort", "export", str(path), "--warehouse", str(shadow), "--out", str(tmp_path / "o.csv"),
            "--user", "u", "--organisation", "region:1083", "--purpose", "test"]
    assert CliRunner().invoke(app, [*args, "--role", "clinician"]).exit_code == 3
    r = CliRunner().invoke(app, [*args, "--role", "data_steward"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "o.csv").exists()
