"""Building on an engine, and comparing two warehouse builds table by table (the suite's oracle)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from klynge.ingest import BuildResult, build_warehouse

# The test session's Spark: two local cores, a modest driver, few shuffle partitions.
SPARK_CONF = {"spark.master": "local[2]", "spark.driver.memory": "2g", "spark.sql.shuffle.partitions": "2"}

# Columns that name the run, not the data: they differ between any two builds.
RUN_COLUMNS = {"run_id", "run_at", "engine"}
# Floats are computed in a different order on each engine (sums over partitions).
RELATIVE_TOLERANCE = 1e-9


def warehouse_tables(database: Path) -> dict[str, pd.DataFrame]:
    """Every table of a build's DuckDB file, as DataFrames (timestamps as UTC instants)."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        names = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        return {name: con.execute(f'SELECT * FROM "{name}"').df() for name in sorted(names)}
    finally:
        con.close()


def column_types(database: Path) -> dict[str, dict[str, str]]:
    """Table -> column -> DuckDB type of a build's DuckDB file."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        rows = con.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "ORDER BY table_name, ordinal_position"
        ).fetchall()
    finally:
        con.close()
    types: dict[str, dict[str, str]] = {}
    for table, column, dtype in rows:
        types.setdefault(table, {})[column] = dtype
    return types


def differences(left: pd.DataFrame, right: pd.DataFrame) -> list[str]:
    """What differs between two tables (rows compared as sets, floats to a tight tolerance)."""
    if list(left.columns) != list(right.columns):
        return [f"columns differ: {list(left.columns)} != {list(right.columns)}"]
    if len(left) != len(right):
        return [f"{len(left)} rows != {len(right)} rows"]
    floats = [c for c in left.columns if pd.api.types.is_float_dtype(left[c])]
    # Rows are ordered by the exact columns: a last-digit float difference must not reorder them.
    exact = [c for c in left.columns if c not in floats] or list(left.columns)
    a, b = _sorted_by(left, exact), _sorted_by(right, exact)
    problems = []
    for column in a.columns:
        x, y = a[column], b[column]
        if column in floats:
            xs, ys = x.to_numpy(float), pd.to_numeric(y).to_numpy(float)
            same = np.isclose(xs, ys, rtol=RELATIVE_TOLERANCE, atol=0, equal_nan=True)
        else:
            same = (x.astype("string").fillna("<NA>") == y.astype("string").fillna("<NA>")).to_numpy()
        if not same.all():
            first = int(np.flatnonzero(~same)[0])
            problems.append(f"{column}: {int((~same).sum())} values differ, e.g. {x.iloc[first]!r} != {y.iloc[first]!r}")
    return problems


def _sorted_by(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Rows ordered by ``columns``, then by the other (float) columns to 9 significant digits."""
    frame = frame.drop(columns=[c for c in frame.columns if c in RUN_COLUMNS])
    columns = [c for c in columns if c in frame.columns]
    keys = frame[columns].astype("string").fillna("\x00")
    for column in frame.columns.difference(columns):
        keys[column] = frame[column].map(lambda v: "\x00" if pd.isna(v) else f"{float(v):+.8e}")
    return frame.loc[keys.sort_values(list(keys.columns), kind="stable").index].reset_index(drop=True)


def build_with(engine: str, source: Path, warehouse: Path, **options: Any) -> BuildResult:
    """Build ``source`` on ``engine`` (Spark in the test session's local[2] session)."""
    conf = SPARK_CONF if engine == "spark" else None
    return build_warehouse(source, warehouse, engine=engine, spark_conf=conf, **options)


def spark_missing() -> str | None:
    """Why Spark cannot run here, or None."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "PySpark is not installed (pip install 'klynge[spark]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java runtime (make test installs one)"
    return None
