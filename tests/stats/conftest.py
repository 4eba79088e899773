"""Shared fixtures: expected values produced once by the independent scripts in independent/."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

HERE = Path(__file__).parent
EXPECTED = HERE / "expected"
# shared/ sits beside the checkout; KLYNGE_SAMPLES overrides (as for the oracle scripts).
SAMPLES = (
    Path(os.environ.get("KLYNGE_SAMPLES", Path(__file__).resolve().parents[3] / "shared" / "samples"))
    / "qicharts2"
)


def read_expected(name: str) -> pd.DataFrame:
    """Read an expected-values CSV (empty cells are NaN, 'inf' is infinity, True/False booleans)."""
    return pd.read_csv(EXPECTED / name, keep_default_na=True)


@pytest.fixture
def expected() -> Callable[[str], pd.DataFrame]:
    """Reader for files under tests/stats/expected/."""
    return read_expected


@pytest.fixture
def sample() -> Callable[[str], pd.DataFrame]:
    """Reader for the public qicharts2 sample data in shared/; skips the test when it is absent."""

    def read(name: str) -> pd.DataFrame:
        path = SAMPLES / name
        if not path.exists():
            pytest.skip(f"sample data not available: {path}")
        return pd.read_csv(path)

    return read
