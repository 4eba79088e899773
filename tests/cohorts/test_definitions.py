"""Target-group files: the examples validate; invalid files fail with the file and the field."""

from __future__ import annotations

import pytest

from klynge.cohorts import TargetGroupError, examples, load_target_group, parse_target_group

VALID = """
id: test_group
title: {da: "Testgruppe"}
index_date: 2024-01-01
age: {min: 65, max: 90}
sex: F
conditions: {any: [copd, heart_failure], none: [dementia], min_count: 1}
services: {any: [personal_care]}
risk: {model: acute_365d/logistic, min_risk: 0.2}
segment: {in: [frail_municipal_care]}
geography: {municipalities: ["461"], clusters: ["10"]}
activity: {min_acute_admissions: 1, within_days: 180}
"""


def test_examples_are_valid():
    found = examples()
    assert len(found) >= 3
    ids = {load_target_group(p).id for p in found}
    assert "frail_elderly_home_care" in ids


def test_a_full_definition(tmp_path):
    path = tmp_path / "g.yaml"
    path.write_text(VALID, encoding="utf-8")
    tg = load_target_group(path)
    assert tg.age.max == 90 and tg.segment.in_ == ["frail_municipal_care"] and tg.risk.min_risk == 0.2
    assert str(tg.index_date) == "2024-01-01"


@pytest.mark.parametrize(("change", "message"), [
    ({"bogus": 1}, r"bad\.yaml: bogus: Extra inputs are not permitted"),
    ({"age": {"min": 90, "max": 60}}, r"bad\.yaml: age: min \(90\) is above max \(60\)"),
    ({"conditions": {"any": ["kol"]}}, r"bad\.yaml: conditions\.any: unknown condition\(s\) \['kol'\]"),
    ({"services": {"any": ["cleaning"]}}, r"bad\.yaml: services\.any: unknown service group"),
    ({"risk": {"model": "acute_30d/hgb"}}, r"bad\.yaml: risk: give min_percentile or min_risk"),
    ({"risk": {"model": "acute_7d/hgb", "min_risk": 0.1}}, r"bad\.yaml: risk\.model: unknown model"),
    ({"risk": {"min_percentile": 120}}, r"bad\.yaml: risk\.min_percentile: .*less than or equal to 100"),
    ({"segment": {"in": ["rich"]}}, r"bad\.yaml: segment\.in: unknown segment"),
    ({"geography": {"municipalities": ["999"]}}, r"bad\.yaml: geography\.municipalities: unknown municipality"),
    ({"sex": "X"}, r"bad\.yaml: sex: Input should be 'F' or 'M'"),
    ({"id": "Bad Id"}, r"bad\.yaml: id: String should match pattern"),
    ({"index_date": "yesterday"}, r"bad\.yaml: index_date"),
])
def test_invalid_definitions_name_file_and_field(change, message):
    data = {"id": "g1", "title": {"da": "G"}, **change}
    with pytest.raises(TargetGroupError, match=message):
        parse_target_group(data, "bad.yaml")


def test_missing_title_and_unreadable_files(tmp_path):
    with pytest.raises(TargetGroupError, match=r"bad\.yaml: title: Field required"):
        parse_target_group({"id": "g1"}, "bad.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(TargetGroupError, match=r"broken\.yaml: not valid YAML"):
        load_target_group(broken)
    listing = tmp_path / "list.yaml"
    listing.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(TargetGroupError, match=r"list\.yaml: a target group is a YAML mapping"):
        load_target_group(listing)
    with pytest.raises(TargetGroupError, match="cannot be read"):
        load_target_group(tmp_path / "absent.yaml")
