"""The canonical export: access, audit, the data package descriptor and the round trip through a build."""

from __future__ import annotations

import json
import re

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from klynge.access import AccessDenied, Principal, Role, audit_log
from klynge.cli import app
from klynge.contracts import CPR_PATTERN, TABLES
from klynge.exports import export_canonical, export_indicators
from klynge.ingest import build_warehouse
from klynge.warehouse import current_build

ANALYST = Principal("ana", Role.PSEUDONYMISED_ANALYST, "region:1083")
# A CPR-like run of digits that is not part of a longer number (or the decimals of one).
CPR = re.compile(rf"(?<![0-9.,]){CPR_PATTERN}(?![0-9])")


def _tables(warehouse) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(current_build(warehouse) / "klynge.duckdb"), read_only=True) as con:
        names = [r[0] for r in con.sql("select table_name from information_schema.tables").fetchall()
                 if r[0].startswith(("input__", "ref__"))]
        return {n: con.sql(f"select * from {n}").df() for n in names}


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_round_trip_through_a_build(small_warehouse, tmp_path, fmt):
    before = len(list(audit_log(small_warehouse).entries()))
    result = export_canonical(small_warehouse, tmp_path / "export", format=fmt, principal=ANALYST, purpose="study")
    assert set(result.rows) == set(TABLES) | {f"ref__{n}" for n in ("region", "municipality", "health_cluster",
                                                                     "health_council")}
    rebuilt = tmp_path / "rebuilt"
    build = build_warehouse(tmp_path / "export", rebuilt, marts=False)
    assert all(t.quarantined == 0 for t in build.tables.values())
    original, again = _tables(small_warehouse), _tables(rebuilt)
    assert set(original) == set(again)
    for name, frame in original.items():
        if name == "input__message":
            assert again[name]["text"].isna().all()       # withheld from analysts
            frame = frame.assign(text=None)
        pd.testing.assert_frame_equal(_sorted(frame), _sorted(again[name]), check_dtype=False, obj=name)
        assert len(frame) == result.rows[name.removeprefix("input__")] if name.startswith("input__") else True
    # The audit log holds one entry: who, what, when, how many rows; no person ids.
    entries = list(audit_log(small_warehouse).entries())
    assert len(entries) == before + 1
    entry = entries[-1]
    assert entry["action"] == "canonical.export" and entry["user"] == "ana" and entry["extra"]["outcome"] == "allowed"
    assert entry["subjects"] == [] and entry["extra"]["rows"]["person"] == result.rows["person"]
    assert audit_log(small_warehouse).verify().ok


def test_datapackage_descriptor(small_warehouse, tmp_path):
    export_canonical(small_warehouse, tmp_path / "export", format="csv", principal=ANALYST, purpose="study")
    package = json.loads((tmp_path / "export" / "datapackage.json").read_text(encoding="utf-8"))
    assert package["profile"] == "tabular-data-package"
    resources = {r["name"]: r for r in package["resources"]}
    for name, table in TABLES.items():
        res = resources[name]
        assert (tmp_path / "export" / res["path"]).is_file()
        assert [f["name"] for f in res["schema"]["fields"]] == table.column_names
        assert all(f["description"] for f in res["schema"]["fields"])
        assert res["schema"].get("primaryKey", []) == list(table.primary_key)
        assert len(res["schema"].get("foreignKeys", [])) == len(table.references)
        assert res["stats"]["rows"] == len(pd.read_csv(tmp_path / "export" / res["path"], dtype=str))
    person = {f["name"]: f for f in resources["person"]["schema"]["fields"]}
    assert person["birth_date"]["type"] == "date" and person["sex"]["constraints"]["enum"] == ["F", "M"]
    contact = {f["name"]: f for f in resources["hospital_contact"]["schema"]["fields"]}
    assert contact["start_time"]["type"] == "datetime"
    assert resources["message"]["schema"]["foreignKeys"][0]["reference"] == {"resource": "person",
                                                                           "fields": ["person_id"]}
    assert resources["ref_municipality"]["path"] == "reference/municipality.csv"


@pytest.mark.parametrize("role", [Role.AGGREGATE_ANALYST, Role.CLINICIAN, Role.DATA_STEWARD])
def test_refused_for_roles_without_person_level_rights_and_audited(small_warehouse, tmp_path, role):
    before = len(list(audit_log(small_warehouse).entries()))
    with pytest.raises(AccessDenied):
        export_canonical(small_warehouse, tmp_path / "export", principal=Principal("bo", role, "municipality:461"),
                         purpose="curious")
    assert not (tmp_path / "export").exists()
    entries = list(audit_log(small_warehouse).entries())
    assert len(entries) == before + 1
    assert entries[-1]["extra"]["outcome"] == "denied" and entries[-1]["role"] == role.value


def test_cli_canonical(small_warehouse, tmp_path):
    args = ["export", "canonical", "--warehouse", str(small_warehouse), "--out", str(tmp_path / "e"), "--user", "ana",
            "--organisation", "region:1083", "--purpose", "study", "--format", "csv"]
    refused = CliRunner().invoke(app, [*args, "--role", "aggregate_analyst"])
    assert refused.exit_code == 3 and not (tmp_path / "e").exists()
    done = CliRunner().invoke(app, [*args, "--role", "pseudonymised_analyst"])
    assert done.exit_code == 0, done.output
    assert (tmp_path / "e" / "datapackage.json").is_file()
    again = CliRunner().invoke(app, [*args, "--role", "pseudonymised_analyst"])
    assert again.exit_code == 2          # the folder is not empty


def test_no_cpr_number_in_any_output(small_warehouse, tmp_path):
    export_canonical(small_warehouse, tmp_path / "canonical", format="csv", principal=ANALYST, purpose="study")
    export_indicators(small_warehouse, tmp_path / "ind.csv")
    export_indicators(small_warehouse, tmp_path / "fhir", format="measurereport")
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) > 20
    for path in files:
        assert not CPR.search(path.read_text(encoding="utf-8-sig")), path
