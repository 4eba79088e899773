"""The synthetic population matches the Danish reference figures within stated tolerances.

The checks (SQL over the warehouse, independent of the generator's code) and their targets are
in `klynge.synth.calibration`; their sources are sections of `../shared/domain/danish-domain.md`.
"""

from __future__ import annotations

import pytest

from klynge.synth.calibration import CHECKS, run_checks


@pytest.fixture(scope="module")
def results(con, synthetic_source, synthetic_period):
    source, _ = synthetic_source
    start, end = synthetic_period
    return run_checks(con, source, start.isoformat(), end.isoformat()).set_index("check")


@pytest.mark.parametrize("name", [c.name for c in CHECKS])
def test_within_tolerance(results, name):
    row = results.loc[name]
    assert row["low"] <= row["value"] <= row["high"], f"{name}: {row['value']:.4g} not in [{row['low']}, {row['high']}]"
