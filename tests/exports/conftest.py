"""A small warehouse for the export tests: 3,000 persons in two municipalities, 2023-2024.

Built once per session (about 20 s); with ``KLYNGE_TEST_CACHE`` set it is kept in
``$KLYNGE_TEST_CACHE/exports`` and reused.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from klynge.ingest import build_warehouse
from klynge.synth import synthesise

CACHE = Path(os.environ["KLYNGE_TEST_CACHE"]) / "exports" if os.environ.get("KLYNGE_TEST_CACHE") else None


def _build(folder: Path) -> Path:
    synthesise(folder / "source", persons=3_000, start=date(2023, 1, 1), end=date(2024, 12, 31), seed=3,
               municipalities=["461", "479"], chunk_size=3_000)
    build_warehouse(folder / "source", folder / "warehouse")
    (folder / "done").write_text("ok")
    return folder / "warehouse"


@pytest.fixture(scope="session")
def small_warehouse(tmp_path_factory) -> Path:
    if CACHE is None:
        return _build(tmp_path_factory.mktemp("exports"))
    if not (CACHE / "done").exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        return _build(CACHE)
    return CACHE / "warehouse"


@pytest.fixture(scope="session")
def gated(small_warehouse):
    """The published indicator table, read with plain DuckDB (not klynge's export code)."""
    import duckdb

    from klynge.warehouse import current_build

    with duckdb.connect(str(current_build(small_warehouse) / "klynge.duckdb"), read_only=True) as con:
        return con.sql("select * from marts__indicator_long").df()
