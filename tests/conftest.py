"""Shared fixtures: a synthetic national population and its warehouse, built once per test session."""

from __future__ import annotations

from datetime import date

import pytest

from klynge.ingest import build_warehouse
from klynge.synth import PlantedEffect, synthesise
from klynge.warehouse import open_warehouse

PERSONS = 40_000
START, END = date(2021, 1, 1), date(2025, 12, 31)


@pytest.fixture(scope="session")
def synthetic_source(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth") / "source"
    result = synthesise(out, persons=PERSONS, start=START, end=END, seed=11, cluster=None,
                        interventions=[PlantedEffect("461", 0.3, date(2023, 1, 1))], chunk_size=20_000)
    return out, result


@pytest.fixture(scope="session")
def synthetic_period():
    return START, END


@pytest.fixture(scope="session")
def synthetic_warehouse(synthetic_source, tmp_path_factory):
    source, _ = synthetic_source
    wh = tmp_path_factory.mktemp("warehouse")
    build = build_warehouse(source, wh)
    return wh, build


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
