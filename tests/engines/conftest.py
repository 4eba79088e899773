"""The cross-engine suite: the same builds on every engine, compared with DuckDB as the oracle.

``engine`` runs a test once per engine (``duckdb``, and ``spark`` when PySpark and Java are
there); each param carries its engine's marker, so ``pytest -m spark`` runs the Spark part
alone. One SparkSession (``local[2]``, 2 GB driver) serves the whole test session.
"""

from __future__ import annotations

import gc
import warnings
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from engines_support import SPARK_CONF, build_with, spark_missing

from klynge.ingest import BuildResult
from klynge.synth import synthesise

ENGINES = [pytest.param("duckdb", marks=pytest.mark.duckdb), pytest.param("spark", marks=pytest.mark.spark)]
# Small, so that the Spark builds stay short: ~2,000 persons over two years.
PERSONS, START, END = 2_000, date(2022, 1, 1), date(2023, 12, 31)


@pytest.fixture(scope="session")
def spark_session() -> Iterator[Any]:
    """The one SparkSession of the test session, stopped at its end."""
    reason = spark_missing()
    if reason:
        pytest.skip(reason)
    from klynge.ingest._engine_spark import spark_session as start

    session, started = start(SPARK_CONF)
    yield session
    with warnings.catch_warnings():
        # Py4J leaves its sockets to the garbage collector.
        warnings.simplefilter("ignore", ResourceWarning)
        if started:
            session.stop()
        gc.collect()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Py4J (PySpark's bridge to the JVM) leaves sockets to the garbage collector: not a leak of ours."""
    for item in items:
        if "engines" in item.path.parts:
            item.add_marker(pytest.mark.filterwarnings("ignore::ResourceWarning"))


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    """Each engine in turn; Spark's session is started (once) on first use."""
    if request.param == "spark":
        request.getfixturevalue("spark_session")
    return str(request.param)


@pytest.fixture(scope="session")
def synthetic_small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small synthetic population (Parquet part files), written once."""
    out = tmp_path_factory.mktemp("engines") / "source"
    synthesise(out, persons=PERSONS, start=START, end=END, seed=29, cluster=None, chunk_size=1_000)
    return out


@pytest.fixture(scope="session")
def synthetic_builds(
    synthetic_small: Path, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], BuildResult]:
    """The full build (input, core, marts) of the small population, once per engine."""
    built: dict[str, BuildResult] = {}

    def get(engine: str) -> BuildResult:
        if engine not in built:
            built[engine] = build_with(engine, synthetic_small, tmp_path_factory.mktemp(f"wh-{engine}"))
        return built[engine]

    return get
