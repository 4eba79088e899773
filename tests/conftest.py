"""Shared fixtures: a synthetic national population and its warehouse, built once per test session.

For quick iterations while developing, set ``KLYNGE_TEST_CACHE=/some/dir``: the population and
the warehouse are then built there once and reused by later sessions. Delete the folder after
changing the generator or the build. CI never sets it.
"""

from __future__ import annotations

import os
import pickle
from datetime import date
from pathlib import Path

import pytest

from klynge.ingest import build_warehouse
from klynge.synth import PlantedEffect, synthesise
from klynge.warehouse import open_warehouse

PERSONS = 40_000
START, END = date(2021, 1, 1), date(2025, 12, 31)


CACHE = Path(os.environ["KLYNGE_TEST_CACHE"]) if os.environ.get("KLYNGE_TEST_CACHE") else None


def _synthesise(out):
    return synthesise(out, persons=PERSONS, start=START, end=END, seed=11, cluster=None,
                      interventions=[PlantedEffect("461", 0.3, date(2023, 1, 1))], chunk_size=20_000)


@pytest.fixture(scope="session")
def synthetic_source(tmp_path_factory):
    if CACHE is None:
        out = tmp_path_factory.mktemp("synth") / "source"
        return out, _synthesise(out)
    out, done = CACHE / "source", CACHE / "source.result.pickle"
    if not done.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        done.write_bytes(pickle.dumps(_synthesise(out)))
    return out, pickle.loads(done.read_bytes())


@pytest.fixture(scope="session")
def synthetic_period():
    return START, END


@pytest.fixture(scope="session")
def synthetic_warehouse(synthetic_source, tmp_path_factory):
    source, _ = synthetic_source
    if CACHE is None:
        wh = tmp_path_factory.mktemp("warehouse")
        return wh, build_warehouse(source, wh)
    wh, done = CACHE / "warehouse", CACHE / "warehouse.result.pickle"
    if not done.exists():
        done.write_bytes(pickle.dumps(build_warehouse(source, wh)))
    return wh, pickle.loads(done.read_bytes())


@pytest.fixture(scope="session")
def con(synthetic_warehouse):
    return open_warehouse(synthetic_warehouse[0])


@pytest.fixture(scope="session")
def sql(con):
    """Run SQL on the warehouse and return a DataFrame (independent checks, not klynge code)."""

    # Ibis 12's `con.sql()` calls a DuckDB 1.x method removed in DuckDB 2.0; use the raw connection.
    raw = con.con

    def run(query: str):
        return raw.sql(query).df()

    return run
