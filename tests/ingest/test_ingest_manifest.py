"""Reconciliation (read = accepted + quarantined), the manifest, and the warehouse tables."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from ingest_support import Built, build_into, minimal_rows, stand_in_core

import klynge.ingest._input as input_module
from klynge.contracts import TABLES
from klynge.ingest import ReconciliationError
from klynge.warehouse import read_manifest

DUCKDB_TYPES = {
    "string": "VARCHAR",
    "int": "BIGINT",
    "float": "DOUBLE",
    "date": "DATE",
    "timestamp": "TIMESTAMP WITH TIME ZONE",
    "bool": "BOOLEAN",
}


@pytest.fixture(scope="module")
def built_with_bad_rows(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """One build (shared by the tests here) with a bad row in three tables."""
    rows = minimal_rows()
    rows["person"].append({"person_id": "P9", "birth_date": "someday", "sex": "F", "death_date": ""})
    rows["gp_contact"].append({**rows["gp_contact"][0], "kind": "visit"})
    rows["diagnosis"].append({**rows["diagnosis"][0], "contact_id": "C99"})
    folder = tmp_path_factory.mktemp("manifest")
    with stand_in_core():
        return build_into(folder / "source", folder / "warehouse", rows)


def test_every_table_reconciles_in_manifest_json(built_with_bad_rows: Built) -> None:
    built = built_with_bad_rows
    manifest = read_manifest(built.warehouse)
    assert manifest == built.result.manifest
    assert list(manifest["tables"]) == list(TABLES)
    source_rows = {
        t: len(r) + (t in {"person", "gp_contact", "diagnosis"}) for t, r in minimal_rows().items()
    }
    with duckdb.connect(str(built.result.path / "klynge.duckdb"), read_only=True) as con:
        for name, entry in manifest["tables"].items():
            assert entry["read"] == entry["accepted"] + entry["quarantined"], name
            assert entry["read"] == source_rows.get(name, 0), name
            (accepted,) = con.execute(f"SELECT count(*) FROM input__{name}").fetchall()[0]
            assert accepted == entry["accepted"], name
            quarantine = built.result.path / "quarantine" / f"{name}.parquet"
            assert (pq.read_metadata(quarantine).num_rows if quarantine.exists() else 0) == entry[
                "quarantined"
            ]
            assert entry["present"] is (name in source_rows)
            assert entry["encoding"] == ("utf-8" if name in source_rows else None)
    assert {n: e["quarantined"] for n, e in manifest["tables"].items() if e["quarantined"]} == {
        "person": 1,
        "gp_contact": 1,
        "diagnosis": 1,
    }
    assert manifest["tables"]["gp_contact"]["quarantine"] == "quarantine/gp_contact.parquet"
    assert {n: (c.read, c.accepted, c.quarantined) for n, c in built.result.tables.items()} == {
        n: (e["read"], e["accepted"], e["quarantined"]) for n, e in manifest["tables"].items()
    }


def test_manifest_records_run_versions_period_timings_and_core(built_with_bad_rows: Built) -> None:
    manifest = built_with_bad_rows.result.manifest
    assert manifest["run_id"] == built_with_bad_rows.result.run_id == built_with_bad_rows.result.path.name
    assert set(manifest["versions"]) == {"klynge", "duckdb", "ibis", "python"}
    assert manifest["versions"]["duckdb"] == duckdb.__version__
    assert manifest["period"] == {"start": "2024-01-01", "end": "2024-05-31", "origin": "data"}
    assert manifest["core"] == {"core__person": 3}
    assert {"sources", "reference", "input:person", "period", "core", "total"} <= set(manifest["timings"])
    assert all(isinstance(s, float) and s >= 0 for s in manifest["timings"].values())
    assert manifest["reference"] == {
        "region": 5,
        "municipality": 98,
        "health_cluster": 22,
        "health_council": 98,
    }


def test_input_tables_have_exactly_the_model_columns_and_types(built_with_bad_rows: Built) -> None:
    with duckdb.connect(str(built_with_bad_rows.result.path / "klynge.duckdb"), read_only=True) as con:
        for name, table in TABLES.items():
            described = con.execute(f"DESCRIBE input__{name}").fetchall()
            assert [(row[0], row[1]) for row in described] == [
                (c.name, DUCKDB_TYPES[c.dtype]) for c in table.columns
            ], name
        counts = {
            t: con.execute(f"SELECT count(*) FROM ref__{t}").fetchall()[0][0]
            for t in ("region", "municipality", "health_cluster", "health_council")
        }
    assert counts == {"region": 5, "municipality": 98, "health_cluster": 22, "health_council": 98}


def test_accepted_values_are_typed(built_with_bad_rows: Built) -> None:
    (service,) = built_with_bad_rows.accepted("municipal_service")
    assert service["minutes_per_week"] == 90.5
    assert service["start_date"] == date(2024, 2, 1)
    refuted = {r["diagnosis_code"]: r["refuted"] for r in built_with_bad_rows.accepted("diagnosis")}
    assert refuted == {"DI500": False, "DS720": None}


def test_progress_prints_one_line_per_table_and_the_reconciliation(
    build: Callable[..., Built], capsys: pytest.CaptureFixture[str]
) -> None:
    build(minimal_rows(), progress=True)
    err = capsys.readouterr().err
    assert "Reconciliation: read = accepted + quarantined" in err
    assert "person: 3 read, 3 accepted, 0 quarantined" in err
    assert "vaccination: absent (empty table)" in err


def test_a_broken_reconciliation_stops_the_build(
    build: Callable[..., Built], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Lose a good row on the way in: then accepted + quarantined falls short of read.
    monkeypatch.setattr(
        input_module, "accepted_rows",
        lambda checked, table: checked.filter(checked.reason.isnull() & (checked[table.primary_key[0]] != "P2"))
        .select(*table.column_names),
    )
    rows = minimal_rows()
    rows["person"].append({"person_id": "P9", "birth_date": "someday", "sex": "F", "death_date": ""})
    with pytest.raises(ReconciliationError, match="person: 4 rows read but 2 accepted . 1 quarantined"):
        build(rows)
    assert not (tmp_path / "warehouse" / "current").exists()


def test_council_mapping_file_is_used(build: Callable[..., Built], tmp_path: Path) -> None:
    mapping = tmp_path / "councils.csv"
    mapping.write_text(
        "municipality_code,council_id,council_name\n101,R1,Rådet for København\n", encoding="utf-8"
    )
    built = build(minimal_rows(), council_mapping=mapping)
    assert built.result.manifest["reference"]["health_council"] == 1
    assert built.result.manifest["tables"]["person"]["accepted"] == 3


def test_the_real_core_layer_is_built_and_counted(tmp_path: Path) -> None:
    core = pytest.importorskip("klynge.core")
    if not hasattr(core, "build_core"):
        pytest.skip("klynge.core has no build_core yet")
    built = build_into(tmp_path / "source", tmp_path / "warehouse", minimal_rows())
    counts = built.result.manifest["core"]
    assert counts and all(name.startswith("core__") for name in counts)
    with duckdb.connect(str(built.result.path / "klynge.duckdb"), read_only=True) as con:
        for name, rows in counts.items():
            assert con.execute(f"SELECT count(*) FROM {name}").fetchall() == [(rows,)], name
