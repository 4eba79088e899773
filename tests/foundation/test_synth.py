"""The generator: determinism, its truth folder, planted effects and input checks."""

from __future__ import annotations

import hashlib
import json
from datetime import date

import pyarrow.parquet as pq
import pytest

from klynge.contracts import TABLES
from klynge.synth import PlantedEffect, synthesise


def _digest(folder):
    h = hashlib.sha256()
    for f in sorted(folder.rglob("*.parquet")):
        h.update(pq.read_table(f).to_pandas().to_csv(index=False).encode())
    return h.hexdigest()


def test_same_seed_same_population(tmp_path):
    a = synthesise(tmp_path / "a", persons=1_500, seed=5, start=date(2023, 1, 1), end=date(2023, 12, 31))
    b = synthesise(tmp_path / "b", persons=1_500, seed=5, start=date(2023, 1, 1), end=date(2023, 12, 31))
    c = synthesise(tmp_path / "c", persons=1_500, seed=6, start=date(2023, 1, 1), end=date(2023, 12, 31))
    assert a.rows == b.rows
    assert _digest(tmp_path / "a" / "hospital_contact") == _digest(tmp_path / "b" / "hospital_contact")
    assert _digest(tmp_path / "a" / "hospital_contact") != _digest(tmp_path / "c" / "hospital_contact")


def test_chunking_and_workers_do_not_change_a_chunk(tmp_path):
    synthesise(tmp_path / "a", persons=3_000, seed=3, chunk_size=1_000, start=date(2024, 1, 1), end=date(2024, 6, 30))
    synthesise(tmp_path / "b", persons=3_000, seed=3, chunk_size=1_000, workers=2, start=date(2024, 1, 1),
               end=date(2024, 6, 30))
    assert _digest(tmp_path / "a" / "person") == _digest(tmp_path / "b" / "person")
    assert _digest(tmp_path / "a" / "gp_contact") == _digest(tmp_path / "b" / "gp_contact")


def test_writes_every_canonical_table_and_keeps_truth_apart(synthetic_source):
    source, result = synthetic_source
    for name in TABLES:
        assert (source / name).is_dir(), name
        assert result.rows[name] > 0, name
    # The truth never enters the data: no table carries the latent frailty or true risks.
    for name in TABLES:
        cols = pq.read_schema(next((source / name).glob("*.parquet"))).names
        assert not {"frailty", "p_acute_30d"} & set(cols), name
    risk = pq.read_table(source / "truth" / "risk").to_pandas()
    assert risk["p_acute_30d"].between(0, 1).all() and risk["p_acute_365d"].between(0, 1).all()
    planted = json.loads((source / "truth" / "interventions.json").read_text())
    assert planted[0]["municipality_code"] == "461" and planted[0]["reduction"] == 0.3
    meta = json.loads((source / "klynge-source.json").read_text())
    assert meta["period_start"] == "2021-01-01" and meta["persons_total"] == result.persons


def test_synthetic_population_passes_validation(synthetic_warehouse):
    # Every generated row is valid: the build quarantines nothing.
    _, build = synthetic_warehouse
    quarantined = {t: c["quarantined"] for t, c in build.manifest["tables"].items() if c["quarantined"]}
    assert quarantined == {}


def test_true_risk_discriminates(synthetic_source, sql):
    # The truth folder's 30-day risk ranks who is admitted acutely in the next 30 days.
    from scipy.stats import mannwhitneyu

    source, _ = synthetic_source
    df = sql(f"""
        with r as (select * from read_parquet('{source}/truth/risk/*.parquet') where index_date = date '2023-01-01'),
             y as (select distinct person_id from core__stay where is_admission and acute
                   and admission_date >= date '2023-01-01' and admission_date < date '2023-01-31')
        select p_acute_30d, y.person_id is not null as admitted from r left join y using (person_id)""")
    hit, miss = df.loc[df.admitted, "p_acute_30d"], df.loc[~df.admitted, "p_acute_30d"]
    assert len(hit) > 50
    auc = mannwhitneyu(hit, miss).statistic / (len(hit) * len(miss))
    assert auc > 0.7


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown municipality"):
        synthesise(tmp_path / "x", persons=10, municipalities=["999"])
    with pytest.raises(ValueError, match="MUNICIPALITY:SHARE"):
        PlantedEffect.parse("461-0.3")
    with pytest.raises(ValueError, match="not in the simulated area"):
        synthesise(tmp_path / "y", persons=10, cluster=1, interventions=[PlantedEffect("461", 0.2, date(2024, 1, 1))])
