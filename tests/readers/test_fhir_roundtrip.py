"""Round trip: synthetic population -> FHIR -> klynge gives the same tables and indicators as the direct build."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from fhir_support import read, reconciles

from klynge.ingest import build_warehouse
from klynge.readers.fhir import write_fhir
from klynge.synth import synthesise
from klynge.warehouse import open_warehouse

KEYS = ["indicator_id", "period_type", "period", "level", "geo_code", "stratum_type", "stratum"]
# The source columns name the coding a row was read from (SKS, NPU, ATC in the written FHIR);
# the direct build has none: provenance, compared separately.
PROVENANCE = {"run_id", "run_at", "source_record", "source_system", "source_code"}


@pytest.fixture(scope="module")
def population(tmp_path_factory):
    root = tmp_path_factory.mktemp("fhir_rt")
    synthesise(root / "source", persons=2_000, start=date(2023, 1, 1), end=date(2024, 12, 31), seed=5,
               chunk_size=2_000)
    written = write_fhir(root / "source", root / "fhir")
    return root, written


def _frame(con, table: str) -> pd.DataFrame:
    frame = con.con.sql(f"select * from {table}").df()
    columns = [c for c in frame.columns if c not in PROVENANCE]
    return frame[columns].sort_values(columns).reset_index(drop=True)


def test_written_fhir_reads_back_without_loss(population, tmp_path):
    root, written = population
    assert {"Patient", "Encounter", "Condition", "Observation", "MedicationDispense", "CarePlan"} <= set(written)
    report, _, _ = read(root / "fhir", tmp_path)
    assert reconciles(report)
    assert all(not t.quarantined for t in report.tables.values())
    assert report.tables["person"].mapped == written["Patient"]


@pytest.mark.slow
def test_round_trip_gives_the_same_warehouse(population):
    root, _ = population
    direct = build_warehouse(root / "source", root / "wh_direct")
    via_fhir = build_warehouse(root / "fhir", root / "wh_fhir", format="fhir")
    a, b = open_warehouse(root / "wh_direct"), open_warehouse(root / "wh_fhir")
    inputs = [r[0] for r in a.con.sql("select table_name from information_schema.tables "
                                      "where table_name like 'input\\_\\_%' escape '\\'").fetchall()]
    assert len(inputs) == 15
    for table in inputs:
        pd.testing.assert_frame_equal(_frame(a, table), _frame(b, table), obj=table)
    assert via_fhir.manifest["reader"]["format"] == "fhir"
    for name, counts in direct.manifest["tables"].items():
        assert via_fhir.manifest["tables"][name]["accepted"] == counts["accepted"], name
    left = a.con.sql("select * from marts__indicator_long").df().sort_values(KEYS).reset_index(drop=True)
    right = b.con.sql("select * from marts__indicator_long").df().sort_values(KEYS).reset_index(drop=True)
    assert len(left) > 1000
    # Exact keys and counts; sums of floats may differ in the last bits (summation order).
    pd.testing.assert_frame_equal(left.drop(columns=["run_id", "run_at"]), right.drop(columns=["run_id", "run_at"]),
                                  check_exact=False, rtol=1e-9, atol=1e-9)
